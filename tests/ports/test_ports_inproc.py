"""In-process ports and links between two switches."""

from __future__ import annotations

import functools
import json
import time
from pathlib import Path
from typing import Any

import pytest

from softp4.switch.ports import InProcessPorts, Link
from softp4.switch.switch import Switch
from softp4.switch.tables import Exact

FIXTURE = Path(__file__).parents[1] / "stf" / "data" / "l2acl.json"
FRAME = bytes.fromhex("000000000001" "0000000000aa" "0800") + bytes(range(20))


def forwarding_switch(default_port: int) -> Switch:
    program: dict[str, Any] = json.loads(FIXTURE.read_text())
    entry = program["pipelines"][0]["tables"][0]["default_entry"]
    entry["action_id"], entry["action_data"] = 2, [hex(default_port)]
    return Switch(program)


def attach(sw: Switch, ports: InProcessPorts, numbers: list[int]) -> None:
    for n in numbers:
        sw.attach_port(n, functools.partial(ports.send, n))
    ports.start(sw.receive)


def test_inject_and_receive_exact_bytes() -> None:
    sw = forwarding_switch(3)
    sw.table_add("MyIngress.dmac", [Exact(0x0000000000BB)], "MyIngress.forward", [1])
    ports = InProcessPorts()
    attach(sw, ports, [1, 3])
    ports.inject(0, FRAME)
    assert ports.recv(3, 0) == FRAME
    other = b"\x00\x00\x00\x00\x00\xbb" + FRAME[6:]
    ports.inject(0, other)
    ports.inject(0, other)
    assert ports.drain(1) == [other, other]
    assert ports.recv(3, 0) is None


def test_inject_before_start_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="start"):
        InProcessPorts().inject(0, FRAME)


def test_link_between_two_switches() -> None:
    a = forwarding_switch(2)  # a: everything to port 2, the link
    b = forwarding_switch(5)  # b: everything to port 5, the test's port
    out = InProcessPorts()
    attach(b, out, [5])
    link = Link(a, 2, b, 7)
    try:
        a.receive(0, FRAME)
        assert out.recv(5, timeout=5) == FRAME
    finally:
        link.close()


def test_forwarding_loop_does_not_recurse() -> None:
    a = forwarding_switch(2)
    b = forwarding_switch(7)  # b sends back over the link: the frame loops forever
    link = Link(a, 2, b, 7)
    try:
        a.receive(0, FRAME)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and link._to_a.delivered < 100:
            time.sleep(0.01)
        assert link._to_a.delivered >= 100  # still looping, no RecursionError
        assert link._to_a.last_error is None
    finally:
        link.close()
