"""Resolving names through P4Info: full names, unique suffixes, and located errors."""

from __future__ import annotations

import pytest
from finsy.proto import p4i
from google.protobuf import text_format

from controller.entries import Entry, Match
from controller.p4names import NameResolutionError, P4Names

P4INFO = """
tables { preamble { id: 33554433 name: "Ingress.a.fwd" alias: "a.fwd" }
  match_fields { id: 1 name: "port" bitwidth: 9 match_type: EXACT }
  match_fields { id: 2 name: "addr" bitwidth: 32 match_type: LPM }
  action_refs { id: 16777217 } action_refs { id: 16777218 } size: 16 }
tables { preamble { id: 33554434 name: "Ingress.b.fwd" alias: "b.fwd" }
  match_fields { id: 1 name: "port" bitwidth: 9 match_type: EXACT }
  action_refs { id: 16777218 } size: 16 }
actions { preamble { id: 16777217 name: "Ingress.a.send" alias: "send" }
  params { id: 1 name: "port" bitwidth: 9 } params { id: 2 name: "mac" bitwidth: 48 } }
actions { preamble { id: 16777218 name: "NoAction" alias: "NoAction" } }
counters { preamble { id: 301989889 name: "Ingress.a.hits" alias: "hits" } size: 4 }
"""


@pytest.fixture
def names() -> P4Names:
    info = p4i.P4Info()
    text_format.Parse(P4INFO, info)
    return P4Names(info)


def test_full_names_and_unique_suffixes(names: P4Names) -> None:
    assert names.table("Ingress.a.fwd").preamble.id == 33554433
    assert names.table("a.fwd").preamble.id == 33554433
    assert names.action("send").preamble.id == 16777217
    assert names.get("counters", "hits").size == 4


def test_ambiguous_suffix_is_refused(names: P4Names) -> None:
    with pytest.raises(NameResolutionError, match=r"no table 'fwd'"):
        names.table("fwd")


def test_resolve_orders_fields_and_params(names: P4Names) -> None:
    entry = Entry("a.fwd", (Match("addr", 0x0A000000, 8), Match("port", 3)), "send", (("mac", 0xAB), ("port", 5)))
    resolved = names.resolve_entry(entry)
    assert [(m.field_id, m.match_type, m.value, m.prefix_len) for m in resolved.match] == [
        (1, "exact", 3, None),
        (2, "lpm", 0x0A000000, 8),
    ]
    assert resolved.params == ((1, 9, 5), (2, 48, 0xAB))
    assert resolved.table == "Ingress.a.fwd" and resolved.action == "Ingress.a.send"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (Entry("a.fwdd", (), "send", ()), r"no table 'a.fwdd' \(did you mean 'a.fwd'\?\)"),
        (Entry("b.fwd", (Match("port", 1),), "send", ()), r"table 'Ingress.b.fwd' has no action 'send'"),
        (Entry("a.fwd", (Match("port", 1),), "send", ()), r"match field 'addr' is missing"),
        (Entry("a.fwd", (Match("port", 1), Match("addr", 1)), "send", ()), r"match field 'addr' is lpm"),
        (Entry("a.fwd", (Match("port", 512), Match("addr", 0, 0)), "send", ()), r"0x200 does not fit field 'port'"),
        (
            Entry("a.fwd", (Match("port", 1), Match("addr", 0, 0), Match("vlan", 1)), "send", ()),
            r"table has no match field 'vlan'",
        ),
        (
            Entry("a.fwd", (Match("port", 1), Match("addr", 0, 0)), "send", (("port", 1),)),
            r"parameter 'mac' is missing",
        ),
        (
            Entry("a.fwd", (Match("port", 1), Match("addr", 0, 0)), "send", (("port", 1), ("mac", 1 << 48))),
            r"does not fit parameter 'mac' of 48 bits",
        ),
    ],
)
def test_bad_entries_are_named(names: P4Names, entry: Entry, message: str) -> None:
    with pytest.raises(NameResolutionError, match=message) as err:
        names.resolve_entry(entry)
    assert str(err.value).startswith(entry.describe())
