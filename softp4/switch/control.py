"""Control flow of a pipeline: tables and conditionals as nodes linked at load time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from softp4.switch.codegen import HELPERS
from softp4.switch.packet import PHV
from softp4.switch.primitives import MAX_ACTION_STEPS, runaway_action
from softp4.switch.tables import ActionDef, Lpm, Optional, Range, Rec, Table, Ternary

Trace = Callable[[str], None]


def run_action_traced(a: ActionDef, p: PHV, d: Any, tr: Trace) -> None:
    tr(f"Action {a.name}")
    prims = a.prims
    n = len(prims)
    pc = 0
    steps = 0
    while pc < n:
        fn, desc = prims[pc]
        if not desc.startswith("Primitive _jump"):
            tr(desc)
        r = fn(p, d)
        pc = pc + 1 if r is None else r
        steps += 1
        if steps > MAX_ACTION_STEPS:
            raise runaway_action(a.name)


def _fmt_data(d: list[int]) -> str:
    return "".join(f"{v:x}," for v in d)


def _fmt_match(m: Any) -> str:
    if isinstance(m, Lpm):
        return f"LPM {m.value:x}/{m.prefix_len}"
    if isinstance(m, Ternary):
        return f"TERNARY {m.value:x} &&& {m.mask:x}"
    if isinstance(m, Range):
        return f"RANGE {m.low:x} -> {m.high:x}"
    if isinstance(m, Optional):
        return "OPTIONAL *" if m.value is None else f"OPTIONAL {m.value:x}"
    return f"EXACT {m.value:x}"


def _dump_entry(t: Table, r: Rec) -> str:
    keys = ", ".join(f"{k.name}: {_fmt_match(m)}" for k, m in zip(t.keys, r.key, strict=True))
    prio = f" (priority {r.priority})" if t.needs_priority else ""
    return f"Dumping entry {r.handle}: {keys}{prio}"


class Node:
    name: str
    step: Callable[[PHV], Node | None]  # the fast path: apply, or a generated function (conditions)

    def finish(self) -> None:
        """Called once the graph is linked."""
        self.step = self.apply

    def apply(self, p: PHV) -> Node | None:
        raise NotImplementedError

    def apply_traced(self, p: PHV, tr: Trace) -> Node | None:
        raise NotImplementedError


class TableNode(Node):
    def __init__(self, table: Table) -> None:
        self.name = table.name
        self.table = table
        self.hitmiss = False
        self.hit_next: Node | None = None
        self.miss_next: Node | None = None
        self.next_by_action: dict[int, Node | None] = {}
        self.base_default_next: Node | None = None
        self.direct_meter: Any = None  # MeterArray
        self.meter_setter: Callable[[PHV, Any, Any], None] | None = None
        # p4c's keyless tbl_<action> with a const default: (its entries, the action's run, its data, next node)
        self.const_default: tuple[dict[Any, Rec], Callable[[PHV, Any], None], Any, Node | None] | None = None

    def finish(self) -> None:
        t = self.table
        a = t.default_action
        if t.keys or a is None or not (t.default_const and t.default_entry_const):
            self.step = self.apply
            return
        # p4c's keyless tbl_<action>: runs its const default action unless an entry was added
        recs = t.recs
        slow = self.apply
        run = a.run
        data = t.default_data
        nxt = self.miss_next if self.hitmiss else self.next_by_action.get(a.id, self.base_default_next)
        self.const_default = (recs, run, data, nxt)

        def step(p: PHV) -> Node | None:
            if recs:
                return slow(p)
            run(p, data)
            return nxt

        self.step = step

    def _next(self, hit: bool, a: ActionDef | None) -> Node | None:
        if self.hitmiss:
            return self.hit_next if hit else self.miss_next
        if a is None:
            return self.base_default_next
        return self.next_by_action.get(a.id, self.base_default_next)

    def _hit(self, p: PHV, r: Rec) -> None:
        t = self.table
        if t.with_counters:
            r.nbytes += p[0].ingress_length
            r.npackets += 1
        if t.with_ageing:
            r.ts = t.clock()
        if r.meter is not None and self.meter_setter is not None:
            mtr = self.direct_meter
            amount = 1 if mtr.packets else p[0].ingress_length
            self.meter_setter(p, None, r.meter.execute(amount))

    def apply(self, p: PHV) -> Node | None:
        t = self.table
        # an empty table (p4c's keyless tbl_<action> wrappers among them) needs no key
        r = t.lookup(t.key_fn(p)) if t.recs else None
        if r is None:
            a = t.default_action
            if self.hitmiss:
                if a is not None:
                    a.run(p, t.default_data)
                return self.miss_next
            if a is None:
                return self.base_default_next
            a.run(p, t.default_data)
            return self.next_by_action.get(a.id, self.base_default_next)
        if t.with_counters or t.with_ageing or r.meter is not None:
            self._hit(p, r)
        a = r.action
        a.run(p, r.data)
        if self.hitmiss:
            return self.hit_next
        return self.next_by_action.get(a.id, self.base_default_next)

    def apply_traced(self, p: PHV, tr: Trace) -> Node | None:
        t = self.table
        tr(f"Applying table '{t.name}'")
        key = t.key_fn(p)
        if t.keys:
            tr("Looking up key: " + ", ".join(f"{k.name}: {v:x}" for k, v in zip(t.keys, key, strict=True)))
        r = t.lookup(key)
        if r is None:
            a = t.default_action
            tr(f"Table '{t.name}': miss")
            if a is not None:
                tr(f"Action entry is {a.name} - {_fmt_data(t.default_data)}")
                run_action_traced(a, p, t.default_data, tr)
            return self._next(False, a)
        tr(f"Table '{t.name}': hit with handle {r.handle}")
        tr(_dump_entry(t, r))
        self._hit(p, r)
        tr(f"Action entry is {r.action.name} - {_fmt_data(r.data)}")
        run_action_traced(r.action, p, r.data, tr)
        return self._next(True, r.action)


class IndirectTableNode(TableNode):
    """A table whose entries point to action profile members or selector groups."""

    def _resolve(self, p: PHV, r: Rec) -> tuple[ActionDef, Any] | None:
        if r.ref is None:
            return r.action, r.data
        picked: tuple[ActionDef, Any] | None = self.table.profile.pick(p, r.ref[0], r.ref[1])
        return picked

    def apply(self, p: PHV) -> Node | None:
        t = self.table
        r = t.lookup(t.key_fn(p))
        picked = None if r is None else self._resolve(p, r)
        if r is None or picked is None:
            a = t.default_action
            if a is not None:
                a.run(p, t.default_data)
            return self._next(False, a)
        self._hit(p, r)
        a, data = picked
        a.run(p, data)
        return self._next(True, a)

    def apply_traced(self, p: PHV, tr: Trace) -> Node | None:
        t = self.table
        tr(f"Applying table '{t.name}'")
        r = t.lookup(t.key_fn(p))
        picked = None if r is None else self._resolve(p, r)
        if r is None or picked is None:
            a = t.default_action
            tr(f"Table '{t.name}': miss")
            if a is not None:
                run_action_traced(a, p, t.default_data, tr)
            return self._next(False, a)
        tr(f"Table '{t.name}': hit with handle {r.handle}")
        tr(_dump_entry(t, r))
        self._hit(p, r)
        a, data = picked
        tr(f"Action entry is {a.name} - {_fmt_data(data)}")
        run_action_traced(a, p, data, tr)
        return self._next(True, a)


class CondNode(Node):
    def __init__(self, name: str, expr: Callable[[PHV, Any], Any], source: str | None = None) -> None:
        self.name = name
        self.expr = expr
        self.source = source  # generated Python for the condition, if any
        self.true_next: Node | None = None
        self.false_next: Node | None = None

    def finish(self) -> None:
        if self.source is None:
            self.step = self.apply
            return
        namespace: dict[str, Any] = dict(HELPERS)
        namespace["T"] = self.true_next
        namespace["F"] = self.false_next
        src = f"def step(p):\n    d = None\n    return T if {self.source} else F\n"
        exec(compile(src, f"<condition {self.name}>", "exec"), namespace)
        self.step = namespace["step"]

    def apply(self, p: PHV) -> Node | None:
        return self.true_next if self.expr(p, None) else self.false_next

    def apply_traced(self, p: PHV, tr: Trace) -> Node | None:
        v = bool(self.expr(p, None))
        tr(f'Condition "{self.name}" is {str(v).lower()}')
        return self.true_next if v else self.false_next


class ActionCallNode(Node):
    def __init__(self, name: str, action: ActionDef) -> None:
        self.name = name
        self.action = action
        self.next: Node | None = None

    def apply(self, p: PHV) -> Node | None:
        self.action.run(p, ())
        return self.next

    def apply_traced(self, p: PHV, tr: Trace) -> Node | None:
        run_action_traced(self.action, p, (), tr)
        return self.next


class Pipeline:
    def __init__(self, name: str, init: Node | None, compiled: Callable[[PHV], None] | None = None) -> None:
        """`compiled`: the whole graph as one function (controlgen), run instead of the node loop."""
        self.name = name
        self.init = init
        self.compiled = compiled

    def run(self, p: PHV) -> None:
        pkt = p[0]
        pkt.exit = False
        compiled = self.compiled
        if compiled is not None:
            compiled(p)
            pkt.exit = False
            return
        node = self.init
        while node is not None:
            node = node.step(p)
            if pkt.exit:
                break
        pkt.exit = False

    def run_traced(self, p: PHV, tr: Trace) -> None:
        tr(f"Pipeline '{self.name}': start")
        node = self.init
        pkt = p[0]
        pkt.exit = False
        while node is not None:
            node = node.apply_traced(p, tr)
            if pkt.exit and node is not None:
                tr("Packet is marked for exit, interrupting pipeline")
                break
        pkt.exit = False
        tr(f"Pipeline '{self.name}': end")
