"""controlgen: a control's node graph as one generated function runs the same steps as the node loop."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from softp4.switch.control import ActionCallNode, CondNode, Node, Pipeline
from softp4.switch.controlgen import compile_pipeline, successors


class _Pkt:
    exit = False


class _Action:
    """Records its name when run; sets exit when told to."""

    def __init__(self, name: str, log: list[str], exits: bool = False) -> None:
        self.name = name
        self.log = log
        self.exits = exits

    def run(self, p: Any, d: Any) -> None:
        self.log.append(self.name)
        if self.exits and p[3]:
            p[0].exit = True


def _call(name: str, log: list[str], exits: bool = False) -> ActionCallNode:
    return ActionCallNode(name, _Action(name, log, exits))  # type: ignore[arg-type]


def _cond(name: str, slot: int) -> CondNode:
    return CondNode(name, lambda p, d: bool(p[slot]), f"bool(p[{slot}])")


def _graph(log: list[str]) -> Node:
    """c1 ? (a1; c2 ? a2 : a3 (exits if p[3])) : a4; then a shared a5 reached from a2 and from c3,
    which joins later than c2's branches: a DAG that is not plainly nested."""
    c1, c2, c3 = _cond("c1", 1), _cond("c2", 2), _cond("c3", 3)
    a1, a2, a3, a4, a5, a6 = (_call(n, log, exits=n == "a3") for n in ("a1", "a2", "a3", "a4", "a5", "a6"))
    c1.true_next, c1.false_next = a1, a4
    a1.next = c2
    c2.true_next, c2.false_next = a2, a3
    a2.next = a5
    a3.next = c3
    c3.true_next, c3.false_next = a5, a6
    a4.next = a6
    a5.next = a6
    a6.next = None
    for n in (c1, c2, c3, a1, a2, a3, a4, a5, a6):
        n.finish()
    return c1


def test_generated_function_runs_the_steps_of_the_node_loop() -> None:
    log: list[str] = []
    init = _graph(log)
    compiled = compile_pipeline("g", init)
    assert compiled is not None
    loop, generated = Pipeline("g", init), Pipeline("g", init, compiled)
    for bits in itertools.product((0, 1), repeat=3):
        runs = []
        for pipeline in (loop, generated):
            log.clear()
            p = [_Pkt(), *bits]
            pipeline.run(p)
            runs.append((list(log), p[0].exit))
        assert runs[0] == runs[1], bits
        assert runs[0][1] is False  # exit is cleared at the end of the control


def test_exit_stops_the_generated_function_where_the_loop_stops() -> None:
    log: list[str] = []
    compiled = compile_pipeline("g", _graph(log))
    assert compiled is not None
    compiled([_Pkt(), 1, 0, 1])
    assert log == ["a1", "a3"]  # a3 exits: neither c3's a5 nor a6 runs


def test_successors_of_each_kind() -> None:
    log: list[str] = []
    init = _graph(log)
    assert isinstance(init, CondNode)
    assert successors(init) == [init.true_next, init.false_next]
    assert isinstance(init.false_next, ActionCallNode)
    assert successors(init.false_next) == [init.false_next.next]


def test_project_programs_run_compiled_controls() -> None:
    """nic.p4 and tor.p4 get generated controls, not the node loop."""
    from softp4.compiler import compile_file
    from softp4.switch import Switch

    p4src = Path(__file__).resolve().parents[2] / "p4src"
    for name in ("nic", "tor"):
        prog = Switch(compile_file(p4src / f"{name}.p4", include_dirs=[p4src]).bmv2_json).program
        assert prog.ingress is not None and prog.ingress.compiled is not None, name
        assert prog.egress is not None and prog.egress.compiled is not None, name


def test_empty_pipeline_has_nothing_to_compile() -> None:
    assert compile_pipeline("empty", None) is None


def test_a_graph_too_large_to_structure_keeps_the_node_loop(monkeypatch: Any) -> None:
    import softp4.switch.controlgen as controlgen

    log: list[str] = []
    init = _graph(log)
    monkeypatch.setattr(controlgen, "MAX_BLOCKS_PER_NODE", 0)
    monkeypatch.setattr(controlgen, "MAX_DEPTH", 1)
    assert controlgen.compile_pipeline("g", init) is None
    Pipeline("g", init, None).run([_Pkt(), 0, 0, 0])
    assert log == ["a4", "a6"]
