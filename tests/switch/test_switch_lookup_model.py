"""Table lookups against a brute-force model: random entries and keys, exact/lpm/ternary/range mixes."""

from __future__ import annotations

import random

from switch_programs import RD, F, Program, assign, extract, state

from softp4.switch import AlreadyExists, Exact, Lpm, Range, Switch, Ternary
from softp4.switch.tables import Match


def program(kinds: list[str]) -> Switch:
    p = Program()
    p.header_type("h_t", [("k0", 8), ("k1", 8), ("tag", 16)])
    p.header("h", "h_t")
    p.states = [state("start", [extract("h")])]
    p.action("set_tag", [("tag", 16)], [assign(F("h", "tag"), RD(0))])
    keys = [(f"k{i}", F("h", f"k{i}"), kind) for i, kind in enumerate(kinds)]
    p.table("t", keys, ["set_tag"], default=("set_tag", [0xFFFF]), size=4096)
    return Switch(p.build())


def matches(m: object, v: int) -> bool:
    if isinstance(m, Exact):
        return v == m.value
    if isinstance(m, Lpm):
        mask = ((1 << m.prefix_len) - 1) << (8 - m.prefix_len) if m.prefix_len else 0
        return v & mask == m.value & mask
    if isinstance(m, Ternary):
        return v & m.mask == m.value & m.mask
    assert isinstance(m, Range)
    return m.low <= v <= m.high


def random_match(rng: random.Random, kind: str) -> Match:
    if kind == "exact":
        return Exact(rng.randrange(16))
    if kind == "lpm":
        plen = rng.randrange(9)
        return Lpm(rng.randrange(256) & ((((1 << plen) - 1) << (8 - plen)) if plen else 0), plen)
    if kind == "ternary":
        mask = rng.choice([0xFF, 0xF0, 0x0F, 0x00, rng.randrange(256)])
        return Ternary(rng.randrange(256) & mask, mask)
    lo = rng.randrange(256)
    return Range(lo, min(255, lo + rng.randrange(64)))


def check(kinds: list[str], seed: int, delete: bool = False) -> None:
    rng = random.Random(seed)
    sw = program(kinds)
    prio = any(k in ("ternary", "range") for k in kinds)
    entries = []
    for tag in range(150):
        key = [random_match(rng, k) for k in kinds]
        priority = rng.randrange(1, 40) if prio else 0
        try:
            sw.table_add("t", key, "set_tag", [tag], priority=priority)
        except AlreadyExists:
            continue
        entries.append((key, priority, tag))
    if delete:
        for e in rng.sample(entries, len(entries) // 3):
            handle = sw.table_find("t", e[0], e[1])
            assert handle is not None
            sw.table_delete("t", handle)
            entries.remove(e)
    for _ in range(400):
        k = [rng.randrange(16) if kind == "exact" else rng.randrange(256) for kind in kinds]
        cands = [e for e in entries if all(matches(m, v) for m, v in zip(e[0], k, strict=True))]
        if not cands:
            want = 0xFFFF
        elif prio:
            best = max(c[1] for c in cands)
            want = next(c[2] for c in cands if c[1] == best)  # earliest added among equal priorities
        else:
            want = max(cands, key=lambda c: max((m.prefix_len for m in c[0] if isinstance(m, Lpm)), default=0))[2]
        out = sw.process(0, bytes([*k, 0, 0]))
        assert int.from_bytes(out[0][1][2:4], "big") == want, (k, want)


def test_exact_exact() -> None:
    check(["exact", "exact"], 1)


def test_exact_lpm() -> None:
    check(["exact", "lpm"], 2)


def test_lpm_alone_via_two_keys_exact_first() -> None:
    check(["lpm", "exact"], 3)


def test_ternary_range() -> None:
    check(["ternary", "range"], 4)


def test_ternary_lpm() -> None:
    check(["ternary", "lpm"], 5)


def test_ternary_exact_with_deletes() -> None:
    check(["ternary", "exact"], 6, delete=True)


def test_lpm_exact_with_deletes() -> None:
    check(["lpm", "exact"], 7, delete=True)
