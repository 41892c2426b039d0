"""Lowering of P4 expressions to BMv2 JSON expressions.

`Scope` maps declarations to `Value`s; `ExprLowerer` turns an expression into
a JSON operand (`rv`) or into the storage it denotes (`value`).  Arithmetic on
`bit<W>` is masked to W bits and on `int<W>` wrapped with `two_comp_mod`, as
p4c does, since BMv2 computes with unbounded integers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from softp4.compiler import ast
from softp4.compiler import types as t
from softp4.compiler.bmv2.jsonutil import J, b2d, boolval, d2b, hexval, mask, op
from softp4.compiler.bmv2.storage import flat_fields, storage_width
from softp4.compiler.bmv2.values import (
    BlockInstance,
    Const,
    DynField,
    DynHeader,
    Expr,
    ExternInstance,
    Field,
    Header,
    PacketObj,
    RuntimeData,
    Stack,
    Struct,
    Union,
    Value,
    ValueSet,
)
from softp4.compiler.errors import CompileError, unsupported

if TYPE_CHECKING:
    from softp4.compiler.bmv2.program import Backend


class Scope:
    """Declarations visible while lowering one block instance, and what they denote."""

    def __init__(self, parent: Scope | None, prefix: str) -> None:
        self.parent = parent
        self.prefix = prefix
        self.values: dict[int, Value] = {}

    def bind(self, decl: ast.Node, value: Value) -> None:
        self.values[id(decl)] = value

    def lookup(self, decl: ast.Node) -> Value | None:
        s: Scope | None = self
        key = id(decl)
        while s is not None:
            v = s.values.get(key)
            if v is not None:
                return v
            s = s.parent
        return None


_ARITH = {"+", "-", "*", "<<"}
_COMPARE = {"==": "==", "!=": "!=", "<": "<", ">": ">", "<=": "<=", ">=": ">="}
_BITWISE = {"&", "|", "^"}


def expr_type(e: ast.Expression) -> t.Type | None:
    return e.type


def scalar_width(ty: t.Type | None) -> int | None:
    if ty is None:
        return None
    bits = t.underlying_bits(ty)
    if bits is not None:
        return bits.width
    if isinstance(ty, t.BoolType):
        return 1
    if isinstance(ty, t.ErrorType | t.EnumType):
        return 32
    return None


def is_bool(ty: t.Type | None) -> bool:
    return isinstance(ty, t.BoolType)


def const_int(value: Any, be: Backend) -> int | bool | None:
    """The numeric value of a folded constant (errors and enum members by their code)."""
    if isinstance(value, bool | int):
        return value
    if isinstance(value, t.ErrorValue):
        return be.error_code(value.member)
    if isinstance(value, t.EnumValue):
        if value.enum.underlying is not None:
            v = value.value
            return 0 if v is None else v
        return be.enum_code(value.enum, value.member)
    return None


class ExprLowerer:
    """Lowers expressions within one scope.

    `emit` receives primitives that must run before the expression is
    evaluated (inlined function bodies); it is None where no code can run.
    """

    def __init__(
        self,
        be: Backend,
        scope: Scope,
        emit: Callable[[J], None] | None = None,
        in_parser: bool = False,
    ) -> None:
        self.be = be
        self.scope = scope
        self.emit = emit
        self.in_parser = in_parser

    # ------------------------------------------------------------ names

    def lookup(self, decl: ast.Node | None, e: ast.Expression) -> Value:
        if decl is None:
            raise CompileError(f"internal error: unresolved name '{_text(e)}'", e.loc)
        v = self.scope.lookup(decl)
        if v is not None:
            return v
        v = self.be.global_value(decl, e)
        if v is not None:
            return v
        raise CompileError(f"'{_text(e)}' cannot be used here by the BMv2 back end", e.loc)

    def value(self, e: ast.Expression) -> Value:
        """What `e` denotes: storage for lvalues, a constant, an extern, or a lowered expression."""
        hoisted = self.be.subst.get(id(e))
        if hoisted is not None:
            return hoisted
        if e.const_value is not None and not isinstance(e, ast.StringLiteral):
            c = const_int(e.const_value, self.be)
            if c is not None:
                return Const(c, e.type or t.INT)
        if isinstance(e, ast.PathExpr):
            return self.lookup(e.decl, e)
        if isinstance(e, ast.Member):
            return self._member(e)
        if isinstance(e, ast.DontCareExpr):
            # `_` as an out argument: a fresh temporary nobody reads (p4c's RemoveDontcareArgs)
            if e.type is None or isinstance(e.type, t.DontCareType | t.TypeVar):
                raise CompileError("the type of '_' here cannot be inferred", e.loc)
            tmp = self.be.storage.alloc("tmp", e.type, e.loc)
            self.be.subst[id(e)] = tmp
            return tmp
        if isinstance(e, ast.Index):
            base = self.value(e.expr)
            if isinstance(base, Struct):
                idx = self.value(e.index)
                members = list(base.fields.values())
                if isinstance(idx, Const) and 0 <= int(idx.value) < len(members):
                    return members[int(idx.value)]
                raise CompileError(f"tuple index must be a constant below {len(members)}", e.index.loc)
            if not isinstance(base, Stack):
                raise unsupported(f"indexing '{_text(e.expr)}'", e.loc)
            idx = self.value(e.index)
            if isinstance(idx, Const):
                i = int(idx.value)
                if not 0 <= i < len(base.elements):
                    raise CompileError(f"index {i} is out of bounds for stack of size {len(base.elements)}", e.loc)
                return base.elements[i]
            if base.is_union:
                raise unsupported("a run-time index into a header union stack", e.loc)
            elem = base.type.element
            assert isinstance(elem, t.StructLikeType)
            # the index evaluated once: it may call a function
            return DynHeader(base, self.value_json(idx, e.index.type, e.index), elem)
        if isinstance(e, ast.MethodCall):
            return self._call_value(e)
        if isinstance(e, ast.StructExpr | ast.ListExpr):
            return self._aggregate(e)
        if isinstance(e, ast.Cast) and isinstance(e.expr, ast.StructExpr | ast.ListExpr):
            return self._aggregate(e.expr, e.type)
        return Expr(self.rv(e), e.type or t.INT)

    def _aggregate(self, e: ast.StructExpr | ast.ListExpr, ty: t.Type | None = None) -> Struct:
        ty = ty or e.type or t.INT
        st = Struct(ty)
        if isinstance(e, ast.StructExpr):
            for nf in e.fields:
                st.fields[nf.name] = self.value(nf.value)
        else:
            names: list[str]
            if isinstance(ty, t.StructLikeType):
                names = [n for n, _ in ty.fields]
            else:
                names = [f"f{i}" for i in range(len(e.elements))]
            for name, el in zip(names, e.elements, strict=False):
                st.fields[name] = self.value(el)
        return st

    def _member(self, e: ast.Member) -> Value:
        la = lookahead_field(e)
        if la is not None and self.in_parser:
            offset, width, fty = la
            return self._lookahead(offset, width, fty, e)
        if isinstance(e.expr, ast.TypeNameExpr):
            raise CompileError(f"internal error: '{_text(e)}' was not folded to a constant", e.loc)
        base = self.value(e.expr)
        m = e.member
        if isinstance(base, Struct | Header):
            fields = base.fields
            if m in fields:
                return fields[m]
            raise CompileError(f"no field '{m}' in '{_text(e.expr)}'", e.loc)
        if isinstance(base, Union):
            if m in base.members:
                return base.members[m]
            raise CompileError(f"no member '{m}' in '{_text(e.expr)}'", e.loc)
        if isinstance(base, Stack):
            if m == "size":
                return Const(len(base.elements), t.BitsType(32))
            if m == "lastIndex":
                return Expr(op("last_stack_index", None, base.json()), t.BitsType(32))
            if m == "nextIndex":
                return Expr(op("size_stack", None, base.json()), t.BitsType(32))
            if m == "last" and not base.is_union:
                elem = base.type.element
                assert isinstance(elem, t.StructLikeType)
                return DynHeader(base, op("last_stack_index", None, base.json()), elem)
            if m in ("next", "last"):
                raise unsupported(f"'{_text(e)}' outside a parser's extract or transition", e.loc)
            raise CompileError(f"no member '{m}' in header stack '{_text(e.expr)}'", e.loc)
        if isinstance(base, DynHeader):
            names = [n for n, _ in base.type.fields]
            if m not in names:
                raise CompileError(f"no field '{m}' in '{_text(e.expr)}'", e.loc)
            fty = base.type.fields[names.index(m)][1]
            return DynField(base, names.index(m), fty)
        raise unsupported(f"member '{m}' of '{_text(e.expr)}'", e.loc)

    def _call_value(self, e: ast.MethodCall) -> Value:
        callee = e.callee
        if isinstance(callee, ast.FunctionDecl):
            return self.be.inline_function(self, e)
        return Expr(self.rv(e), e.type or t.INT)

    def _lookahead(self, offset: int, width: int, ty: t.Type, e: ast.Node) -> Value:
        """A lookahead read into a temporary (BMv2 reads lookahead only as a whole `set` source)."""
        if self.emit is None:
            raise unsupported("lookahead here", e.loc)
        tmp = self.be.storage.scalar(self.be.unique_name("lookahead_tmp"), t.BitsType(width), e.loc)
        self.emit({"op": "assign", "parameters": [tmp.json(), {"type": "lookahead", "value": [offset, width]}]})
        if is_bool(ty):
            return Expr(d2b(tmp.json()), ty)
        return Field(tmp.instance, tmp.field, ty)

    # ------------------------------------------------------------ operands

    def data(self, e: ast.Expression) -> J:
        """`e` as a data value (booleans converted with b2d)."""
        j = self.rv(e)
        if is_bool(e.type) or j.get("type") == "bool":
            return b2d(j)
        return j

    def cond(self, e: ast.Expression) -> J:
        """`e` as a boolean (data converted with d2b)."""
        j = self.rv(e)
        if is_bool(e.type) or j.get("type") == "bool":
            return j
        return d2b(j)

    def value_json(self, v: Value, ty: t.Type | None, e: ast.Node) -> J:
        """The operand form of a value (booleans as booleans)."""
        if isinstance(v, Const):
            if isinstance(v.value, bool) or is_bool(ty):
                return boolval(bool(v.value))
            return hexval(int(v.value), scalar_width(ty if ty is not None else v.type))
        if isinstance(v, Field):
            j = v.json()
            return d2b(j) if is_bool(v.type) else j
        if isinstance(v, RuntimeData):
            j = {"type": "local", "value": v.index}
            return d2b(j) if is_bool(v.type) else j
        if isinstance(v, Expr):
            return v.json
        if isinstance(v, DynField):
            j = v.json()
            return d2b(j) if is_bool(v.type) else j
        if isinstance(v, Header | Union | Stack | DynHeader):
            return v.json()
        if isinstance(v, Struct):
            raise unsupported(f"struct value '{_text(e)}' in an expression", e.loc)
        if isinstance(v, ExternInstance | PacketObj | BlockInstance | ValueSet):
            raise CompileError(f"'{_text(e)}' is not a value", e.loc)
        raise CompileError(f"internal error: cannot lower '{_text(e)}'", e.loc)

    def rv(self, e: ast.Expression) -> J:
        """`e` as an operand of a BMv2 expression."""
        ty = e.type
        hoisted = self.be.subst.get(id(e))
        if hoisted is not None:
            return self.value_json(hoisted, ty, e)
        if e.const_value is not None and not isinstance(e, ast.StringLiteral):
            c = const_int(e.const_value, self.be)
            if c is not None:
                if isinstance(c, bool) or is_bool(ty):
                    return boolval(bool(c))
                w = scalar_width(ty)
                if w is not None and ty is not None and not is_signed_type(ty):
                    c = c & mask(w) if isinstance(ty, t.BitsType) else c
                return hexval(c, w)
        if isinstance(e, ast.BoolLiteral):
            return boolval(e.value)
        if isinstance(e, ast.IntLiteral):
            return hexval(e.value, scalar_width(ty) or e.width)
        if isinstance(e, ast.PathExpr | ast.Member | ast.Index):
            return self.value_json(self.value(e), ty, e)
        if isinstance(e, ast.Binary):
            return self._binary(e)
        if isinstance(e, ast.Unary):
            return self._unary(e)
        if isinstance(e, ast.Mux):
            return op("?", self.rv(e.then), self.rv(e.else_), cond=self.cond(e.cond))
        if isinstance(e, ast.Cast):
            return self._cast(e)
        if isinstance(e, ast.Slice):
            return self._slice(e)
        if isinstance(e, ast.MethodCall):
            return self._call(e)
        raise unsupported(f"expression '{_text(e)}' ({type(e).__name__})", e.loc)

    # ------------------------------------------------------------ operators

    def _wrap(self, j: J, ty: t.Type | None) -> J:
        """Bring an arithmetic result back to the width (and signedness) of `ty`."""
        bits = t.underlying_bits(ty) if ty is not None else None
        if bits is None:
            return j
        if bits.signed:
            return op("two_comp_mod", j, hexval(bits.width, 32))
        return op("&", j, hexval(mask(bits.width), bits.width))

    def _binary(self, e: ast.Binary) -> J:
        o = e.op
        if o in ("&&", "||"):
            return op("and" if o == "&&" else "or", self.cond(e.left), self.cond(e.right))
        if o in _COMPARE:
            lt, rt = e.left.type, e.right.type
            if is_bool(lt) or is_bool(rt):
                return op(o, self.cond(e.left), self.cond(e.right))
            if isinstance(lt, t.StructLikeType | t.StackType | t.TupleType) or isinstance(
                rt, t.StructLikeType | t.StackType | t.TupleType
            ):
                return self._compare_aggregate(e)
            return op(o, self.data(e.left), self.data(e.right))
        left = self.data(e.left)
        right = self.data(e.right)
        ty = e.type
        if o in _ARITH:
            return self._wrap(op(o, left, right), ty)
        if o in ("/", "%"):
            return op(o, left, right)
        if o == ">>":
            return op(">>", left, right)
        if o in _BITWISE:
            return op(o, left, right)
        if o in ("|+|", "|-|"):
            bits = t.underlying_bits(ty) if ty is not None else None
            if bits is None:
                raise unsupported(f"saturating operator on {ty}", e.loc)
            inner = op("+" if o == "|+|" else "-", left, right)
            return op("sat_cast" if bits.signed else "usat_cast", inner, hexval(bits.width, 32))
        if o == "++":
            wl = scalar_width(e.left.type)
            wr = scalar_width(e.right.type)
            if wl is None or wr is None:
                raise unsupported(f"concatenation of {e.left.type} and {e.right.type}", e.loc)
            if is_signed_type(e.right.type):
                right = op("&", right, hexval(mask(wr), wr))
            if is_signed_type(e.left.type):
                left = op("&", left, hexval(mask(wl), wl))
            j = op("|", op("<<", left, hexval(wr, 32)), right)
            return self._wrap(j, ty) if is_signed_type(ty) else j
        raise unsupported(f"operator '{o}'", e.loc)

    def _compare_aggregate(self, e: ast.Binary) -> J:
        lv, rv = self.value(e.left), self.value(e.right)
        aggregates = Header | Struct | Stack | Union | DynHeader
        if not (isinstance(lv, aggregates) and isinstance(rv, aggregates)):
            raise unsupported(f"comparison of '{_text(e.left)}' and '{_text(e.right)}'", e.loc)
        j = self._equal_values(lv, rv, e)
        return op("not", None, j) if e.op == "!=" else j

    @staticmethod
    def _all(parts: list[J]) -> J:
        if not parts:
            return boolval(True)
        j = parts[0]
        for p in parts[1:]:
            j = op("and", j, p)
        return j

    def _equal_values(self, a: Value, b: Value, e: ast.Expression) -> J:
        """`a == b` for values of the same type: headers are equal when both are invalid,
        or both valid with equal fields; stacks, unions and structs member by member."""
        if isinstance(a, Struct) and isinstance(b, Struct):
            return self._all(
                [self._equal_values(x, y, e) for x, y in zip(a.fields.values(), b.fields.values(), strict=True)]
            )
        if isinstance(a, Stack) and isinstance(b, Stack):
            return self._all([self._equal_values(x, y, e) for x, y in zip(a.elements, b.elements, strict=True)])
        if isinstance(a, Union) and isinstance(b, Union):
            return self._all(
                [self._equal_values(x, y, e) for x, y in zip(a.members.values(), b.members.values(), strict=True)]
            )
        if isinstance(a, Header) and isinstance(b, Header):
            va, vb = d2b(a.valid_field()), d2b(b.valid_field())
            fields = self._all(
                [op("==", f.json(), g.json()) for f, g in zip(flat_fields(a), flat_fields(b), strict=True)]
            )
            return op("and", op("==", va, vb), op("or", op("not", None, va), fields))
        if isinstance(a, Header | DynHeader) or isinstance(b, Header | DynHeader):
            raise unsupported(f"comparing '{_text(e.left) if isinstance(e, ast.Binary) else _text(e)}' here", e.loc)
        ta = getattr(a, "type", None)
        return op("==", self.value_json(a, ta, e), self.value_json(b, ta, e))

    def _unary(self, e: ast.Unary) -> J:
        if e.op == "!":
            return op("not", None, self.cond(e.operand))
        if e.op == "+":
            return self.rv(e.operand)
        x = self.data(e.operand)
        if e.op == "~":
            bits = t.underlying_bits(e.type) if e.type is not None else None
            if bits is not None and not bits.signed:
                return op("&", op("~", None, x), hexval(mask(bits.width), bits.width))
            return self._wrap(op("~", None, x), e.type)
        if e.op == "-":
            return self._wrap(op("-", hexval(0, scalar_width(e.type)), x), e.type)
        raise unsupported(f"operator '{e.op}'", e.loc)

    def _cast(self, e: ast.Cast) -> J:
        to = e.type
        src = e.expr.type
        if is_bool(to):
            if is_bool(src):
                return self.rv(e.expr)
            return d2b(self.data(e.expr))
        x = self.data(e.expr)
        tb = t.underlying_bits(to) if to is not None else None
        if tb is None:
            if isinstance(to, t.EnumType | t.ErrorType):
                return x
            raise unsupported(f"cast to {to}", e.loc)
        sb = t.underlying_bits(src) if src is not None else None
        if tb.signed:
            if sb is not None and sb.signed and sb.width <= tb.width:
                return x
            return op("two_comp_mod", x, hexval(tb.width, 32))
        if sb is not None and not sb.signed and sb.width <= tb.width:
            return x
        if is_bool(src):
            return x
        return op("&", x, hexval(mask(tb.width), tb.width))

    def _slice(self, e: ast.Slice) -> J:
        hi = const_int(e.hi.const_value, self.be)
        lo = const_int(e.lo.const_value, self.be)
        if hi is None or lo is None:
            raise CompileError("slice bounds must be compile-time constants", e.loc)
        x = self.data(e.expr)
        w = int(hi) - int(lo) + 1
        if int(lo):
            x = op(">>", x, hexval(int(lo), 32))
        return op("&", x, hexval(mask(w), w))

    def _call(self, e: ast.MethodCall) -> J:
        callee = e.callee
        method = e.method
        if callee == "isValid" and isinstance(method, ast.Member):
            target = self.value(method.expr)
            if isinstance(target, Header):
                return d2b(target.valid_field())
            if isinstance(target, Union):
                return op("valid_union", None, target.json())
            if isinstance(target, DynHeader):
                return op("valid", None, target.json())
            raise unsupported(f"isValid() on '{_text(method.expr)}'", e.loc)
        if isinstance(callee, ast.FunctionDecl):
            v = self.be.inline_function(self, e)
            return self.value_json(v, e.type, e)
        if isinstance(callee, ast.MethodDecl) and callee.name == "lookahead" and isinstance(method, ast.Member):
            w = scalar_width(e.type)
            if self.in_parser and w is not None and e.type is not None:
                return self.value_json(self._lookahead(0, w, e.type, e), e.type, e)
            raise unsupported(f"'{_text(e)}' here (lookahead is supported in parser states)", e.loc)
        if isinstance(method, ast.Member) and method.member in ("minSizeInBits", "minSizeInBytes"):
            raise CompileError(f"internal error: '{_text(e)}' was not folded to a constant", e.loc)
        raise unsupported(f"call '{_text(e)}' inside an expression", e.loc)


def ordered_args(args: list[ast.Argument], params: list[ast.Param]) -> list[ast.Argument]:
    """The arguments of a call in parameter order (named arguments may come in any order), a
    parameter left out that has a default value (`in bit<8> y = 5`) taking that value."""
    by_name = {a.name: a for a in args if a.name}
    positional = [a for a in args if not a.name]
    out: list[ast.Argument] = []
    for p in params:
        if p.name in by_name:
            out.append(by_name[p.name])
        elif positional:
            out.append(positional.pop(0))
        elif p.default is not None:
            out.append(ast.Argument(value=p.default, loc=p.default.loc))
        else:
            break
    return out


def call_args(e: ast.MethodCall) -> list[ast.Expression]:
    """The argument expressions of a call to a declaration with parameters, in parameter order."""
    params = getattr(e.callee, "params", None)
    if isinstance(params, list):
        return [a.value for a in ordered_args(e.args, params)]
    return [a.value for a in e.args]


def lookahead_field(e: ast.Member) -> tuple[int, int, t.Type] | None:
    """(bit offset, width, type) of `pkt.lookahead<H>().f`, else None."""
    call = e.expr
    if not (isinstance(call, ast.MethodCall) and isinstance(call.callee, ast.MethodDecl)):
        return None
    if call.callee.name != "lookahead" or not isinstance(call.type, t.StructLikeType):
        return None
    offset = 0
    for fname, fty in call.type.fields:
        w = scalar_width(fty)
        if w is None:
            return None
        if fname == e.member:
            return offset, w, fty
        offset += w
    return None


def is_signed_type(ty: t.Type | None) -> bool:
    bits = t.underlying_bits(ty) if ty is not None else None
    return bits is not None and bits.signed


def width_of_type(ty: t.Type, e: ast.Node) -> int:
    return storage_width(ty, e.loc)


def _text(e: ast.Node) -> str:
    return expr_text(e)


def expr_text(e: ast.Node) -> str:
    """Source-like text of an expression, for messages and JSON names."""
    if isinstance(e, ast.PathExpr):
        return ("." if e.dot_prefix else "") + e.name
    if isinstance(e, ast.Member):
        return f"{expr_text(e.expr)}.{e.member}"
    if isinstance(e, ast.Index):
        return f"{expr_text(e.expr)}[{expr_text(e.index)}]"
    if isinstance(e, ast.Slice):
        return f"{expr_text(e.expr)}[{expr_text(e.hi)}:{expr_text(e.lo)}]"
    if isinstance(e, ast.IntLiteral):
        return e.text or str(e.value)
    if isinstance(e, ast.BoolLiteral):
        return "true" if e.value else "false"
    if isinstance(e, ast.StringLiteral):
        return e.text or repr(e.value)
    if isinstance(e, ast.Binary):
        return f"{expr_text(e.left)} {e.op} {expr_text(e.right)}"
    if isinstance(e, ast.Unary):
        return f"{e.op}{expr_text(e.operand)}"
    if isinstance(e, ast.MethodCall):
        args = ", ".join(expr_text(a.value) for a in e.args)
        return f"{expr_text(e.method)}({args})"
    if isinstance(e, ast.TypeNameExpr):
        ref = e.type_ref
        return getattr(ref, "name", type(ref).__name__)
    if isinstance(e, ast.Mux):
        return f"{expr_text(e.cond)} ? {expr_text(e.then)} : {expr_text(e.else_)}"
    if isinstance(e, ast.Cast):
        return f"({getattr(e.to, 'name', 'type')}){expr_text(e.expr)}"
    if isinstance(e, ast.ListExpr):
        return "{" + ", ".join(expr_text(x) for x in e.elements) + "}"
    if isinstance(e, ast.StructExpr):
        return "{" + ", ".join(f"{f.name} = {expr_text(f.value)}" for f in e.fields) + "}"
    if isinstance(e, ast.Mask):
        return f"{expr_text(e.value)} &&& {expr_text(e.mask)}"
    if isinstance(e, ast.Range):
        return f"{expr_text(e.lo)} .. {expr_text(e.hi)}"
    if isinstance(e, ast.DontCareExpr):
        return "_"
    if isinstance(e, ast.DefaultExpr):
        return "default"
    if isinstance(e, ast.AssignmentStatement):
        return f"{expr_text(e.left)} = {expr_text(e.right)}"
    if isinstance(e, ast.MethodCallStatement):
        return expr_text(e.call)
    if isinstance(e, ast.Declaration):
        return e.name
    return type(e).__name__
