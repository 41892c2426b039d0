"""Compile BMv2 primitive calls (core and v1model) into closures `f(p, d) -> jump target | None`."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from softp4.switch.errors import ConfigError
from softp4.switch.expressions import Expr, parse_hexstr
from softp4.switch.packet import PHV, HeaderLayout, PacketAbort, RunawayAction, StackLayout
from softp4.switch.program import Program

Prim = Callable[[PHV, Any], Any]


def describe(prim: dict[str, Any]) -> str:
    """A one-line description of a primitive for traces (its source fragment when known)."""
    si = prim.get("source_info")
    if isinstance(si, dict) and si.get("source_fragment"):
        frag = " ".join(str(si["source_fragment"]).split())
        loc = f"{si.get('filename', '')}({si.get('line', '')}) " if si.get("filename") else ""
        return f"{loc}Primitive {frag}"
    return f"Primitive {prim.get('op')}"


def _set_valid(p: PHV, h: HeaderLayout) -> None:
    """setValid(): zero the fields of an invalid header and make it valid (invalidating union siblings).

    As in BMv2, the packet length register grows by the header's size.
    """
    if not p[h.base]:
        for f in h.fields:
            p[f.slot] = 0
        p[h.base] = 1
        p[0].length += h.nbytes
    if h.union is not None:
        for o in h.union.headers:
            if o is not h:
                p[o.base] = 0


def _copy_header(p: PHV, dst: HeaderLayout, src: HeaderLayout) -> None:
    """BMv2's assign_header: an invalid source only invalidates the destination."""
    p[dst.base] = p[src.base]
    if not p[src.base]:
        return
    for fd, fs in zip(dst.fields, src.fields, strict=False):
        p[fd.slot] = p[fs.slot]
    if dst.vlen_slot >= 0 and src.vlen_slot >= 0:
        p[dst.vlen_slot] = p[src.vlen_slot]


def _stack_elements(st: StackLayout) -> list[list[HeaderLayout]]:
    """Each stack element as a list of headers (one for a header stack, the members for a union stack)."""
    if st.union_stack:
        return [list(u.headers) for u in st.unions]
    return [[h] for h in st.headers]


def _push(p: PHV, st: StackLayout, n: int) -> None:
    elems = _stack_elements(st)
    size = len(elems)
    for i in range(size - 1, -1, -1):
        if i >= n:
            for hd, hs in zip(elems[i], elems[i - n], strict=True):
                _copy_header(p, hd, hs)
        else:
            for h in elems[i]:
                p[h.base] = 0
    p[st.next_slot] = min(size, p[st.next_slot] + n)


def _pop(p: PHV, st: StackLayout, n: int) -> None:
    elems = _stack_elements(st)
    size = len(elems)
    for i in range(size):
        if i + n < size:
            for hd, hs in zip(elems[i], elems[i + n], strict=True):
                _copy_header(p, hd, hs)
        else:
            for h in elems[i]:
                p[h.base] = 0
    p[st.next_slot] = max(0, p[st.next_slot] - n)


# Expression operators whose result is a boolean, not data.
_BOOLEAN_OPS = frozenset({"==", "!=", "<", ">", "<=", ">=", "and", "or", "not", "d2b", "valid", "valid_union"})


def _is_boolean(param: Any) -> bool:
    """Whether a primitive parameter is a boolean literal or an expression with a boolean result."""
    while isinstance(param, dict) and param.get("type") == "expression":
        param = param.get("value")
    if not isinstance(param, dict):
        return False
    return param.get("type") == "bool" or param.get("op") in _BOOLEAN_OPS


