"""benchmarks/switch_workloads.py: every workload's frames come out of softp4 as the workload says, in process.

The veth benchmark trusts these workloads to tell a forwarded frame (and its number) from anything
else; here each one runs through Switch.process() with its entries installed by name, frames in
sending order, and must give exactly the expected frame on its out port with the right tag.
"""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _load(name: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


workloads_module = _load("switch_workloads")
inprocess_module = _load("switch_inprocess")


@cache
def _compiled(program: str, source_dir: Path) -> tuple[str, Any]:
    workload = next(w for w in workloads_module.workloads(10) if w.program == program)
    result: tuple[str, Any] = inprocess_module.compile_softp4(workload)
    return result


@pytest.mark.parametrize("name", workloads_module.WORKLOAD_NAMES)
def test_frames_in_order_come_out_as_expected(name: str) -> None:
    workload = next(w for w in workloads_module.workloads(10) if w.name == name)
    sw = inprocess_module.switch_for(workload, *_compiled(workload.program, workload.source_dir))
    for n in range(40):  # across an ACK of the receive path (every 16th frame)
        outs = [d for p, d in sw.process(workload.in_port, workload.frame(n)) if p == workload.out_port]
        assert len(outs) == 1, f"frame {n}: {outs}"
        want = workload.expect(n)
        assert outs[0][: len(want)] == want, f"frame {n}"
        assert workload.tag(outs[0]) == n


def test_out_of_order_receive_frame_is_not_delivered() -> None:
    """nic-rx is stateful: a frame past a gap is dropped, which is why the benchmark never loses one."""
    workload = next(w for w in workloads_module.workloads(10) if w.name == "nic-rx")
    sw = inprocess_module.switch_for(workload, *_compiled(workload.program, workload.source_dir))
    assert [p for p, _ in sw.process(workload.in_port, workload.frame(0))] == [workload.out_port]
    assert all(p != workload.out_port for p, _ in sw.process(workload.in_port, workload.frame(2)))


def test_tags_tell_other_frames_apart() -> None:
    for workload in workloads_module.workloads(10):
        assert workload.tag(bytes(60)) is None, workload.name
        assert workload.tag(workload.frame(70_000)) in (None, 70_000 % 65_536)
    ack = next(w for w in workloads_module.workloads(10) if w.name == "nic-ack")
    assert ack.tag(bytes(60)) is None
    assert ack.tag(ack.expect(70_000)) == 70_000 % 65_536
