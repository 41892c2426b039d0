"""Generated Python for the common case: expressions and action bodies as straight-line source.

The closures of expressions.py and primitives.py handle everything; this module turns the
frequent shapes (field, constant and parameter arithmetic, comparisons, plain assignments,
mark_to_drop) into one compiled function per action or condition, so that the packet path
makes one call where it would make a dozen. Anything it does not know falls back to the
closure, called from the generated code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from softp4.switch.expressions import MAX_SHIFT, parse_hexstr, shl
from softp4.switch.layout import FieldLayout, HeaderLayout, Layout
from softp4.switch.packet import PHV, to_signed

_BINARY_SRC = {
    "+": "+",
    "-": "-",
    "*": "*",
    "<<": "<<",
    ">>": ">>",
    "==": "==",
    "!=": "!=",
    ">": ">",
    "<": "<",
    ">=": ">=",
    "<=": "<=",
    "&": "&",
    "|": "|",
    "^": "^",
}


def _div(a: int, b: int) -> int:
    return a // b if b else 0


def _mod(a: int, b: int) -> int:
    return a % b if b else 0


def _sat(x: int, w: int) -> int:
    hi = (1 << (w - 1)) - 1
    lo = -(1 << (w - 1))
    return hi if x > hi else lo if x < lo else x


def _usat(x: int, w: int) -> int:
    hi = (1 << w) - 1
    return hi if x > hi else 0 if x < 0 else x


HELPERS: dict[str, Any] = {
    "_div": _div,
    "_mod": _mod,
    "_sat": _sat,
    "_usat": _usat,
    "_tcm": to_signed,
    "_shl": shl,
}


class SourceGen:
    """Turns BMv2 expressions into Python source over `p` (the PHV) and `d` (action data)."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout

    def expr(self, e: Any) -> str | None:
        """Python source for an rvalue, or None when the shape is not handled here."""
        if not isinstance(e, dict):
            return None
        t = e.get("type")
        v = e.get("value")
        try:
            if t == "field":
                slot, _, _ = self.layout.field_slot(v, "codegen")
                return f"p[{slot}]"
            if t == "hexstr":
                return repr(parse_hexstr(v, "codegen"))
            if t == "bool":
                return "True" if v else "False"
            if t in ("runtime_data", "local") and isinstance(v, int):
                return f"d[{v}]"
            if t == "expression":
                if isinstance(v, dict) and "op" in v:
                    return self._op(v)
                return self.expr(v)
        except Exception:
            return None
        return None

    def _op(self, v: dict[str, Any]) -> str | None:
        op = v["op"]
        left = v.get("left")
        right = v.get("right")
        if op in _BINARY_SRC:
            a, b = self.expr(left), self.expr(right)
            if a is None or b is None:
                return None
            if op == "<<" and not (b.isdigit() and int(b) <= MAX_SHIFT):
                return f"_shl({a}, {b})"
            return f"({a} {_BINARY_SRC[op]} {b})"
        if op in ("/", "%"):
            a, b = self.expr(left), self.expr(right)
            if a is None or b is None:
                return None
            return f"{'_div' if op == '/' else '_mod'}({a}, {b})"
        if op in ("and", "or"):
            a, b = self.expr(left), self.expr(right)
            if a is None or b is None:
                return None
            return f"(bool({a}) {op} bool({b}))"
        if op == "not":
            b = self.expr(right)
            return None if b is None else f"(not {b})"
        if op == "~":
            b = self.expr(right)
            return None if b is None else f"(~{b})"
        if op == "d2b":
            b = self.expr(right)
            return None if b is None else f"bool({b})"
        if op == "b2d":
            b = self.expr(right)
            return None if b is None else f"int({b})"
        if op == "?":
            c, a, b = self.expr(v.get("cond")), self.expr(left), self.expr(right)
            if c is None or a is None or b is None:
                return None
            return f"({a} if {c} else {b})"
        if op in ("two_comp_mod", "sat_cast", "usat_cast"):
            a, b = self.expr(left), self.expr(right)
            if a is None or b is None:
                return None
            fn = {"two_comp_mod": "_tcm", "sat_cast": "_sat", "usat_cast": "_usat"}[op]
            return f"{fn}({a}, {b})"
        if op == "valid":
            if isinstance(right, dict) and right.get("type") == "header":
                h = self.layout.headers.get(str(right.get("value")))
                if h is not None:
                    return f"bool(p[{h.base}])"
            return None
        return None

    def assign(self, prim: dict[str, Any]) -> str | None:
        """Source for `assign` into a plain unsigned field, or None."""
        params = prim.get("parameters")
        if not isinstance(params, list) or len(params) != 2:
            return None
        dst, src = params
        if not isinstance(dst, dict) or dst.get("type") != "field":
            return None
        try:
            _, f = self.layout.field(dst.get("value"), "codegen")
        except Exception:
            return None
        if f is None or f.signed or f.varbit:
            return None
        rhs = self.expr(src)
        if rhs is None:
            return None
        mask = (1 << f.width) - 1
        return f"p[{f.slot}] = {rhs} & {mask:#x}"


    def _fixed_header(self, e: Any) -> HeaderLayout | None:
        """The header an argument names directly (not a stack element, not in a union), or None."""
        if not isinstance(e, dict) or e.get("type") not in ("header", "regular"):
            return None
        h = self.layout.headers.get(str(e.get("value")))
        return None if h is None or h.union is not None else h

    def _plain_field(self, e: Any) -> FieldLayout | None:
        """The unsigned fixed-width field an lvalue names, or None."""
        if not isinstance(e, dict) or e.get("type") != "field":
            return None
        try:
            _, f = self.layout.field(e.get("value"), "codegen")
        except Exception:
            return None
        return None if f is None or f.signed or f.varbit else f

    def statement(self, prim: dict[str, Any], externs: dict[str, Any], namespace: dict[str, Any]) -> list[str] | None:
        """Source lines for setValid/setInvalid of a fixed header and for counter and register accesses
        with generated indices (as primitives.py runs them), or None. Objects go into `namespace`."""
        op, params = prim.get("op"), prim.get("parameters")
        if not isinstance(params, list):
            return None
        if op in ("add_header", "remove_header") and len(params) == 1:
            h = self._fixed_header(params[0])
            if h is None:
                return None
            if op == "remove_header":
                return [f"if p[{h.base}]:", f"    p[{h.base}] = 0", f"    p[0].length -= {h.nbytes}"]
            zero = "".join(f"p[{f.slot}] = " for f in h.fields)
            return [f"if not p[{h.base}]:", *([f"    {zero}0"] if zero else []), f"    p[{h.base}] = 1",
                    f"    p[0].length += {h.nbytes}"]
        kinds = {"count": "counter_array", "register_read": "register_array", "register_write": "register_array"}
        if op not in kinds or len(params) not in (2, 3):
            return None
        ref = params[1] if op == "register_read" else params[0]
        if not isinstance(ref, dict) or ref.get("type") != kinds[op]:
            return None
        obj = externs.get(f"{kinds[op]}:{ref.get('value')}")
        if obj is None:
            return None
        name = f"_x{len(namespace)}"
        namespace[name] = obj
        if op == "count" and len(params) == 2:
            index = self.expr(params[1])
            if index is None:
                return None
            return [f"_i = {index}", f"if 0 <= _i < {obj.size}:", f"    {name}.bytes[_i] += p[0].ingress_length",
                    f"    {name}.packets[_i] += 1"]
        if op == "register_read" and len(params) == 3:
            f, index = self._plain_field(params[0]), self.expr(params[2])
            if f is None or index is None:
                return None
            return [f"_i = {index}", f"if 0 <= _i < {obj.size}:",
                    f"    p[{f.slot}] = {name}.cells[_i] & {(1 << f.width) - 1:#x}"]
        if op == "register_write" and len(params) == 3:
            index, value = self.expr(params[1]), self.expr(params[2])
            if index is None or value is None:
                return None
            return [f"_i = {index}", f"if 0 <= _i < {obj.size}:",
                    f"    {name}.cells[_i] = int({value}) & {obj.mask:#x}"]
        return None


