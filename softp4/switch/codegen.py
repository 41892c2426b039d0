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
from softp4.switch.layout import Layout
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


def fuse_action(
    name: str,
    gen: SourceGen,
    prims_json: list[Any],
    closures: list[Callable[[PHV, Any], Any]],
    std: dict[str, int],
) -> Callable[[PHV, Any], None] | None:
    """One generated function running a jump-free action body, or None if it has jumps."""
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
        if line is None:
            namespace[f"_c{i}"] = fn
            line = f"_c{i}(p, d)"
        lines.append("    " + line)
    if len(lines) == 1:
        lines.append("    return None")
    exec(compile("\n".join(lines) + "\n", f"<action {name}>", "exec"), namespace)
    action: Callable[[PHV, Any], None] = namespace["action"]
    return action
