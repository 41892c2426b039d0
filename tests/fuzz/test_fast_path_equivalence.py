"""The untraced fast path of the switch gives what the traced, generic flow gives.

An untraced packet runs through the switch's fast path (one copy, no queues, a generated parser
and deparser); a traced one through the generic v1model flow and the interpreted parser. For
every corpus program with an STF file (configured by it: entries, groups, clone sessions), two
identical switches get the same frames, the STF's own and mutations of them, one with the
trace on: their outputs, digests, registers and counters must be equal frame by frame.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from softp4.switch import Switch

from .frames import mutate
from .targets import Target, corpus_programs, corpus_target

FRAMES = 120
SEED = 0x5EED

STF_PROGRAMS = [p for p in corpus_programs() if p.with_suffix(".stf").is_file()]


def _run(target: Target, frames: list[tuple[int, bytes]], traced: bool) -> tuple[list[object], list[object]]:
    sw = target.switch
    digests: list[object] = []
    sw.on_digest(lambda name, values: digests.append((name, values)))
    sw.trace = (lambda line: None) if traced else None
    random.seed(SEED)  # the switch's random() and "random" hash draw from the random module
    outs: list[object] = [sw.process(port, frame) for port, frame in frames]
    return outs, digests


def _state(sw: Switch, config: dict[str, Any]) -> dict[str, list[object]]:
    state: dict[str, list[object]] = {}
    for r in config.get("register_arrays", []):
        state["reg " + r["name"]] = [sw.register_read(r["name"], i) for i in range(int(r["size"]))]
    for c in config.get("counter_arrays", []):
        if not c.get("is_direct"):
            state["ctr " + c["name"]] = [sw.counter_read(c["name"], i) for i in range(int(c["size"]))]
    return state


def test_the_corpus_has_programs_for_the_comparison() -> None:
    assert len(STF_PROGRAMS) >= 30


@pytest.mark.parametrize("path", STF_PROGRAMS, ids=lambda p: p.stem)
def test_untraced_fast_path_matches_traced_flow(path: Path) -> None:
    state = random.getstate()
    try:
        fast = corpus_target(path)
        slow = corpus_target(path)
        rng = random.Random(f"{SEED}:{path.stem}")
        seeds = fast.valid
        frames = list(seeds)
        while len(frames) < FRAMES:
            port, frame = rng.choice(seeds)
            frames.append((rng.choice(fast.ports) if rng.random() < 0.2 else port, mutate(rng, frame)))
        fast_outs, fast_digests = _run(fast, frames, traced=False)
        slow_outs, slow_digests = _run(slow, frames, traced=True)
        for i, (a, b) in enumerate(zip(fast_outs, slow_outs, strict=True)):
            assert a == b, f"{path.stem}: frame #{i} on port {frames[i][0]}: {frames[i][1].hex()}"
        assert fast_digests == slow_digests
        assert _state(fast.switch, fast.config) == _state(slow.switch, slow.config)
        assert fast.errors == [] and slow.errors == []
    finally:
        random.setstate(state)
