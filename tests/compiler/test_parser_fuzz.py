"""Malformed input of every kind gives a `CompileError`, never another exception."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from softp4.compiler.errors import CompileError
from softp4.compiler.lexer import tokenize
from softp4.compiler.parser import parse
from softp4.compiler.typecheck import check_program

VALID = """
match_kind { exact, ternary }
extern packet_in { void extract<T>(out T hdr); T lookahead<T>(); }
header h_t { bit<8> a; bit<16> b; }
struct s_t { h_t h; bit<8> m; }
enum bit<8> E { X = 1, Y = 2 }
const bit<8> K = 3;
parser P(packet_in pkt, out s_t s) {
    state start {
        pkt.extract(s.h);
        transition select(s.h.a) { 1: next; 2 &&& 3: accept; default: reject; }
    }
    state next { s.m = pkt.lookahead<bit<8>>(); transition accept; }
}
control C(inout s_t s) {
    action a(bit<8> v) { s.m = v + K; s.h.b = s.h.a ++ s.m; }
    table t { key = { s.h.a: exact; } actions = { a; } default_action = a(1); }
    apply {
        if (s.h.isValid() && t.apply().hit) { s.m = (bit<8>)E.X; } else { s.h.setInvalid(); }
        switch (t.apply().action_run) { a: { } }
    }
}
"""

#: deterministic, so a CI run cannot fail by chance; no example database on disk
MUTATIONS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None,
                     derandomize=True)

TOKENS = [t.text for t in tokenize(VALID)[:-1]]


def front_end(text: str) -> None:
    try:
        check_program(parse(text, "fuzz.p4"))
    except CompileError as exc:
        assert exc.diagnostics and all(d.loc is not None for d in exc.diagnostics)
        assert not any("internal error" in d.message for d in exc.diagnostics), str(exc)


def test_the_valid_program_checks() -> None:
    check_program(parse(VALID, "ok.p4"))


@MUTATIONS
@given(st.integers(0, len(TOKENS) - 1), st.integers(1, 3))
def test_deleting_tokens(start: int, count: int) -> None:
    front_end(" ".join(TOKENS[:start] + TOKENS[start + count:]))


@MUTATIONS
@given(st.integers(0, len(TOKENS) - 1), st.sampled_from(sorted(set(TOKENS))))
def test_replacing_a_token(at: int, token: str) -> None:
    front_end(" ".join([*TOKENS[:at], token, *TOKENS[at + 1:]]))


@settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(st.lists(st.sampled_from(sorted(set(TOKENS))), max_size=40))
def test_token_soup(tokens: list[str]) -> None:
    front_end(" ".join(tokens))


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    text = "const bit<8> X = " + "(" * 5000 + "1" + ")" * 5000 + ";"
    try:
        parse(text, "deep.p4")
    except CompileError as exc:
        assert "nested too deeply" in exc.diagnostics[0].message
