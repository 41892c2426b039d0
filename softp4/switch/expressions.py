"""Compile BMv2 JSON expressions into Python closures `f(p, d)`.

`p` is the PHV list (see packet.py), `d` the action data of the running entry (or None).
Arithmetic is unbounded; values are truncated only when stored into a field.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from softp4.switch.errors import ConfigError
from softp4.switch.externs import RegisterArray
from softp4.switch.layout import Layout
from softp4.switch.packet import PHV, HeaderLayout, ParserException, StackLayout, to_signed

Expr = Callable[[PHV, Any], Any]
HeaderRef = Callable[[PHV, Any], HeaderLayout]
Setter = Callable[[PHV, Any, Any], None]


def parse_hexstr(value: Any, where: str) -> int:
    """An integer from a BMv2 `hexstr` ("0x0a", "-0x1"); plain ints are accepted too."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if not isinstance(value, str):
        raise ConfigError(f"{where}: bad hexstr {value!r}")
    try:
        return int(value, 16) if value.lstrip("-").lower().startswith("0x") else int(value, 0)
    except ValueError:
        raise ConfigError(f"{where}: bad hexstr {value!r}") from None


MAX_SHIFT = 1 << 16  # bits; a left shift by more leaves nothing in any field (and would exhaust memory)


def shl(a: int, b: int) -> int:
    """`a << b` with BMv2's unbounded arithmetic, but no gigantic integers from packet-controlled shifts."""
    if b > MAX_SHIFT:
        return 0
    return a << b if b >= 0 else a >> -b


_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "<<": shl,
    ">>": operator.rshift,
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
    "&": operator.and_,
    "|": operator.or_,
    "^": operator.xor,
}


def _div(a: int, b: int) -> int:
    return a // b if b else 0


def _mod(a: int, b: int) -> int:
    return a % b if b else 0


