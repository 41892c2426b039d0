"""Mutated BMv2 JSON: loading either succeeds or raises ConfigError, never another exception;
a program that loads never raises out of process()."""

from __future__ import annotations

import copy
import json
import pathlib
import random
from typing import Any

from softp4.switch import ConfigError, Switch

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
JUNK: list[Any] = [None, 0, -1, 7, "x", "0xzz", [], {}, [1, 2], {"type": "field"}, True, 1 << 70]


def paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += paths(v, (*prefix, i))
    return out


def mutate(j: dict, rng: random.Random) -> dict:
    j = copy.deepcopy(j)
    for _ in range(rng.randrange(1, 4)):
        target = rng.choice(paths(j)[1:])
        parent: Any = j
        for k in target[:-1]:
            parent = parent[k]
        last = target[-1]
        if isinstance(parent, dict) and rng.random() < 0.3:
            del parent[last]
        else:
            parent[last] = copy.deepcopy(rng.choice(JUNK))
    return j


def test_mutated_json_loads_or_raises_config_error() -> None:
    rng = random.Random(99)
    frames = [b"", bytes(14), bytes.fromhex("000000000001000000000009080045000021") + bytes(30)]
    loaded = 0
    for name in ("basic_ipv4.json", "l2_switch.json"):
        base = json.loads((FIXTURES / name).read_text())
        for _ in range(300):
            j = mutate(base, rng)
            try:
                sw = Switch(j)
            except ConfigError:
                continue
            loaded += 1
            for f in frames:
                assert isinstance(sw.process(rng.randrange(4), f), list)
    assert loaded > 0