def fuse_action(
    name: str,
    gen: SourceGen,
    prims_json: list[Any],
    closures: list[Callable[[PHV, Any], Any]],
    std: dict[str, int],
    externs: dict[str, Any] | None = None,
) -> Callable[[PHV, Any], None] | None:
    """One generated function running a jump-free action body, or None if it has jumps.

    `externs`: the program's register and counter arrays by "register_array:<name>" and
    "counter_array:<name>", for the accesses generated inline."""
    lines = ["def action(p, d):"]
    namespace: dict[str, Any] = dict(HELPERS)
    for i, (pj, fn) in enumerate(zip(prims_json, closures, strict=True)):
        op = pj.get("op") if isinstance(pj, dict) else None
        if op in ("_jump", "_jump_if_zero"):
            return None
        line = None
        if op in ("assign", "modify_field"):
            line = gen.assign(pj)
        elif op in ("mark_to_drop", "drop"):
            line = f"p[{std['egress_spec']}] = 511; p[{std['mcast_grp']}] = 0"
        elif isinstance(pj, dict):
            block = gen.statement(pj, externs or {}, namespace)
            if block is not None:
                lines.extend("    " + b for b in block)
                continue
        if line is None:
            namespace[f"_c{i}"] = fn
            line = f"_c{i}(p, d)"
        lines.append("    " + line)
    if len(lines) == 1:
        lines.append("    return None")
    exec(compile("\n".join(lines) + "\n", f"<action {name}>", "exec"), namespace)
    action: Callable[[PHV, Any], None] = namespace["action"]
    return action