class ExprCompiler:
    """Compiles expressions against one program's layout and register arrays."""

    def __init__(self, layout: Layout, registers: dict[str, RegisterArray]) -> None:
        self.layout = layout
        self.registers = registers

    # -- rvalues ------------------------------------------------------------------------
    def compile(self, e: Any, where: str) -> Expr:
        if not isinstance(e, dict) or "type" not in e:
            raise ConfigError(f"{where}: bad expression {e!r}")
        t = e["type"]
        v = e.get("value")
        if t == "field":
            slot, _, _ = self.layout.field_slot(v, where)
            return lambda p, d: p[slot]
        if t == "hexstr":
            c = parse_hexstr(v, where)
            return lambda p, d: c
        if t == "bool":
            b = bool(v)
            return lambda p, d: b
        if t in ("local", "runtime_data"):
            if not isinstance(v, int):
                raise ConfigError(f"{where}: bad {t} index {v!r}")
            i = v
            return lambda p, d: d[i]
        if t == "expression":
            if isinstance(v, dict) and "op" in v:
                return self._op(v, where)
            return self.compile(v, where)
        if t == "register":
            if not isinstance(v, list) or len(v) != 2:
                raise ConfigError(f"{where}: bad register reference {v!r}")
            reg = self.register(v[0], where)
            idx = self.compile(v[1], where)
            return lambda p, d: reg.read(idx(p, d))
        if t == "stack_field":
            if not isinstance(v, list) or len(v) != 2:
                raise ConfigError(f"{where}: bad stack_field {v!r}")
            st = self.layout.stack(v[0], where)
            slots = [self._field_of(h, v[1], where) for h in st.headers]
            ns = st.next_slot

            def stack_field(p: PHV, d: Any) -> Any:
                i = p[ns] - 1
                return p[slots[i]] if i >= 0 else 0

            return stack_field
        if t == "union_stack_field":
            if not isinstance(v, list) or len(v) != 3:
                raise ConfigError(f"{where}: bad union_stack_field {v!r}")
            st = self.layout.stack(v[0], where)
            uslots = [self._field_of(self._member(u.by_member, v[1], where), v[2], where) for u in st.unions]
            ns = st.next_slot

            def union_stack_field(p: PHV, d: Any) -> Any:
                i = p[ns] - 1
                return p[uslots[i]] if i >= 0 else 0

            return union_stack_field
        if t == "lookahead":
            if not isinstance(v, list) or len(v) != 2:
                raise ConfigError(f"{where}: bad lookahead {v!r}")
            return make_lookahead(int(v[0]), int(v[1]))
        if t in ("header", "header_stack", "header_union", "stack_header"):
            # a header used as a value: its validity (used by header comparisons)
            h = self.header_ref(e, where)
            return lambda p, d: h(p, d)
        if t == "string":
            s = str(v)
            return lambda p, d: s
        raise ConfigError(f"{where}: unsupported expression type '{t}'")

    def _member(self, by_member: dict[str, HeaderLayout], name: Any, where: str) -> HeaderLayout:
        h = by_member.get(name)
        if h is None:
            raise ConfigError(f"{where}: union has no member '{name}'")
        return h

    def _field_of(self, h: HeaderLayout, fname: Any, where: str) -> int:
        if fname == "$valid$":
            return h.base
        f = h.by_name.get(fname)
        if f is None:
            raise ConfigError(f"{where}: header '{h.name}' has no field '{fname}'")
        return f.slot

    def register(self, name: Any, where: str) -> RegisterArray:
        reg = self.registers.get(name) if isinstance(name, str) else None
        if reg is None:
            raise ConfigError(f"{where}: unknown register array '{name}'")
        return reg

    def _op(self, v: dict[str, Any], where: str) -> Expr:
        op = v["op"]
        left: Any = v.get("left")
        right: Any = v.get("right")
        if op in _BINARY:
            if op in ("==", "!=") and self._is_header(left) and self._is_header(right):
                return self._header_compare(left, right, op == "==", where)
            fn = _BINARY[op]
            a = self.compile(left, where)
            b = self.compile(right, where)
            if isinstance(right, dict) and right.get("type") == "hexstr":
                k = parse_hexstr(right.get("value"), where)
                return lambda p, d: fn(a(p, d), k)
            return lambda p, d: fn(a(p, d), b(p, d))
        if op in ("/", "%"):
            fn2 = _div if op == "/" else _mod
            a = self.compile(left, where)
            b = self.compile(right, where)
            return lambda p, d: fn2(a(p, d), b(p, d))
        if op == "and":
            a = self.compile(left, where)
            b = self.compile(right, where)
            return lambda p, d: bool(a(p, d)) and bool(b(p, d))
        if op == "or":
            a = self.compile(left, where)
            b = self.compile(right, where)
            return lambda p, d: bool(a(p, d)) or bool(b(p, d))
        if op == "not":
            b = self.compile(right, where)
            return lambda p, d: not b(p, d)
        if op == "~":
            b = self.compile(right, where)
            return lambda p, d: ~b(p, d)
        if op == "d2b":
            b = self.compile(right, where)
            return lambda p, d: bool(b(p, d))
        if op == "b2d":
            b = self.compile(right, where)
            return lambda p, d: int(b(p, d))
        if op == "valid":
            h = self.header_ref(right, where)
            return lambda p, d: bool(p[h(p, d).base])
        if op == "valid_union":
            u = self._union(right, where)
            bases = [h.base for h in u.headers]
            return lambda p, d: any(p[b] for b in bases)
        if op == "two_comp_mod":
            a = self.compile(left, where)
            b = self.compile(right, where)
            return lambda p, d: to_signed(a(p, d), b(p, d))
        if op == "sat_cast":
            a = self.compile(left, where)
            b = self.compile(right, where)

            def sat_cast(p: PHV, d: Any) -> int:
                x, w = a(p, d), b(p, d)
                hi = (1 << (w - 1)) - 1
                lo = -(1 << (w - 1))
                return hi if x > hi else lo if x < lo else x

            return sat_cast
        if op == "usat_cast":
            a = self.compile(left, where)
            b = self.compile(right, where)

            def usat_cast(p: PHV, d: Any) -> int:
                x, w = a(p, d), b(p, d)
                hi = (1 << w) - 1
                return hi if x > hi else 0 if x < 0 else x

            return usat_cast
        if op == "?":
            cnd = self.compile(v.get("cond"), where)
            a = self.compile(left, where)
            b = self.compile(right, where)
            return lambda p, d: a(p, d) if cnd(p, d) else b(p, d)
        if op == "last_stack_index":
            st = self._stack(right, where)
            ns = st.next_slot
            return lambda p, d: p[ns] - 1
        if op == "size_stack":
            st = self._stack(right, where)
            ns = st.next_slot
            return lambda p, d: p[ns]
        if op == "access_field":
            hr = self.header_ref(left, where)
            if not isinstance(right, int):
                raise ConfigError(f"{where}: access_field offset must be an integer")
            off = right
            return lambda p, d: p[hr(p, d).fields[off].slot]
        if op in ("dereference_header_stack", "dereference_union_stack", "access_union_header"):
            hr = self.header_ref({"type": "expression", "value": v}, where)
            return lambda p, d: bool(p[hr(p, d).base])
        raise ConfigError(f"{where}: unsupported expression op '{op}'")

    def _is_header(self, e: Any) -> bool:
        if not isinstance(e, dict):
            return False
        t = e.get("type")
        if t in ("header", "stack_header"):
            return True
        if t == "expression" and isinstance(e.get("value"), dict):
            return e["value"].get("op") in ("dereference_header_stack", "access_union_header")
        return False

    def _header_compare(self, left: Any, right: Any, eq: bool, where: str) -> Expr:
        a = self.header_ref(left, where)
        b = self.header_ref(right, where)

        def compare(p: PHV, d: Any) -> bool:
            ha, hb = a(p, d), b(p, d)
            va, vb = p[ha.base], p[hb.base]
            if not va or not vb:
                same = not va and not vb
            else:
                same = all(p[fa.slot] == p[fb.slot] for fa, fb in zip(ha.fields, hb.fields, strict=False))
                if same and ha.vlen_slot >= 0 and hb.vlen_slot >= 0:
                    same = p[ha.vlen_slot] == p[hb.vlen_slot]
            return same if eq else not same

        return compare

    def _stack(self, e: Any, where: str) -> StackLayout:
        if not isinstance(e, dict) or e.get("type") not in ("header_stack", "header_union_stack"):
            raise ConfigError(f"{where}: expected a header stack, got {e!r}")
        return self.layout.stack(e.get("value"), where)

    def _union(self, e: Any, where: str) -> Any:
        if isinstance(e, dict) and e.get("type") == "header_union":
            u = self.layout.unions.get(str(e.get("value")))
            if u is not None:
                return u
        raise ConfigError(f"{where}: expected a header union, got {e!r}")

    # -- headers ------------------------------------------------------------------------
    def header_ref(self, e: Any, where: str) -> HeaderRef:
        """A closure giving the header an expression designates (stack elements resolve at run time)."""
        if not isinstance(e, dict):
            raise ConfigError(f"{where}: expected a header, got {e!r}")
        t = e.get("type")
        v = e.get("value")
        if t in ("header", "regular"):
            h = self.layout.header(v, where)
            return lambda p, d: h
        if t == "expression":
            if isinstance(v, dict) and "op" in v:
                op = v["op"]
                if op == "dereference_header_stack":
                    st = self._stack(v.get("left"), where)
                    idx = self.compile(v.get("right"), where)
                    hs = st.headers
                    n = len(hs)

                    def deref(p: PHV, d: Any) -> HeaderLayout:
                        i = idx(p, d)
                        if i < 0 or i >= n:
                            raise ParserException("StackOutOfBounds")
                        return hs[i]

                    return deref
                if op == "access_union_header":
                    ur = self._union_ref(v.get("left"), where)
                    off = v.get("right")
                    if not isinstance(off, int):
                        raise ConfigError(f"{where}: access_union_header offset must be an integer")
                    return lambda p, d: ur(p, d).headers[off]
                if op == "?":
                    c = self.compile(v.get("cond"), where)
                    a = self.header_ref(v.get("left"), where)
                    b = self.header_ref(v.get("right"), where)
                    return lambda p, d: a(p, d) if c(p, d) else b(p, d)
            return self.header_ref(v, where)
        raise ConfigError(f"{where}: expected a header, got {e!r}")

    def _union_ref(self, e: Any, where: str) -> Callable[[PHV, Any], Any]:
        if isinstance(e, dict) and e.get("type") == "header_union":
            u = self._union(e, where)
            return lambda p, d: u
        if isinstance(e, dict) and e.get("type") == "expression":
            v = e.get("value")
            if isinstance(v, dict) and v.get("op") == "dereference_union_stack":
                st = self._stack(v.get("left"), where)
                idx = self.compile(v.get("right"), where)
                us = st.unions
                n = len(us)

                def deref(p: PHV, d: Any) -> Any:
                    i = idx(p, d)
                    if i < 0 or i >= n:
                        raise ParserException("StackOutOfBounds")
                    return us[i]

                return deref
            return self._union_ref(v, where)
        raise ConfigError(f"{where}: expected a header union, got {e!r}")

    # -- lvalues ------------------------------------------------------------------------
    def setter(self, e: Any, where: str) -> Setter:
        """A closure storing a value into a field, truncated (or wrapped, if signed) to its width."""
        if not isinstance(e, dict):
            raise ConfigError(f"{where}: expected an lvalue, got {e!r}")
        t = e.get("type")
        v = e.get("value")
        if t == "field":
            h, f = self.layout.field(v, where)
            if f is None:
                raise ConfigError(f"{where}: cannot assign to '{h.name}.$valid$'")
            return make_setter(f.slot, f.width, f.signed)
        if t == "stack_field":
            if not isinstance(v, list) or len(v) != 2:
                raise ConfigError(f"{where}: bad stack_field {v!r}")
            st = self.layout.stack(v[0], where)
            fl = [self._field(h, v[1], where) for h in st.headers]
            ns = st.next_slot

            def set_stack_field(p: PHV, d: Any, x: Any) -> None:
                i = p[ns] - 1
                if i >= 0:
                    f = fl[i]
                    p[f.slot] = to_signed(x, f.width) if f.signed else x & ((1 << f.width) - 1)

            return set_stack_field
        if t == "expression":
            if isinstance(v, dict) and v.get("op") == "access_field":
                hr = self.header_ref(v.get("left"), where)
                off = v.get("right")
                if not isinstance(off, int):
                    raise ConfigError(f"{where}: access_field offset must be an integer")

                def set_access(p: PHV, d: Any, x: Any) -> None:
                    f = hr(p, d).fields[off]
                    p[f.slot] = to_signed(x, f.width) if f.signed else x & ((1 << f.width) - 1)

                return set_access
            if isinstance(v, dict) and "type" in v:
                return self.setter(v, where)
        raise ConfigError(f"{where}: unsupported lvalue {e!r}")

    def _field(self, h: HeaderLayout, fname: Any, where: str) -> Any:
        f = h.by_name.get(fname)
        if f is None:
            raise ConfigError(f"{where}: header '{h.name}' has no field '{fname}'")
        return f


def make_setter(slot: int, width: int, signed: bool) -> Setter:
    if signed:

        def set_signed(p: PHV, d: Any, x: Any) -> None:
            p[slot] = to_signed(int(x), width)

        return set_signed
    mask = (1 << width) - 1

    def set_unsigned(p: PHV, d: Any, x: Any) -> None:
        p[slot] = int(x) & mask

    return set_unsigned


def make_lookahead(offset: int, width: int) -> Expr:
    """Peek `width` bits at `offset` bits past the parse cursor; PacketTooShort past the end."""
    nbytes = (offset + width + 7) // 8
    rshift = nbytes * 8 - offset - width
    mask = (1 << width) - 1

    def lookahead(p: PHV, d: Any) -> int:
        pkt = p[0]
        off = pkt.off
        data = pkt.data
        if off + nbytes > len(data):
            raise ParserException("PacketTooShort")
        return (int.from_bytes(data[off : off + nbytes], "big") >> rshift) & mask

    return lookahead
