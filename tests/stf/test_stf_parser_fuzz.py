"""The STF parser on random text: it returns commands or raises StfSyntaxError, nothing else."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from softp4.stf.parser import parse_stf
from softp4.stf.syntax import StfSyntaxError

WORDS = [
    "add", "setdefault", "packet", "expect", "wait", "check_counter", "mc_node_create", "register_write",
    "meter_set_rates", "mirroring_add", "t", "a.b", "k:", "0x1*", "/", "(", ")", ",", "x:1", "$", "*", "==",
    "00", "ff", "#", "=", "[", "]", "0b1*", "1.5", ":", "packets", "bytes", "remove", "all",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(st.sampled_from(WORDS), max_size=8).map(" ".join), max_size=6))
def test_token_soup(lines: list[str]) -> None:
    try:
        parse_stf("\n".join(lines), "fuzz.stf")
    except StfSyntaxError as exc:
        assert str(exc).startswith("fuzz.stf:")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_arbitrary_text(text: str) -> None:
    try:
        parse_stf(text, "fuzz.stf")
    except StfSyntaxError as exc:
        assert ": error: " in str(exc)