class PrimitiveCompiler:
    def __init__(self, prog: Program) -> None:
        self.prog = prog
        self.ex = prog.exprs

    def _args(self, prim: dict[str, Any], n: int | tuple[int, ...], where: str) -> list[Any]:
        params = prim.get("parameters", [])
        ns = (n,) if isinstance(n, int) else n
        if not isinstance(params, list) or len(params) not in ns:
            raise ConfigError(f"{where}: primitive '{prim.get('op')}' expects {n} parameters")
        for i, param in enumerate(params):
            if _is_boolean(param):
                # simple_switch aborts on it ("Invalid expression type"); p4c converts with b2d
                raise ConfigError(
                    f"{where}: parameter {i + 1} of primitive '{prim.get('op')}' is a boolean expression "
                    "(primitive parameters are data: convert it with b2d)"
                )
        return params

    def _const(self, e: Any, where: str) -> int:
        if isinstance(e, dict) and e.get("type") == "hexstr":
            return parse_hexstr(e.get("value"), where)
        if isinstance(e, dict) and e.get("type") == "expression":
            v = e.get("value")
            if isinstance(v, dict) and "type" in v:
                return self._const(v, where)
        raise ConfigError(f"{where}: expected a constant, got {e!r}")

    def _named(self, e: Any, kind: str, table: dict[str, Any], where: str) -> Any:
        if not isinstance(e, dict) or e.get("type") != kind or e.get("value") not in table:
            raise ConfigError(f"{where}: unknown {kind} {e!r}")
        return table[e["value"]]

    def compile(self, prim: Any, where: str, index_map: list[int] | None = None) -> Prim:
        if not isinstance(prim, dict) or "op" not in prim:
            raise ConfigError(f"{where}: bad primitive {prim!r}")
        op = prim["op"]
        where = f"{where}: primitive '{op}'"
        method = getattr(self, "p_" + op, None)
        if method is None:
            raise ConfigError(f"{where}: unsupported primitive")
        fn: Prim = method(prim, where)
        return fn

    # -- core -----------------------------------------------------------------------------
    def p_assign(self, prim: dict[str, Any], where: str) -> Prim:
        dst, src = self._args(prim, 2, where)
        if isinstance(dst, dict) and dst.get("type") == "header":
            return self.p_assign_header(prim, where)
        setter = self.ex.setter(dst, where)
        if isinstance(dst, dict) and dst.get("type") == "field" and isinstance(src, dict):
            slot, width, signed = self.prog.layout.field_slot(dst["value"], where)
            if not signed:
                mask = (1 << width) - 1
                if src.get("type") == "field":
                    s, _, _ = self.prog.layout.field_slot(src["value"], where)

                    def assign_ff(p: PHV, d: Any) -> None:
                        p[slot] = p[s] & mask

                    return assign_ff
                if src.get("type") == "runtime_data":
                    i = src.get("value")

                    def assign_fd(p: PHV, d: Any) -> None:
                        p[slot] = d[i] & mask

                    return assign_fd
                if src.get("type") == "hexstr":
                    c = parse_hexstr(src.get("value"), where) & mask

                    def assign_fc(p: PHV, d: Any) -> None:
                        p[slot] = c

                    return assign_fc
                val = self.ex.compile(src, where)

                def assign_fe(p: PHV, d: Any) -> None:
                    p[slot] = int(val(p, d)) & mask

                return assign_fe
        val = self.ex.compile(src, where)

        def assign(p: PHV, d: Any) -> None:
            setter(p, d, val(p, d))

        return assign

    p_modify_field = p_assign

    def p_assign_VL(self, prim: dict[str, Any], where: str) -> Prim:
        dst, src = self._args(prim, 2, where)
        hd, fd = self.prog.layout.field(dst.get("value") if isinstance(dst, dict) else None, where)
        hs, fs = self.prog.layout.field(src.get("value") if isinstance(src, dict) else None, where)
        if fd is None or fs is None:
            raise ConfigError(f"{where}: expected varbit fields")

        def assign_vl(p: PHV, d: Any) -> None:
            p[fd.slot] = p[fs.slot]
            if hd.vlen_slot >= 0 and hs.vlen_slot >= 0:
                p[hd.vlen_slot] = p[hs.vlen_slot]

        return assign_vl

    def p_assign_header(self, prim: dict[str, Any], where: str) -> Prim:
        dst, src = self._args(prim, 2, where)
        hd = self.ex.header_ref(dst, where)
        hs = self.ex.header_ref(src, where)

        def assign_header(p: PHV, d: Any) -> None:
            a, b = hd(p, d), hs(p, d)
            _copy_header(p, a, b)
            if p[a.base] and a.union is not None:
                for o in a.union.headers:
                    if o is not a:
                        p[o.base] = 0

        return assign_header

    def p_assign_union(self, prim: dict[str, Any], where: str) -> Prim:
        dst, src = self._args(prim, 2, where)
        ud = self.ex._union_ref(dst, where)
        us = self.ex._union_ref(src, where)

        def assign_union(p: PHV, d: Any) -> None:
            for a, b in zip(ud(p, d).headers, us(p, d).headers, strict=False):
                _copy_header(p, a, b)

        return assign_union

    def p_assign_header_stack(self, prim: dict[str, Any], where: str) -> Prim:
        dst, src = self._args(prim, 2, where)
        sd = self.prog.layout.stack(dst.get("value") if isinstance(dst, dict) else None, where)
        ss = self.prog.layout.stack(src.get("value") if isinstance(src, dict) else None, where)
        ed, es = _stack_elements(sd), _stack_elements(ss)

        def assign_stack(p: PHV, d: Any) -> None:
            for xs, ys in zip(ed, es, strict=False):
                for a, b in zip(xs, ys, strict=False):
                    _copy_header(p, a, b)
            p[sd.next_slot] = p[ss.next_slot]

        return assign_stack

    p_assign_union_stack = p_assign_header_stack

    def p_push(self, prim: dict[str, Any], where: str) -> Prim:
        st_e, n_e = self._args(prim, 2, where)
        st = self.prog.layout.stack(st_e.get("value") if isinstance(st_e, dict) else None, where)
        n = self._const(n_e, where)
        return lambda p, d: _push(p, st, n)

    def p_pop(self, prim: dict[str, Any], where: str) -> Prim:
        st_e, n_e = self._args(prim, 2, where)
        st = self.prog.layout.stack(st_e.get("value") if isinstance(st_e, dict) else None, where)
        n = self._const(n_e, where)
        return lambda p, d: _pop(p, st, n)

    def p_add_header(self, prim: dict[str, Any], where: str) -> Prim:
        (h_e,) = self._args(prim, 1, where)
        hr = self.ex.header_ref(h_e, where)
        return lambda p, d: _set_valid(p, hr(p, d))

    def p_remove_header(self, prim: dict[str, Any], where: str) -> Prim:
        (h_e,) = self._args(prim, 1, where)
        hr = self.ex.header_ref(h_e, where)

        def remove_header(p: PHV, d: Any) -> None:
            h = hr(p, d)
            if p[h.base]:
                p[h.base] = 0
                p[0].length -= h.nbytes

        return remove_header

    p_copy_header = p_assign_header

    def p_add_header_fast(self, prim: dict[str, Any], where: str) -> Prim:
        (h_e,) = self._args(prim, 1, where)
        hr = self.ex.header_ref(h_e, where)

        def add_header_fast(p: PHV, d: Any) -> None:
            p[hr(p, d).base] = 1

        return add_header_fast

    # P4-14 arithmetic primitives
    def _binary(self, prim: dict[str, Any], where: str, fn: Callable[[int, int], int]) -> Prim:
        params = self._args(prim, (2, 3), where)
        setter = self.ex.setter(params[0], where)
        a = self.ex.compile(params[0] if len(params) == 2 else params[1], where)
        b = self.ex.compile(params[-1], where)
        return lambda p, d: setter(p, d, fn(a(p, d), b(p, d)))

    def p_add_to_field(self, prim: dict[str, Any], where: str) -> Prim:
        return self._binary(prim, where, lambda x, y: x + y)

    def p_subtract_from_field(self, prim: dict[str, Any], where: str) -> Prim:
        return self._binary(prim, where, lambda x, y: x - y)

    p_add = p_add_to_field
    p_subtract = p_subtract_from_field

    def p_bit_and(self, prim: dict[str, Any], where: str) -> Prim:
        return self._binary(prim, where, lambda x, y: x & y)

    def p_bit_or(self, prim: dict[str, Any], where: str) -> Prim:
        return self._binary(prim, where, lambda x, y: x | y)

    def p_bit_xor(self, prim: dict[str, Any], where: str) -> Prim:
        return self._binary(prim, where, lambda x, y: x ^ y)

    def p_shift_left(self, prim: dict[str, Any], where: str) -> Prim:
        return self._binary(prim, where, lambda x, y: x << y)

    def p_shift_right(self, prim: dict[str, Any], where: str) -> Prim:
        return self._binary(prim, where, lambda x, y: x >> y)

    def p_exit(self, prim: dict[str, Any], where: str) -> Prim:
        def exit_(p: PHV, d: Any) -> None:
            # BMv2 marks the packet: the action runs to its end, the pipeline stops before its next node
            p[0].exit = True

        return exit_

    def p__jump(self, prim: dict[str, Any], where: str) -> Prim:
        (t,) = self._args(prim, 1, where)
        target = self._const(t, where)
        return lambda p, d: target

    def p__jump_if_zero(self, prim: dict[str, Any], where: str) -> Prim:
        c, t = self._args(prim, 2, where)
        cond = self.ex.compile(c, where)
        target = self._const(t, where)
        return lambda p, d: None if cond(p, d) else target

    def p_assert(self, prim: dict[str, Any], where: str) -> Prim:
        (c,) = self._args(prim, 1, where)
        cond = self.ex.compile(c, where)

        def assert_(p: PHV, d: Any) -> None:
            if not cond(p, d):
                raise PacketAbort(where)

        return assert_

    p_assume = p_assert

    def p_log_msg(self, prim: dict[str, Any], where: str) -> Prim:
        params = self._args(prim, (1, 2), where)
        fmt = str(params[0].get("value", "")) if isinstance(params[0], dict) else ""
        args: list[Expr] = []
        if len(params) == 2 and isinstance(params[1], dict):
            args = [self.ex.compile(a, where) for a in params[1].get("value", [])]

        def log_msg(p: PHV, d: Any) -> None:
            tr = p[0].tr
            if tr is not None:
                msg = fmt
                for a in args:
                    msg = msg.replace("{}", str(a(p, d)), 1)
                tr(msg)

        return log_msg

    # -- v1model ------------------------------------------------------------------------
    def p_mark_to_drop(self, prim: dict[str, Any], where: str) -> Prim:
        es = self.prog.sm["egress_spec"]
        mg = self.prog.sm["mcast_grp"]

        def mark_to_drop(p: PHV, d: Any) -> None:
            p[es] = 511
            p[mg] = 0

        return mark_to_drop

    p_drop = p_mark_to_drop

    def p_no_op(self, prim: dict[str, Any], where: str) -> Prim:
        return lambda p, d: None

    def p_count(self, prim: dict[str, Any], where: str) -> Prim:
        c_e, i_e = self._args(prim, 2, where)
        ctr = self._named(c_e, "counter_array", self.prog.counters, where)
        idx = self.ex.compile(i_e, where)
        return lambda p, d: ctr.count(idx(p, d), p[0].ingress_length)

    def p_execute_meter(self, prim: dict[str, Any], where: str) -> Prim:
        m_e, i_e, dst = self._args(prim, 3, where)
        mtr = self._named(m_e, "meter_array", self.prog.meters, where)
        idx = self.ex.compile(i_e, where)
        setter = self.ex.setter(dst, where)
        size = mtr.size

        def execute_meter(p: PHV, d: Any) -> None:
            i = idx(p, d)
            if 0 <= i < size:  # out of range: BMv2 leaves the destination unchanged
                setter(p, d, mtr.execute(i, p[0].ingress_length))

        return execute_meter

    def p_register_read(self, prim: dict[str, Any], where: str) -> Prim:
        dst, r_e, i_e = self._args(prim, 3, where)
        reg = self._named(r_e, "register_array", self.prog.registers, where)
        idx = self.ex.compile(i_e, where)
        setter = self.ex.setter(dst, where)
        size = reg.size
        cells = reg

        def register_read(p: PHV, d: Any) -> None:
            i = idx(p, d)
            if 0 <= i < size:  # out of range: BMv2 leaves the destination unchanged
                setter(p, d, cells.cells[i])

        return register_read

    def p_register_write(self, prim: dict[str, Any], where: str) -> Prim:
        r_e, i_e, v_e = self._args(prim, 3, where)
        reg = self._named(r_e, "register_array", self.prog.registers, where)
        idx = self.ex.compile(i_e, where)
        val = self.ex.compile(v_e, where)
        return lambda p, d: reg.write(idx(p, d), val(p, d))

    def p_modify_field_with_hash_based_offset(self, prim: dict[str, Any], where: str) -> Prim:
        dst, b_e, c_e, m_e = self._args(prim, 4, where)
        calc = self._named(c_e, "calculation", self.prog.calculations, where)
        base = self.ex.compile(b_e, where)
        size = self.ex.compile(m_e, where)
        setter = self.ex.setter(dst, where)

        def hash_offset(p: PHV, d: Any) -> None:
            n = size(p, d) or 1
            setter(p, d, base(p, d) + calc.compute(p) % n)

        return hash_offset

    def p_modify_field_rng_uniform(self, prim: dict[str, Any], where: str) -> Prim:
        dst, lo_e, hi_e = self._args(prim, 3, where)
        lo = self.ex.compile(lo_e, where)
        hi = self.ex.compile(hi_e, where)
        setter = self.ex.setter(dst, where)

        def rng(p: PHV, d: Any) -> None:
            a, b = lo(p, d), hi(p, d)
            setter(p, d, random.randint(a, b) if a <= b else a)

        return rng

    def p_generate_digest(self, prim: dict[str, Any], where: str) -> Prim:
        _, l_e = self._args(prim, 2, where)
        lid = self._const(l_e, where)
        if lid not in self.prog.learn_lists:
            raise ConfigError(f"{where}: unknown learn list id {lid}")

        def digest(p: PHV, d: Any) -> None:
            p[0].digest = lid

        return digest

    def _clone(self, prim: dict[str, Any], where: str) -> Prim:
        params = self._args(prim, (1, 2), where)
        session = self.ex.compile(params[0], where)
        fl = self._const(params[1], where) if len(params) == 2 else 0

        def clone(p: PHV, d: Any) -> None:
            pkt = p[0]
            pkt.clone_session = session(p, d) & 0x7FFF
            pkt.clone_fl = fl

        return clone

    p_clone_ingress_pkt_to_egress = _clone
    p_clone_egress_pkt_to_egress = _clone

    def p_resubmit(self, prim: dict[str, Any], where: str) -> Prim:
        params = self._args(prim, (0, 1), where)
        fl = self._const(params[0], where) if params else 0

        def resubmit(p: PHV, d: Any) -> None:
            p[0].resubmit_fl = fl

        return resubmit

    def p_recirculate(self, prim: dict[str, Any], where: str) -> Prim:
        params = self._args(prim, (0, 1), where)
        fl = self._const(params[0], where) if params else 0

        def recirculate(p: PHV, d: Any) -> None:
            p[0].recirc_fl = fl

        return recirculate

    def p_truncate(self, prim: dict[str, Any], where: str) -> Prim:
        (n_e,) = self._args(prim, 1, where)
        n = self.ex.compile(n_e, where)

        def truncate(p: PHV, d: Any) -> None:
            p[0].truncate = n(p, d)

        return truncate


# primitives one action call may execute: BMv2 jumps anywhere in an action (p4c lowers loops to
# backward jumps); a loop that never ends would hang BMv2, here it drops the packet
MAX_ACTION_STEPS = 1 << 16


def runaway_action(name: str) -> RunawayAction:
    return RunawayAction(f"action '{name}' ran more than {MAX_ACTION_STEPS} primitives (a loop that does not end?)")


def make_action_runner(prims: list[Prim], has_jumps: bool, name: str = "") -> Callable[[PHV, Any], None]:
    """The fast runner of an action body."""
    if not prims:
        return lambda p, d: None
    if not has_jumps:
        if len(prims) == 1:
            only = prims[0]

            def run1(p: PHV, d: Any) -> None:
                only(p, d)

            return run1
        seq = tuple(prims)

        def run(p: PHV, d: Any) -> None:
            for f in seq:
                f(p, d)

        return run
    n = len(prims)

    def run_jumps(p: PHV, d: Any) -> None:
        pc = 0
        steps = 0
        while pc < n:
            r = prims[pc](p, d)
            pc = pc + 1 if r is None else r
            steps += 1
            if steps > MAX_ACTION_STEPS:
                raise runaway_action(name)

    return run_jumps
