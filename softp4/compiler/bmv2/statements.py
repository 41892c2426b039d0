"""Lowering of statements to BMv2 primitives (action bodies, and code run in parsers).

`StmtLowerer` appends primitives to `prims`.  Calls of actions and functions
are inlined, `if` becomes `_jump_if_zero`/`_jump`, `return` a jump to the end
of the enclosing action or function, and v1model's extern functions and
methods become simple_switch's primitives.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from softp4.compiler import ast
from softp4.compiler import types as t
from softp4.compiler.bmv2.expressions import (
    ExprLowerer,
    Scope,
    const_int,
    expr_text,
    is_bool,
    is_lookahead,
    scalar_width,
)
from softp4.compiler.bmv2.jsonutil import J, as_param, b2d, d2b, hexval, mask, op
from softp4.compiler.bmv2.values import (
    BitSlice,
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
)
from softp4.compiler.errors import CompileError, unsupported

if TYPE_CHECKING:
    from softp4.compiler.bmv2.program import Backend


def _calls_function(e: ast.Expression) -> bool:
    """Whether evaluating `e` runs a function body (which may have side effects)."""
    return any(isinstance(n, ast.MethodCall) and isinstance(n.callee, ast.FunctionDecl) for n in ast.walk(e))


def prim(name: str, *params: J, loc: ast.Node | None = None) -> J:
    j: J = {"op": name, "parameters": [as_param(p) for p in params]}
    if loc is not None and loc.loc.line > 0:
        j["source_info"] = {
            "filename": loc.loc.file,
            "line": loc.loc.line,
            "column": loc.loc.col,
            "source_fragment": expr_text(loc),
        }
    return j


class _Frame:
    """An action or function body being inlined: where its `return`s jump, and the copies of
    its `out`/`inout` arguments made after it (also made when an `exit` leaves it)."""

    def __init__(self, result: Value | None, copy_out: list[tuple[Value, Value, ast.Node]] | None = None) -> None:
        self.result = result
        self.jumps: list[J] = []
        self.copy_out = copy_out or []


class _Loop:
    """The `break` and `continue` jumps of the loop being lowered, patched at its end."""

    def __init__(self) -> None:
        self.breaks: list[J] = []
        self.continues: list[J] = []


class StmtLowerer(ExprLowerer):
    """Lowers statements into the primitive list `prims`."""

    def __init__(self, be: Backend, scope: Scope, in_parser: bool = False) -> None:
        self.prims: list[J] = []
        super().__init__(be, scope, self.prims.append, in_parser)
        self.frames: list[_Frame] = []
        self.exit_jumps: list[J] = []
        self.loops: list[_Loop] = []

    # ------------------------------------------------------------ statements

    def statements(self, stmts: list[ast.Node]) -> None:
        for s in stmts:
            self.statement(s)

    def statement(self, s: ast.Node) -> None:
        if isinstance(s, ast.AssignmentStatement):
            if s.op is not None:
                self._compound_assign(s)
            elif isinstance(s.left, ast.Slice):
                self._assign_slice(s.left, s.right, s)
            else:
                self.assign(self.value(s.left), s.right, s)
        elif isinstance(s, ast.MethodCallStatement):
            self.call(s.call)
        elif isinstance(s, ast.BlockStatement):
            self.statements(s.statements)
        elif isinstance(s, ast.IfStatement):
            self._if(s)
        elif isinstance(s, ast.VariableDecl):
            self.declare(s)
        elif isinstance(s, ast.ConstantDecl):
            self.declare_const(s)
        elif isinstance(s, ast.EmptyStatement):
            pass
        elif isinstance(s, ast.ExitStatement):
            # `exit` still copies out the arguments of every call it leaves, innermost first
            for frame in reversed(self.frames):
                for dst, tmp, at in frame.copy_out:
                    self.assign_value(dst, tmp, at)
            self.prims.append(prim("exit", loc=None))
            if not self.in_parser:
                # nothing after exit runs: jump to the end of the whole action
                jmp = prim("_jump", hexval(0, 32))
                self.exit_jumps.append(jmp)
                self.prims.append(jmp)
        elif isinstance(s, ast.ReturnStatement):
            self._return(s)
        elif isinstance(s, ast.SwitchStatement):
            self._switch(s)
        elif isinstance(s, ast.ForStatement):
            self._for(s)
        elif isinstance(s, ast.ForInStatement):
            self._for_in(s)
        elif isinstance(s, ast.BreakStatement | ast.ContinueStatement):
            if not self.loops or self.in_parser:
                raise unsupported(f"'{'break' if isinstance(s, ast.BreakStatement) else 'continue'}' here", s.loc)
            jmp = prim("_jump", hexval(0, 32))
            loop = self.loops[-1]
            (loop.breaks if isinstance(s, ast.BreakStatement) else loop.continues).append(jmp)
            self.prims.append(jmp)
        else:
            raise unsupported(f"{type(s).__name__} in this context", s.loc)

    # ------------------------------------------------------------ loops (jumps inside one action, as p4c does)

    def _loop_body(self, body: ast.Statement) -> _Loop:
        loop = _Loop()
        self.loops.append(loop)
        try:
            self.statement(body)
        finally:
            self.loops.pop()
        return loop

    def _patch(self, jumps: list[J], target: int) -> None:
        for j in jumps:
            j["parameters"][-1] = hexval(target, 32)

    def _for(self, s: ast.ForStatement) -> None:
        if self.in_parser:
            raise unsupported("a 'for' loop in a parser", s.loc)
        for st in s.init:
            self.statement(st)
        top = len(self.prims)
        exits: list[J] = []
        if s.cond is not None:
            c = self.cond(s.cond)
            if c.get("type") == "bool" and not c["value"]:
                return
            if c.get("type") != "bool":
                jz = prim("_jump_if_zero", as_param(b2d(c)), hexval(0, 32))
                self.prims.append(jz)
                exits.append(jz)
        loop = self._loop_body(s.body)
        self._patch(loop.continues, len(self.prims))
        for st in s.update:
            self.statement(st)
        self.prims.append(prim("_jump", hexval(top, 32)))
        self._patch(exits + loop.breaks, len(self.prims))

    def _for_in(self, s: ast.ForInStatement) -> None:
        if self.in_parser:
            raise unsupported("a 'for' loop in a parser", s.loc)
        ty = s.var.type_ref.resolved
        if ty is None:
            raise CompileError(f"internal error: no type for '{s.var.name}'", s.var.loc)
        var = self.be.storage.alloc(self.be.local_base(self.scope, s.var.name), ty, s.var.loc)
        self.scope.bind(s.var, var)
        c = s.collection
        if isinstance(c, ast.Range):
            # var = lo; while (var <= hi) { body; if (var == hi) break; var = var + 1; }
            w = scalar_width(ty)
            assert w is not None and isinstance(var, Field)
            hi = self.be.storage.scalar(self.be.unique_name("range_hi"), ty, c.loc)
            self.assign(hi, c.hi, s)
            self.assign(var, c.lo, s)
            top = len(self.prims)
            le = op("<=", var.json(), hi.json())
            jz = prim("_jump_if_zero", as_param(b2d(le)), hexval(0, 32))
            self.prims.append(jz)
            loop = self._loop_body(s.body)
            self._patch(loop.continues, len(self.prims))
            last = op("==", var.json(), hi.json())
            at_end = prim("_jump_if_zero", as_param(b2d(last)), hexval(0, 32))
            self.prims.append(at_end)
            done = prim("_jump", hexval(0, 32))
            self.prims.append(done)
            at_end["parameters"][-1] = hexval(len(self.prims), 32)
            step = op("+", var.json(), hexval(1, w))
            self.prims.append(prim("assign", var.json(), as_param(step), loc=s))
            self.prims.append(prim("_jump", hexval(top, 32)))
            self._patch([jz, done, *loop.breaks], len(self.prims))
            return
        stack = self.value(c)
        if not isinstance(stack, Stack):
            raise unsupported(f"a 'for ... in' over '{expr_text(c)}'", c.loc)
        # a header stack has a fixed size: one copy of the body per element
        breaks: list[J] = []
        for element in stack.elements:
            self.assign_value(var, element, s)
            loop = self._loop_body(s.body)
            self._patch(loop.continues, len(self.prims))
            breaks.extend(loop.breaks)
        self._patch(breaks, len(self.prims))

    def _compound_assign(self, s: ast.AssignmentStatement) -> None:
        """`x op= e`: `x = x op e` with the lvalue `x` (a run-time index in it, say) evaluated once."""
        base = s.left
        while isinstance(base, ast.Slice):
            base = base.expr
        self.be.subst[id(base)] = self.value(base)
        try:
            if isinstance(s.left, ast.Slice):
                self._assign_slice(s.left, s.right, s)
            else:
                self.assign(self.value(s.left), s.right, s)
        finally:
            del self.be.subst[id(base)]

    def _assign_slice(self, sl: ast.Slice, src: ast.Expression, at: ast.Node) -> None:
        self.assign_bits(self.slice_target(sl), self.data(src), at)

    def assign_bits(self, dst: BitSlice, value: J, at: ast.Node) -> None:
        """`f[hi:lo] = v` as `f = (f & ~(m << lo)) | ((v & m) << lo)`."""
        w = scalar_width(dst.base.type)
        assert w is not None
        m = (1 << (dst.hi - dst.lo + 1)) - 1
        keep = ((1 << w) - 1) ^ (m << dst.lo)
        value = op("&", value, hexval(m, w))
        if dst.lo:
            value = op("<<", value, hexval(dst.lo, 32))
        j = op("|", op("&", dst.base.json(), hexval(keep, w)), value)
        self.prims.append(prim("assign", dst.base.json(), as_param(j), loc=at))

    def slice_target(self, sl: ast.Slice) -> BitSlice:
        """The bits a slice lvalue denotes; `f[a:b][c:d]` is `f[b+c:b+d]`."""
        hi = const_int(sl.hi.const_value, self.be)
        lo = const_int(sl.lo.const_value, self.be)
        target = sl.expr
        while isinstance(target, ast.Slice) and hi is not None and lo is not None:
            outer_lo = const_int(target.lo.const_value, self.be)
            if outer_lo is None:
                break
            hi, lo = int(hi) + int(outer_lo), int(lo) + int(outer_lo)
            target = target.expr
        dst = self.value(target)
        if not isinstance(dst, Field | DynField):
            raise unsupported(f"assigning to the slice '{expr_text(sl)}'", sl.loc)
        if hi is None or lo is None or scalar_width(dst.type) is None:
            raise CompileError("slice bounds must be compile-time constants", sl.loc)
        return BitSlice(dst, int(hi), int(lo), t.BitsType(int(hi) - int(lo) + 1))

    def declare(self, d: ast.VariableDecl) -> None:
        ty = d.type_ref.resolved
        if ty is None:
            raise CompileError(f"internal error: no type for '{d.name}'", d.loc)
        v = self.be.storage.alloc(self.be.local_base(self.scope, d.name), ty, d.loc)
        self.scope.bind(d, v)
        if d.init is not None:
            self.assign(v, d.init, d)
        elif isinstance(v, Header):
            pass  # headers start invalid

    def declare_const(self, d: ast.ConstantDecl) -> None:
        c = const_int(d.value.const_value, self.be)
        if c is not None:
            self.scope.bind(d, Const(c, d.type_ref.resolved or t.INT))
        else:
            self.scope.bind(d, self.value(d.value))

    def _if(self, s: ast.IfStatement) -> None:
        if self.in_parser:
            raise unsupported("'if' here (the parser lowering splits states)", s.loc)
        c = self.cond(s.cond)
        if c.get("type") == "bool":
            branch = s.then if c["value"] else s.else_
            if branch is not None:
                self.statement(branch)
            return
        jz = prim("_jump_if_zero", as_param(b2d(c)), hexval(0, 32))
        self.prims.append(jz)
        self.statement(s.then)
        if s.else_ is not None:
            jmp = prim("_jump", hexval(0, 32))
            self.prims.append(jmp)
            jz["parameters"][1] = hexval(len(self.prims), 32)
            self.statement(s.else_)
            jmp["parameters"][0] = hexval(len(self.prims), 32)
        else:
            jz["parameters"][1] = hexval(len(self.prims), 32)

    def _switch(self, s: ast.SwitchStatement) -> None:
        """`switch` on a value: a chain of comparisons."""
        if isinstance(s.expr.type, t.ActionEnumType):
            raise unsupported("switch on action_run inside an action", s.loc)
        selector = self.be.storage.scalar(self.be.local_base(self.scope, "switch"), s.expr.type or t.INT, s.loc)
        self.assign(selector, s.expr, s)
        ends: list[J] = []
        pending_labels: list[ast.Expression] = []
        for case in s.cases:
            pending_labels.append(case.label)
            if case.body is None:
                continue
            labels, pending_labels = pending_labels, []
            if any(isinstance(lb, ast.DefaultExpr) for lb in labels):
                self.statement(case.body)
                ends.append(prim("_jump", hexval(0, 32)))
                self.prims.append(ends[-1])
                continue
            test: J | None = None
            for lb in labels:
                eq: J = {"type": "expression", "value": {"op": "==", "left": selector.json(), "right": self.data(lb)}}
                test = eq if test is None else {"type": "expression", "value": {"op": "or", "left": test, "right": eq}}
            assert test is not None
            jz = prim("_jump_if_zero", as_param(b2d(test)), hexval(0, 32))
            self.prims.append(jz)
            self.statement(case.body)
            ends.append(prim("_jump", hexval(0, 32)))
            self.prims.append(ends[-1])
            jz["parameters"][1] = hexval(len(self.prims), 32)
        for j in ends:
            j["parameters"][0] = hexval(len(self.prims), 32)

    def _return(self, s: ast.ReturnStatement) -> None:
        if not self.frames:
            raise unsupported("'return' here", s.loc)
        frame = self.frames[-1]
        if s.value is not None:
            if frame.result is None:
                raise CompileError("return with a value in a function returning void", s.loc)
            self.assign(frame.result, s.value, s)
        if self.in_parser:
            raise unsupported("'return' inside a function called from a parser", s.loc)
        jmp = prim("_jump", hexval(0, 32))
        frame.jumps.append(jmp)
        self.prims.append(jmp)

    def finish(self) -> list[J]:
        """The primitives, with the jumps after `exit` pointing past the last one."""
        for j in self.exit_jumps:
            j["parameters"][0] = hexval(len(self.prims), 32)
        if self.exit_jumps and self.prims and self.prims[-1] is self.exit_jumps[-1]:
            # `exit` as the last statement needs no jump; jumps to the end stay at the end
            self.prims.pop()
            end = hexval(len(self.prims), 32)
            for p in self.prims:
                if p["op"] in ("_jump", "_jump_if_zero"):
                    target = p["parameters"][-1]
                    if int(target["value"], 16) > len(self.prims):
                        p["parameters"][-1] = end
        self.exit_jumps.clear()
        return self.prims

    def run_frame(self, frame: _Frame, body: list[ast.Node]) -> None:
        """Lower an inlined body; its `return`s jump to its end."""
        self.frames.append(frame)
        try:
            self.statements(body)
        finally:
            self.frames.pop()
        for j in frame.jumps:
            j["parameters"][0] = hexval(len(self.prims), 32)

    # ------------------------------------------------------------ operators with side effects

    def rv(self, e: ast.Expression) -> J:
        """As ExprLowerer.rv, but an operand of `&&`, `||` or `?:` that calls a function is
        evaluated only when the language evaluates it (short-circuit), as p4c lowers it."""
        if not self.in_parser and id(e) not in self.be.subst and e.const_value is None:
            if isinstance(e, ast.Binary) and e.op in ("&&", "||") and _calls_function(e.right):
                return self._short_circuit(e)
            if isinstance(e, ast.Binary) and _calls_function(e.right):
                # the left operand is read before the function on the right runs
                with self._evaluated_first([e.left]):
                    return super().rv(e)
            if (
                isinstance(e, ast.Mux)
                and (_calls_function(e.then) or _calls_function(e.else_))
                and scalar_width(e.type) is not None
            ):
                return self._lazy_mux(e)
        return super().rv(e)

    def _aggregate(self, e: ast.StructExpr | ast.ListExpr, ty: t.Type | None = None) -> Struct:
        """As ExprLowerer._aggregate, members read left to right before a later member's function call."""
        members = [nf.value for nf in e.fields] if isinstance(e, ast.StructExpr) else list(e.elements)
        calls = [_calls_function(m) for m in members]
        if self.in_parser or True not in calls:
            return super()._aggregate(e, ty)
        last = len(calls) - 1 - calls[::-1].index(True)
        with self._evaluated_first(members[:last]):
            return super()._aggregate(e, ty)

    @contextmanager
    def _evaluated_first(self, exprs: list[ast.Expression]) -> Iterator[None]:
        """Within the block, each scalar of `exprs` that reads storage stands for a temporary
        holding its value now (before function calls later in the same expression change it)."""
        saved: list[int] = []
        for x in exprs:
            w = scalar_width(x.type)
            if x.const_value is not None or w is None or x.type is None or id(x) in self.be.subst:
                continue
            v = self.value(x)
            if not isinstance(v, Field | DynField | Expr | RuntimeData):
                continue
            tmp = self.be.storage.scalar(self.be.unique_name("tmp"), x.type, x.loc)
            self.assign_value(tmp, v, x)
            self.be.subst[id(x)] = tmp
            saved.append(id(x))
        try:
            yield
        finally:
            for key in saved:
                del self.be.subst[key]

    def _short_circuit(self, e: ast.Binary) -> J:
        left = self.cond(e.left)
        if left.get("type") == "bool":
            # `true || x` is true and `false && x` false without evaluating x
            if bool(left["value"]) == (e.op == "||"):
                return left
            return self.cond(e.right)
        tmp = self.be.storage.scalar(self.be.unique_name("tmp"), t.BOOL, e.loc)
        self.prims.append(prim("assign", tmp.json(), as_param(b2d(left)), loc=e))
        test = d2b(tmp.json()) if e.op == "&&" else op("not", None, d2b(tmp.json()))
        jz = prim("_jump_if_zero", as_param(b2d(test)), hexval(0, 32))
        self.prims.append(jz)
        self.prims.append(prim("assign", tmp.json(), as_param(b2d(self.cond(e.right))), loc=e))
        jz["parameters"][1] = hexval(len(self.prims), 32)
        return d2b(tmp.json())

    def _lazy_mux(self, e: ast.Mux) -> J:
        assert e.type is not None
        c = self.cond(e.cond)
        if c.get("type") == "bool":
            return self.rv(e.then if c["value"] else e.else_)
        tmp = self.be.storage.scalar(self.be.unique_name("tmp"), e.type, e.loc)
        jz = prim("_jump_if_zero", as_param(b2d(c)), hexval(0, 32))
        self.prims.append(jz)
        self.assign(tmp, e.then, e)
        jmp = prim("_jump", hexval(0, 32))
        self.prims.append(jmp)
        jz["parameters"][1] = hexval(len(self.prims), 32)
        self.assign(tmp, e.else_, e)
        jmp["parameters"][0] = hexval(len(self.prims), 32)
        return self.value_json(tmp, e.type, e)

    # ------------------------------------------------------------ assignment

    def assign(self, dst: Value, src: ast.Expression, at: ast.Node) -> None:
        if isinstance(dst, Field | DynField):
            ty = dst.type
            if isinstance(ty, t.VarbitType):
                sv = self.value(src)
                if not isinstance(sv, Field):
                    raise unsupported("assigning this value to a varbit field", at.loc)
                self.prims.append(prim("assign_VL", dst.json(), sv.json(), loc=at))
                return
            rhs = self.data(src) if not is_bool(ty) else b2d(self.cond(src))
            self.prims.append(prim("assign", dst.json(), as_param(rhs), loc=at))
            return
        if isinstance(dst, Const | Expr):
            raise CompileError(f"cannot assign to '{expr_text(at)}'", at.loc)
        if isinstance(src, ast.InvalidHeaderExpr):
            # `h = {#}`: the header (every member of a union) becomes invalid
            if isinstance(dst, Header | DynHeader):
                self.prims.append(prim("remove_header", dst.json(), loc=at))
                return
            if isinstance(dst, Union):
                for member in dst.members.values():
                    self.prims.append(prim("remove_header", member.json(), loc=at))
                return
            raise unsupported(f"'{{#}}' assigned to '{expr_text(at)}'", at.loc)
        if is_lookahead(src):
            self._lookahead_into(dst, at)
            return
        self.assign_value(dst, self.value(src), at)

    def assign_value(self, dst: Value, src: Value, at: ast.Node) -> None:
        """Copy a whole value (header, union, stack, struct, scalar, bits of a scalar)."""
        if isinstance(dst, BitSlice):
            return self.assign_bits(dst, self.value_json(src, dst.type, at), at)
        if isinstance(dst, Field | DynField):
            if isinstance(src, Field | DynField):
                self.prims.append(prim("assign", dst.json(), src.json(), loc=at))
                return None
            j = self.value_json(src, dst.type, at)
            if is_bool(dst.type):
                j = b2d(j)
            self.prims.append(prim("assign", dst.json(), as_param(j), loc=at))
            return None
        if isinstance(dst, Header | DynHeader):
            if isinstance(src, Header | DynHeader):
                self.prims.append(prim("assign_header", dst.json(), src.json(), loc=at))
                return None
            if isinstance(src, Struct):
                self.prims.append(prim("add_header", dst.json(), loc=at))
                for fname, fv in src.fields.items():
                    self.assign_value(self._field_of(dst, fname, at), fv, at)
                return None
            raise unsupported(f"assigning this value to header '{expr_text(at)}'", at.loc)
        if isinstance(dst, Union) and isinstance(src, Union):
            self.prims.append(prim("assign_union", dst.json(), src.json(), loc=at))
            return None
        if isinstance(dst, Stack) and isinstance(src, Stack):
            name = "assign_union_stack" if dst.is_union else "assign_header_stack"
            self.prims.append(prim(name, dst.json(), src.json(), loc=at))
            return None
        if isinstance(dst, Struct) and isinstance(src, Struct):
            for (fname, dv), sv in zip(dst.fields.items(), src.fields.values(), strict=False):
                if fname in src.fields:
                    sv = src.fields[fname]
                self.assign_value(dv, sv, at)
            return None
        raise unsupported(f"assignment to '{expr_text(at)}' of this value", at.loc)

    def _field_of(self, h: Header | DynHeader, name: str, at: ast.Node) -> Value:
        if isinstance(h, Header):
            if name not in h.fields:
                raise CompileError(f"no field '{name}' in header {h.type.name}", at.loc)
            return h.fields[name]
        names = [n for n, _ in h.type.fields]
        if name not in names:
            raise CompileError(f"no field '{name}' in header {h.type.name}", at.loc)
        return DynField(h, names.index(name), h.type.fields[names.index(name)][1])

    def _lookahead_into(self, dst: Value, at: ast.Node) -> None:
        """`dst = pkt.lookahead<T>()` for a header, struct or stack, as p4c's ExpandLookahead: one
        lookahead of the whole width into a temporary, then each header made valid and each field
        set from its slice (so a packet too short fails before anything changes)."""
        if not self.in_parser:
            raise unsupported(f"'{expr_text(at)}' outside a parser", at.loc)
        leaves: list[Header | Field] = []

        def walk(v: Value) -> None:
            if isinstance(v, Field):
                if scalar_width(v.type) is None:
                    raise unsupported("lookahead of a type with varbit fields", at.loc)
                leaves.append(v)
            elif isinstance(v, Header | Struct):
                if isinstance(v, Header):
                    leaves.append(v)
                for sub in v.fields.values():
                    walk(sub)
            elif isinstance(v, Stack) and not v.is_union:
                for el in v.elements:
                    walk(el)
            else:
                raise unsupported(f"lookahead into '{expr_text(at)}'", at.loc)

        walk(dst)
        total = sum(scalar_width(f.type) or 0 for f in leaves if isinstance(f, Field))
        tmp = self.be.storage.scalar(self.be.unique_name("lookahead_tmp"), t.BitsType(total), at.loc)
        self.prims.append(prim("assign", tmp.json(), {"type": "lookahead", "value": [0, total]}, loc=at))
        low = total
        for leaf in leaves:
            if isinstance(leaf, Header):
                self.prims.append(prim("add_header", leaf.json(), loc=at))
                continue
            w = scalar_width(leaf.type) or 0
            low -= w
            part = op(">>", tmp.json(), hexval(low, 32)) if low else tmp.json()
            part = op("&", part, hexval(mask(w), w))
            self.prims.append(prim("assign", leaf.json(), as_param(part), loc=at))

    # ------------------------------------------------------------ calls

    def call(self, e: ast.MethodCall) -> None:
        callee = e.callee
        method = e.method
        if isinstance(callee, str):
            return self._builtin(e, callee)
        if isinstance(callee, ast.ActionDecl):
            return self.be.inline_action(self, callee, e)
        if isinstance(callee, ast.FunctionDecl):
            self.be.inline_function(self, e)
            return None
        if isinstance(callee, ast.ExternFunctionDecl):
            return self.be.externs.call_function(self, callee, e)
        if isinstance(callee, ast.MethodDecl) and isinstance(method, ast.Member):
            target = self.value(method.expr)
            if isinstance(target, ExternInstance):
                return self.be.externs.call_method(self, target, callee, e)
            if isinstance(target, PacketObj):
                raise unsupported(f"'{expr_text(e)}' here", e.loc)
        raise unsupported(f"call '{expr_text(e)}' here", e.loc)

    def _builtin(self, e: ast.MethodCall, name: str) -> None:
        method = e.method
        if not isinstance(method, ast.Member):
            raise unsupported(f"call '{expr_text(e)}'", e.loc)
        target = self.value(method.expr)
        if name in ("setValid", "setInvalid"):
            if not isinstance(target, Header | DynHeader):
                raise unsupported(f"{name}() on '{expr_text(method.expr)}'", e.loc)
            self.prims.append(prim("add_header" if name == "setValid" else "remove_header", target.json(), loc=e))
            return
        if name in ("push_front", "pop_front"):
            if not isinstance(target, Stack):
                raise CompileError(f"{name}() needs a header stack", e.loc)
            count = const_int(e.args[0].value.const_value, self.be) if e.args else None
            if count is None:
                raise CompileError(f"the argument of {name}() must be a compile-time constant", e.loc)
            self.prims.append(
                prim("push" if name == "push_front" else "pop", target.json(), hexval(int(count), 32), loc=e)
            )
            return
        if name == "apply":
            raise unsupported(f"'{expr_text(e)}' inside an action", e.loc)
        raise unsupported(f"'{name}()' here", e.loc)
