"""Lowering of parsers to BMv2 parse states, and of the deparser to an emit order.

Statements become parser operations (`extract`, `extract_VL`, `set`,
`verify`, `advance`, `primitive`).  A state containing an `if` or a
sub-parser call is split: the condition is stored and selected on, a
sub-parser's states are inlined with its `accept` continuing in the rest of
the calling state.  Select keys are padded per field to whole bytes; ranges
in keysets are expanded into value/mask pairs.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING

from softp4.compiler import ast
from softp4.compiler import types as t
from softp4.compiler.bmv2.expressions import (
    ExprLowerer,
    Scope,
    call_args,
    const_int,
    expr_text,
    is_bool,
    scalar_width,
)
from softp4.compiler.bmv2.jsonutil import J, b2d, hexstr, mask
from softp4.compiler.bmv2.statements import StmtLowerer, prim
from softp4.compiler.bmv2.values import (
    BlockInstance,
    Expr,
    Field,
    Header,
    PacketObj,
    Stack,
    Struct,
    Union,
    Value,
    ValueSet,
)
from softp4.compiler.errors import CompileError, unsupported

if TYPE_CHECKING:
    from softp4.compiler.bmv2.program import Backend

#: What ends a state: a function adding the transition key and transitions to the state.
Tail = Callable[[J, list[J]], None]


def range_to_masks(lo: int, hi: int, width: int) -> list[tuple[int, int]]:
    """Cover [lo, hi] with value/mask pairs (aligned power-of-two blocks)."""
    out: list[tuple[int, int]] = []
    full = mask(width)
    while lo <= hi:
        size = lo & -lo if lo else 1 << width
        while size > hi - lo + 1:
            size >>= 1
        out.append((lo, full ^ (size - 1)))
        lo += size
    return out


def _is_packet_method(e: ast.MethodCall, name: str) -> bool:
    return isinstance(e.callee, ast.MethodDecl) and e.callee.name == name and isinstance(e.method, ast.Member)


class ParserLowerer:
    """Builds the `parsers` entry (and the parse value sets)."""

    def __init__(self, be: Backend) -> None:
        self.be = be
        self.states: list[J] = []
        self._names: set[str] = set()

    def _state_name(self, base: str) -> str:
        name = base
        n = 0
        while name in self._names:
            name = f"{base}_{n}"
            n += 1
        self._names.add(name)
        return name

    def parser(self, scope: Scope, decl: ast.ParserDecl) -> J:
        start = self.inline(scope, decl, self.be.block_prologue(scope, decl), "", None)
        return {"name": "parser", "id": 0, "init_state": start, "parse_states": self.states}

    def inline(
        self, scope: Scope, decl: ast.ParserDecl, prologue: list[ast.Node], prefix: str, accept: str | None
    ) -> str | None:
        """Lower `decl`'s states; `accept` is where its accept state goes (None: end of parsing).
        Returns the name of its start state."""
        names: dict[str, str] = {}
        for st in decl.states:
            names[st.name] = self._state_name(prefix + st.name)
        if "start" not in names:
            raise CompileError(f"parser '{decl.name}' has no start state", decl.loc)

        def target(name: str, at: ast.Node) -> str | None:
            if name == "accept":
                return accept
            if name == "reject":
                self.be.warn("transition to reject is compiled as accept on this target (as p4c does)", at)
                return None
            if name not in names:
                raise CompileError(f"no state '{name}' in parser '{decl.name}'", at.loc)
            return names[name]

        for st in decl.states:
            stmts = list(st.statements)
            if st.name == "start":
                stmts = prologue + stmts
            self.state(scope, names[st.name], stmts, self._tail(scope, st, target))
        return names["start"]

    def _tail(self, scope: Scope, st: ast.ParserState, target: Callable[[str, ast.Node], str | None]) -> Tail:
        tr = st.transition

        def tail(state: J, ops: list[J]) -> None:
            if tr is None:
                state["transitions"] = [{"type": "default", "value": None, "mask": None, "next_state": None}]
                return
            if isinstance(tr, ast.PathExpr):
                nxt = target(tr.name, tr)
                state["transitions"] = [{"type": "default", "value": None, "mask": None, "next_state": nxt}]
                return
            if isinstance(tr, ast.SelectExpr):
                self._select(scope, tr, state, ops, target)
                return
            raise unsupported(f"transition '{expr_text(tr)}'", tr.loc)

        return tail

    def _goto(self, name: str | None) -> Tail:
        def tail(state: J, ops: list[J]) -> None:
            state["transitions"] = [{"type": "default", "value": None, "mask": None, "next_state": name}]

        return tail

    def state(
        self, scope: Scope, name: str, stmts: list[ast.Node], tail: Tail, first_ops: list[J] | None = None
    ) -> None:
        """Emit state `name` running `first_ops`, `stmts` then `tail`, splitting it where needed."""
        lw = StmtLowerer(self.be, scope, in_parser=True)
        ops: list[J] = list(first_ops or [])
        entry: J = {"name": name, "id": self.be.next_id("parse_state"), "parser_ops": ops, "transition_key": []}
        self.states.append(entry)
        flat = self._flatten(stmts)
        for i, s in enumerate(flat):
            rest = flat[i + 1 :]
            if isinstance(s, ast.IfStatement):
                self._split_if(lw, ops, entry, s, rest, tail)
                return
            if isinstance(s, ast.MethodCallStatement):
                sub = self._subparser(lw, s.call)
                if sub is not None:
                    cont = self._state_name(f"{name}_0")
                    self._flush(lw, ops, s)
                    copy_out: list[tuple[Value, Value, ast.Node]] = []
                    inner = self.be.bind_block(scope, sub, s.call, lw, copy_out)
                    self._flush(lw, ops, s)
                    for dst, tmp, at in copy_out:
                        lw.assign_value(dst, tmp, at)
                    after: list[J] = []
                    self._flush(lw, after, s)
                    assert isinstance(sub.decl, ast.ParserDecl)
                    start = self.inline(
                        inner,
                        sub.decl,
                        self.be.block_prologue(inner, sub.decl),
                        f"{sub.inst.name}_",
                        cont,
                    )
                    self._goto(start)(entry, ops)
                    self.state(scope, cont, rest, tail, after)
                    return
            self._op(lw, ops, s)
        tail(entry, ops)

    def _flatten(self, stmts: list[ast.Node]) -> list[ast.Node]:
        out: list[ast.Node] = []
        for s in stmts:
            if isinstance(s, ast.BlockStatement):
                out.extend(self._flatten(s.statements))
            else:
                out.append(s)
        return out

    def _split_if(
        self, lw: StmtLowerer, ops: list[J], entry: J, s: ast.IfStatement, rest: list[ast.Node], tail: Tail
    ) -> None:
        self._flush(lw, ops, s)
        c = lw.cond(s.cond)
        self._flush(lw, ops, s)
        name = entry["name"]
        join = self._state_name(f"{name}_join")
        then_s = self._state_name(f"{name}_true")
        else_s = self._state_name(f"{name}_false") if s.else_ is not None else join
        if c.get("type") == "bool":
            branch = s.then if c["value"] else s.else_
            self.state(lw.scope, join, ([branch] if branch is not None else []) + rest, tail)
            self._goto(join)(entry, ops)
            return
        tmp = self.be.storage.scalar(self.be.unique_name("cond"), t.BitsType(1), s.loc)
        ops.append({"op": "set", "parameters": [tmp.json(), _param(b2d(c))]})
        entry["transition_key"] = [tmp.json()]
        entry["transitions"] = [
            {"type": "hexstr", "value": "0x01", "mask": None, "next_state": then_s},
            {"type": "default", "value": None, "mask": None, "next_state": else_s},
        ]
        self.state(lw.scope, then_s, [s.then], self._goto(join))
        if s.else_ is not None:
            self.state(lw.scope, else_s, [s.else_], self._goto(join))
        self.state(lw.scope, join, rest, tail)

    def _subparser(self, lw: StmtLowerer, call: ast.MethodCall) -> BlockInstance | None:
        m = call.method
        if isinstance(m, ast.Member) and m.member == "apply":
            if isinstance(m.expr, ast.TypeNameExpr) and isinstance(call.callee, ast.ParserDecl):
                return self.be.implicit_instance(lw.scope, call.callee, call)
            v = lw.value(m.expr)
            if isinstance(v, BlockInstance):
                if not isinstance(v.decl, ast.ParserDecl):
                    raise CompileError("a control cannot be applied in a parser", call.loc)
                return v
        return None

    # ------------------------------------------------------------ operations

    def _flush(self, lw: StmtLowerer, ops: list[J], at: ast.Node) -> None:
        """Move the primitives `lw` produced into parser operations."""
        for p in lw.prims:
            if p["op"] == "assign":
                ops.append({"op": "set", "parameters": p["parameters"]})
            elif p["op"] in ("_jump", "_jump_if_zero"):
                raise unsupported("this statement in a parser state", at.loc)
            else:
                ops.append({"op": "primitive", "parameters": [p]})
        lw.prims.clear()

    def _op(self, lw: StmtLowerer, ops: list[J], s: ast.Node) -> None:
        self._flush(lw, ops, s)
        op = self._packet_op(lw, s)
        self._flush(lw, ops, s)
        if op is not None:
            ops.append(op)

    def _packet_op(self, lw: StmtLowerer, s: ast.Node) -> J | None:
        """The parser operation of an extract/advance/verify call; other statements go to `lw`."""
        if isinstance(s, ast.MethodCallStatement):
            e = s.call
            if isinstance(e.method, ast.Member) and isinstance(lw.value(e.method.expr), PacketObj):
                if _is_packet_method(e, "extract"):
                    return self._extract(lw, e)
                if _is_packet_method(e, "advance"):
                    return {"op": "advance", "parameters": [self._advance_bits(lw, call_args(e)[0])]}
                if _is_packet_method(e, "lookahead"):
                    # a bare lookahead still needs the bits to be there (PacketTooShort otherwise):
                    # p4c reads them into a temporary
                    w = t.width_of(e.type) if e.type is not None else None
                    if w is None:
                        raise unsupported(f"'{expr_text(e)}' of type {e.type}", e.loc)
                    tmp = self.be.storage.scalar(self.be.unique_name("tmp"), t.BitsType(w), e.loc)
                    return {"op": "set", "parameters": [tmp.json(), {"type": "lookahead", "value": [0, w]}]}
                raise unsupported(f"'{expr_text(e)}' in a parser", e.loc)
            if isinstance(e.callee, ast.ExternFunctionDecl) and e.callee.name == "verify":
                vargs = call_args(e)
                err = lw.rv(vargs[1])
                return {"op": "verify", "parameters": [lw.cond(vargs[0]), err]}
        lw.statement(s)
        return None

    def _advance_bits(self, lw: StmtLowerer, arg: ast.Expression) -> J:
        """advance()'s operand: a constant or a field. BMv2 reads any other expression
        unwrapped and refuses it, so (as p4c's RemoveComplexExpressions does) it is computed
        into a temporary first."""
        j = lw.data(arg)
        if j.get("type") in ("hexstr", "field"):
            return j
        w = t.width_of(arg.type) if arg.type is not None else None
        if w is None:
            raise unsupported(f"advance by '{expr_text(arg)}'", arg.loc)
        tmp = self.be.storage.scalar(self.be.unique_name("tmp"), t.BitsType(w), arg.loc)
        lw.prims.append(prim("assign", tmp.json(), j, loc=arg))
        return tmp.json()

    def _extract(self, lw: StmtLowerer, e: ast.MethodCall) -> J:
        xargs = call_args(e)
        arg = xargs[0]
        param: J
        if isinstance(arg, ast.Member) and arg.member == "next":
            st = lw.value(arg.expr)
            if not isinstance(st, Stack):
                raise CompileError(f"'{expr_text(arg.expr)}' is not a header stack", arg.loc)
            param = {"type": "stack", "value": st.name}
        elif (
            isinstance(arg, ast.Member)
            and isinstance(arg.expr, ast.Member)
            and arg.expr.member == "next"
            and isinstance(lw.value(arg.expr.expr), Stack)
        ):
            st = lw.value(arg.expr.expr)
            assert isinstance(st, Stack)
            param = {"type": "union_stack", "value": [st.name, arg.member]}
        else:
            v = lw.value(arg)
            if not isinstance(v, Header):
                raise unsupported(f"extracting into '{expr_text(arg)}'", arg.loc)
            param = {"type": "regular", "value": v.instance}
        if len(xargs) == 1:
            return {"op": "extract", "parameters": [param]}
        length = lw.data(xargs[1])
        return {"op": "extract_VL", "parameters": [param, {"type": "expression", "value": length}]}

    # ------------------------------------------------------------ select

    def _key(self, lw: StmtLowerer, ops: list[J], e: ast.Expression) -> tuple[J, int]:
        if isinstance(e, ast.MethodCall) and _is_packet_method(e, "lookahead"):
            w = scalar_width(e.type)
            if w is None:
                raise unsupported(f"select on '{expr_text(e)}'", e.loc)
            return {"type": "lookahead", "value": [0, w]}, w
        if isinstance(e, ast.Member) and isinstance(e.expr, ast.Member) and e.expr.member == "last":
            st = lw.value(e.expr.expr)
            if isinstance(st, Stack) and not st.is_union:
                elem = st.type.element
                assert isinstance(elem, t.StructLikeType)
                fty = elem.field_type(e.member)
                w = scalar_width(fty)
                if w is None:
                    raise unsupported(f"select on '{expr_text(e)}'", e.loc)
                return {"type": "stack_field", "value": [st.name, e.member]}, w
        v = lw.value(e)
        self._flush(lw, ops, e)
        if isinstance(v, Field) and not is_bool(v.type):
            w = scalar_width(v.type)
            if w is not None:
                return v.json(), w
        if isinstance(v, Expr) and v.json.get("type") == "lookahead":
            return v.json, int(v.json["value"][1])
        w = scalar_width(e.type)
        if w is None or e.type is None:
            raise unsupported(f"select on '{expr_text(e)}'", e.loc)
        tmp = self.be.storage.scalar(self.be.unique_name("tmp"), t.BitsType(w), e.loc)
        value = _param(lw.data(e))
        self._flush(lw, ops, e)
        ops.append({"op": "set", "parameters": [tmp.json(), value]})
        return tmp.json(), w

    def _select(
        self,
        scope: Scope,
        sel: ast.SelectExpr,
        state: J,
        ops: list[J],
        target: Callable[[str, ast.Node], str | None],
    ) -> None:
        lw = StmtLowerer(self.be, scope, in_parser=True)
        keys: list[J] = []
        widths: list[int] = []
        for k in sel.keys:
            j, w = self._key(lw, ops, k)
            keys.append(j)
            widths.append(w)
        state["transition_key"] = keys
        transitions: list[J] = []
        for case in sel.cases:
            nxt = target(case.state.name, case.state)
            ks = case.keyset
            if isinstance(ks, ast.DefaultExpr | ast.DontCareExpr):
                transitions.append({"type": "default", "value": None, "mask": None, "next_state": nxt})
                continue
            if isinstance(ks, ast.PathExpr):
                vs = lw.value(ks)
                if isinstance(vs, ValueSet):
                    transitions.append({"type": "parse_vset", "value": vs.name, "mask": None, "next_state": nxt})
                    continue
            elems = ks.elements if isinstance(ks, ast.ListExpr) and len(widths) > 1 else [ks]
            if len(elems) != len(widths):
                raise CompileError(f"keyset has {len(elems)} values but select has {len(widths)} keys", ks.loc)
            choices: list[list[tuple[int, int]]] = []
            for el, w in zip(elems, widths, strict=True):
                choices.append(self._keyset_element(el, w))
            for combo in itertools.product(*choices):
                value = 0
                msk = 0
                exact = True
                for (v, m), w in zip(combo, widths, strict=True):
                    pw = 8 * ((w + 7) // 8)
                    value = (value << pw) | (v & m)
                    msk = (msk << pw) | m
                    if m != mask(w):
                        exact = False
                total = sum(8 * ((w + 7) // 8) for w in widths)
                if msk == 0:
                    transitions.append({"type": "default", "value": None, "mask": None, "next_state": nxt})
                else:
                    transitions.append(
                        {
                            "type": "hexstr",
                            "value": hexstr(value, total),
                            "mask": None if exact else hexstr(msk, total),
                            "next_state": nxt,
                        }
                    )
        state["transitions"] = transitions

    def _keyset_element(self, e: ast.Expression, w: int) -> list[tuple[int, int]]:
        full = mask(w)
        if isinstance(e, ast.DefaultExpr | ast.DontCareExpr):
            return [(0, 0)]
        if isinstance(e, ast.Mask):
            return [(self._const(e.value) & full, self._const(e.mask) & full)]
        if isinstance(e, ast.Range):
            lo, hi = self._const(e.lo) & full, self._const(e.hi) & full
            if lo > hi:
                return []
            return range_to_masks(lo, hi, w)
        return [(self._const(e) & full, full)]

    def _const(self, e: ast.Expression) -> int:
        c = const_int(e.const_value, self.be)
        if c is None:
            raise CompileError(f"'{expr_text(e)}' must be a compile-time constant in a select case", e.loc)
        return int(c)


def _param(e: J) -> J:
    if e.get("type") == "expression":
        return {"type": "expression", "value": e}
    return e


# ---------------------------------------------------------------- deparser


class DeparserLowerer:
    """Builds the `deparsers` entry: the order headers are emitted in."""

    def __init__(self, be: Backend) -> None:
        self.be = be
        self.order: list[str] = []

    def deparser(self, scope: Scope, decl: ast.ControlDecl) -> J:
        lw = ExprLowerer(self.be, scope)
        for s in decl.body.statements:
            self._stmt(lw, s)
        return {
            "name": "deparser",
            "id": 0,
            "source_info": self.be.source_info(decl, decl.name),
            "order": self.order,
            "primitives": [],
        }

    def _stmt(self, lw: ExprLowerer, s: ast.Node) -> None:
        if isinstance(s, ast.BlockStatement):
            for x in s.statements:
                self._stmt(lw, x)
            return
        if isinstance(s, ast.IfStatement):
            self._stmt(lw, s.then)
            if s.else_ is not None:
                self._stmt(lw, s.else_)
            return
        if isinstance(s, ast.EmptyStatement):
            return
        if isinstance(s, ast.MethodCallStatement) and _is_packet_method(s.call, "emit"):
            self._emit(lw.value(s.call.args[0].value), s)
            return
        raise unsupported("this statement in the deparser (only emit calls)", s.loc)

    def _emit(self, v: Value, at: ast.Node) -> None:
        if isinstance(v, Header):
            if v.instance not in self.order:
                self.order.append(v.instance)
        elif isinstance(v, Stack):
            for el in v.elements:
                self._emit(el, at)
        elif isinstance(v, Union):
            for h in v.members.values():
                self._emit(h, at)
        elif isinstance(v, Struct):
            for sub in v.fields.values():
                if isinstance(sub, Header | Stack | Union | Struct):
                    self._emit(sub, at)
        else:
            raise unsupported("emitting this value (only headers, stacks, unions and structs of them)", at.loc)
