"""P4Runtime id assignment, checked against an independent, literal reading of the rule."""

from __future__ import annotations

import pytest

from softp4.compiler.p4info.ids import (
    IdAllocator,
    IdError,
    Kind,
    assign_ids,
    hashed_id,
    jenkins_one_at_a_time,
)


def reference_hash(name: str) -> int:
    """Bob Jenkins' one-at-a-time hash, written out with explicit modulo arithmetic."""
    m = 2**32
    h = 0
    for ch in name.encode("utf-8"):
        h = (h + ch) % m
        h = (h + h * 1024) % m
        h = h ^ (h // 64)
    h = (h + h * 8) % m
    h = h ^ (h // 2048)
    return (h + h * 32768) % m


def reference_ids(prefix: int, names: list[str], reserved: set[int]) -> dict[str, int]:
    taken = set(reserved)
    out = {}
    for name in sorted(names):
        low = reference_hash(name) % 2**24
        while prefix * 2**24 + low in taken:
            low = (low + 1) % 2**24
        out[name] = prefix * 2**24 + low
        taken.add(out[name])
    return out


@pytest.mark.parametrize("name", ["", "a", "NoAction", "MyIngress.ipv4_lpm", "ingress.c.t", "x" * 300, "caf\u00e9.t"])
def test_hash_matches_reference(name: str) -> None:
    assert jenkins_one_at_a_time(name) == reference_hash(name)


def test_literal_ids_seen_in_p4c_outputs() -> None:
    # testdata/p4_16_samples_outputs/action_profile-bmv2.p4.p4info.txtpb
    assert hashed_id(Kind.ACTION, "NoAction") == 21257015 == 0x01445B37
    assert hashed_id(Kind.TABLE, "IngressI.indirect") == 46872340
    assert hashed_id(Kind.ACTION_PROFILE, "ap_ws") == 300324846
    # testdata/p4_16_samples_outputs/default-action-arg-bmv2.p4.p4info.txtpb
    assert hashed_id(Kind.TABLE, "ingress.c.t") == 43577110
    assert hashed_id(Kind.ACTION, "ingress.c.add") == 29022044


def test_prefixes() -> None:
    assert [int(k) for k in Kind] == [0x01, 0x02, 0x03, 0x04, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17]
    for kind in Kind:
        assert hashed_id(kind, "t") >> 24 == int(kind)


def _colliding_pair() -> tuple[str, str]:
    seen: dict[int, str] = {}
    i = 0
    while True:
        name = f"c.t{i}"
        low = reference_hash(name) & 0xFFFFFF
        if low in seen:
            return seen[low], name
        seen[low] = name
        i += 1


def test_collision_bumps_the_later_name_in_sorted_order() -> None:
    a, b = _colliding_pair()
    first, second = sorted([a, b])
    ids = IdAllocator().assign(Kind.TABLE, [second, first])
    base = 0x02000000 | (reference_hash(first) & 0xFFFFFF)
    assert ids[first] == base
    assert ids[second] == base + 1 or (base & 0xFFFFFF == 0xFFFFFF and ids[second] == 0x02000000)
    assert ids == reference_ids(0x02, [a, b], set())


def test_many_names_equal_reference() -> None:
    names = [f"MyIngress.t{i}" for i in range(3000)]
    got = IdAllocator().assign(Kind.ACTION, names)
    assert got == reference_ids(0x01, names, set())
    assert len(set(got.values())) == 3000


def test_annotated_id_is_reserved_before_hashing() -> None:
    victim = "MyIngress.fwd"
    victim_id = hashed_id(Kind.ACTION, victim)
    ids = assign_ids({Kind.ACTION: {"MyIngress.zzz": victim_id & 0xFFFFFF, victim: None}})
    assert ids[(Kind.ACTION, "MyIngress.zzz")] == victim_id
    assert ids[(Kind.ACTION, victim)] == victim_id + 1


def test_annotated_id_with_prefix_kept_and_without_prefix_completed() -> None:
    ids = assign_ids({Kind.TABLE: {"a": 0x02000007, "b": 9}, Kind.COUNTER: {"c": 9}})
    assert ids[(Kind.TABLE, "a")] == 0x02000007
    assert ids[(Kind.TABLE, "b")] == 0x02000009
    assert ids[(Kind.COUNTER, "c")] == 0x12000009


def test_wrong_prefix_and_duplicate_id_are_errors() -> None:
    with pytest.raises(IdError, match="wrong 8-bit prefix"):
        IdAllocator().reserve(Kind.TABLE, "t", 0x01000001)
    alloc = IdAllocator()
    alloc.reserve(Kind.TABLE, "t1", 5)
    with pytest.raises(IdError, match="multiple declarations"):
        alloc.reserve(Kind.TABLE, "t2", 0x02000005)
    with pytest.raises(IdError, match="unsigned 32-bit"):
        IdAllocator().reserve(Kind.TABLE, "t", -1)


def test_same_name_twice_is_one_symbol() -> None:
    alloc = IdAllocator()
    ids = alloc.assign(Kind.ACTION, ["NoAction", "NoAction"])
    assert ids == {"NoAction": 21257015}
    assert alloc.assign(Kind.ACTION, ["NoAction"]) == {"NoAction": 21257015}
    assert alloc.has(Kind.ACTION, "NoAction") and not alloc.has(Kind.TABLE, "NoAction")
