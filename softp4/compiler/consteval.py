"""Values of expressions that are constant only once constructor parameters are bound.

The checker folds what it can (`Expression.const_value`); an expression over a
parser's or control's constructor parameters (``(bit<8>)tag + 1``) is constant
only per instance.  `evaluate` computes such an expression given the values of
the names in it, with P4's wrap-around at the expression's width.
"""

from __future__ import annotations

from collections.abc import Callable

from softp4.compiler import ast
from softp4.compiler import types as t

Lookup = Callable[[ast.PathExpr], int | bool | None]


def _wrap(value: int, ty: t.Type | None) -> int:
    if isinstance(ty, t.BitsType):
        value &= (1 << ty.width) - 1
        if ty.signed and value >> (ty.width - 1):
            value -= 1 << ty.width
    return value


def _folded(e: ast.Expression) -> int | bool | None:
    c = e.const_value
    if isinstance(c, bool | int):
        return c
    if isinstance(e, ast.IntLiteral):
        return e.value
    if isinstance(e, ast.BoolLiteral):
        return e.value
    return None


_BINARY: dict[str, Callable[[int, int], int]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "&": lambda a, b: a & b,
    "|": lambda a, b: a | b,
    "^": lambda a, b: a ^ b,
    "<<": lambda a, b: a << b,
    ">>": lambda a, b: a >> b,
}


def evaluate(e: ast.Expression, lookup: Lookup) -> int | bool | None:
    """The value of `e`, or None when it is not a compile-time constant."""
    c = _folded(e)
    if c is not None:
        return c
    if isinstance(e, ast.PathExpr):
        return lookup(e)
    if isinstance(e, ast.Cast):
        v = evaluate(e.expr, lookup)
        if v is None:
            return None
        if isinstance(e.type, t.BoolType):
            return bool(v)
        return _wrap(int(v), e.type)
    if isinstance(e, ast.Unary):
        v = evaluate(e.operand, lookup)
        if v is None:
            return None
        if e.op == "!":
            return not v
        if e.op == "-":
            return _wrap(-int(v), e.type)
        if e.op == "~":
            return _wrap(~int(v), e.type)
        return v
    if isinstance(e, ast.Binary) and e.op in _BINARY:
        a, b = evaluate(e.left, lookup), evaluate(e.right, lookup)
        if a is None or b is None:
            return None
        return _wrap(_BINARY[e.op](int(a), int(b)), e.type)
    if isinstance(e, ast.Slice):
        v, hi, lo = evaluate(e.expr, lookup), _folded(e.hi), _folded(e.lo)
        if v is None or hi is None or lo is None:
            return None
        return (int(v) >> int(lo)) & ((1 << (int(hi) - int(lo) + 1)) - 1)
    return None
