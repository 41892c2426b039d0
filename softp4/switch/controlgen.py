"""One generated Python function per control pipeline: the node graph as nested if/else.

A pipeline is a DAG of tables, conditionals and action calls (loader checks it is acyclic). Run
node by node, each packet pays a loop turn, a method lookup and a call per node, a conditional
included. Here the graph becomes structured code: a conditional is an `if` over its generated
expression, a table is a call to its step followed by a branch on the node it returns, and both
branches meet again at the node's immediate post-dominator (the first node every path from it
reaches), so nothing after a join is generated twice in the common shapes p4c writes. After every
table and action call the generated code checks `exit`, exactly where the node loop did.

Where the structure would grow large (nodes shared by branches that join later, deep nesting),
`compile_pipeline` returns None and the pipeline keeps its node loop: both run the same steps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from softp4.switch.codegen import HELPERS
from softp4.switch.control import ActionCallNode, CondNode, Node, TableNode
from softp4.switch.packet import PHV

MAX_DEPTH = 60  # Python refuses about 100 nested blocks
MAX_BLOCKS_PER_NODE = 3  # generated node blocks per graph node before the loop is kept instead


def successors(node: Node) -> list[Node | None]:
    """The nodes `node` may hand over to (None: the end of the pipeline), each once, in a fixed order."""
    if isinstance(node, CondNode):
        found = [node.true_next, node.false_next]
    elif isinstance(node, TableNode):
        if node.hitmiss:
            found = [node.hit_next, node.miss_next]
        else:
            # the next node of the action that ran, else the default next node
            found = [*node.next_by_action.values(), node.base_default_next]
    elif isinstance(node, ActionCallNode):
        found = [node.next]
    else:
        raise TypeError(f"unknown node {node!r}")
    unique: list[Node | None] = []
    for n in found:
        if not any(n is u for u in unique):
            unique.append(n)
    return unique


class _TooLarge(Exception):
    pass


class _Gen:
    def __init__(self, init: Node | None) -> None:
        self.nodes: list[Node] = []
        self.index: dict[int, int] = {}
        self._collect(init)
        self.pdom = self._post_dominators()
        self.lines: list[str] = []
        self.namespace: dict[str, Any] = dict(HELPERS)
        self.blocks = 0

    def _collect(self, init: Node | None) -> None:
        stack = [init]
        while stack:
            n = stack.pop()
            if n is None or id(n) in self.index:
                continue
            self.index[id(n)] = len(self.nodes)
            self.nodes.append(n)
            stack.extend(successors(n))

    def _post_dominators(self) -> dict[int, frozenset[int]]:
        """Post-dominator sets by node id (-1 stands for the end of the pipeline)."""
        pdom: dict[int, frozenset[int]] = {-1: frozenset({-1})}
        order: list[Node] = []
        seen: set[int] = set()

        def visit(n: Node | None) -> None:  # post-order: successors first (the graph is acyclic)
            stack: list[tuple[Node, bool]] = [] if n is None else [(n, False)]
            while stack:
                node, done = stack.pop()
                if done:
                    order.append(node)
                    continue
                if id(node) in seen:
                    continue
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((s, False) for s in successors(node) if s is not None and id(s) not in seen)

        for n in self.nodes:
            visit(n)
        for node in order:
            sets = [pdom[self._key(s)] for s in successors(node)]
            common = frozenset.intersection(*sets) if sets else frozenset({-1})
            pdom[self._key(node)] = common | {self._key(node)}
        return pdom

    def _key(self, n: Node | None) -> int:
        return -1 if n is None else self.index[id(n)]

    def join(self, node: Node) -> Node | None:
        """The immediate post-dominator of `node` (None: the end of the pipeline)."""
        key = self._key(node)
        others = self.pdom[key] - {key}
        best = max(others, key=lambda k: len(self.pdom[k]))
        return None if best == -1 else self.nodes[best]

    def name(self, kind: str, value: Any) -> str:
        name = f"{kind}{len(self.namespace)}"
        self.namespace[name] = value
        return name

    def emit(self, depth: int, line: str) -> None:
        if depth > MAX_DEPTH:
            raise _TooLarge
        self.lines.append("    " * depth + line)

    def block(self, node: Node | None, stop: Node | None, depth: int) -> None:
        """Code that runs from `node` up to (not including) `stop`, or to the pipeline's end."""
        start = len(self.lines)
        while node is not None and node is not stop:
            self.blocks += 1
            if self.blocks > MAX_BLOCKS_PER_NODE * len(self.nodes) + 8:
                raise _TooLarge
            if isinstance(node, CondNode) and node.source is not None:
                join = self.join(node)
                self.emit(depth, f"if {node.source}:")
                self.block(node.true_next, join, depth + 1)
                self.emit(depth, "else:")
                self.block(node.false_next, join, depth + 1)
                node = join
                continue
            step = self.name("S", node.step)
            nexts = successors(node)
            if isinstance(node, CondNode):  # a conditional without generated source: its step decides
                self.emit(depth, f"n = {step}(p)")
            elif isinstance(node, TableNode) and node.const_default is not None:
                # TableNode.finish's keyless step, inline: the const default action unless entries were added
                recs, run, data, nxt = node.const_default
                self.emit(depth, f"if {self.name('R', recs)}:")
                self.emit(depth + 1, f"n = {step}(p)")
                self.emit(depth, "else:")
                self.emit(depth + 1, f"{self.name('A', run)}(p, {self.name('D', data)})")
                self.emit(depth + 1, f"n = {self.name('N', nxt)}")
                self.emit(depth, "if pkt.exit:")
                self.emit(depth + 1, "return")
                if len(nexts) == 1:
                    node = nexts[0]
                    continue
            elif len(nexts) == 1:
                self.emit(depth, f"{step}(p)")
                self.emit(depth, "if pkt.exit:")
                self.emit(depth + 1, "return")
                node = nexts[0]
                continue
            else:
                self.emit(depth, f"n = {step}(p)")
                self.emit(depth, "if pkt.exit:")
                self.emit(depth + 1, "return")
            join = self.join(node)
            first = True
            for nxt in nexts:
                if nxt is join:
                    continue
                self.emit(depth, f"{'if' if first else 'elif'} n is {self.name('N', nxt)}:")
                self.block(nxt, join, depth + 1)
                first = False
            node = join
        if len(self.lines) == start:
            self.emit(depth, "pass")


def compile_pipeline(name: str, init: Node | None) -> Callable[[PHV], None] | None:
    """The pipeline as one function of the PHV (it leaves `exit` set when the control exited), or None."""
    if init is None:
        return None
    try:
        gen = _Gen(init)
        gen.block(init, None, 1)
    except (_TooLarge, RecursionError):
        return None
    source = "def run(p):\n    d = None\n    pkt = p[0]\n" + "\n".join(gen.lines) + "\n"
    try:
        exec(compile(source, f"<control {name}>", "exec"), gen.namespace)
    except (SyntaxError, RecursionError, MemoryError):
        return None
    fn: Callable[[PHV], None] = gen.namespace["run"]
    return fn
