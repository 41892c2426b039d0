"""Lowering of a control's apply block to a BMv2 pipeline: tables and conditionals.

The apply block is turned into a graph built backwards from its end, each
statement knowing the node that follows it.  Runs of plain statements
(assignments, action and extern calls) become one action run by a keyless
table `tbl_<name>` with a constant default action, as p4c does; `if`
becomes a conditional, or a table with `__HIT__`/`__MISS__` successors for
`if (t.apply().hit)`; `switch (t.apply().action_run)` sets the successor per
action; sub-controls are inlined.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from softp4.compiler import ast, names
from softp4.compiler import types as t
from softp4.compiler.bmv2.expressions import ExprLowerer, Scope, const_int, expr_text, scalar_width
from softp4.compiler.bmv2.jsonutil import J, hexstr, mask
from softp4.compiler.bmv2.statements import StmtLowerer
from softp4.compiler.bmv2.values import (
    BlockInstance,
    ExternInstance,
    Field,
    Header,
    Value,
)
from softp4.compiler.errors import CompileError, unsupported

if TYPE_CHECKING:
    from softp4.compiler.bmv2.program import Backend

DEFAULT_TABLE_SIZE = 1024


def _apply_target(e: ast.Expression) -> ast.Expression | None:
    """`x` if `e` is the call `x.apply(...)`."""
    if isinstance(e, ast.MethodCall) and isinstance(e.method, ast.Member) and e.method.member == "apply":
        return e.method.expr
    return None


def _is_hit(e: ast.Node) -> bool:
    """`t.apply().hit` or `t.apply().miss`."""
    return isinstance(e, ast.Member) and e.member in ("hit", "miss") and _apply_target(e.expr) is not None


def _ref(decl: ast.VariableDecl, at: ast.Node) -> ast.PathExpr:
    ty = decl.type_ref.resolved
    return ast.PathExpr(name=decl.name, decl=decl, type=ty, loc=at.loc)


def _bool(value: bool, at: ast.Node) -> ast.BoolLiteral:
    return ast.BoolLiteral(value=value, type=t.BOOL, const_value=value, loc=at.loc)


def _set(decl: ast.VariableDecl, value: ast.Expression) -> ast.AssignmentStatement:
    return ast.AssignmentStatement(left=_ref(decl, value), right=value, loc=value.loc)


class ControlLowerer:
    """Builds one pipeline (`ingress` or `egress`)."""

    def __init__(self, be: Backend, name: str) -> None:
        self.be = be
        self.name = name
        self.tables: list[J] = []
        self.conditionals: list[J] = []
        self.action_profiles: list[J] = []
        self._profiles: dict[int, str] = {}
        # table name -> (its JSON, the node that applies it, its action keys), for a table applied again
        self._applied: dict[str, tuple[J, str, dict[str, str]]] = {}

    def pipeline(self, scope: Scope, decl: ast.ControlDecl) -> J:
        body = self.be.block_prologue(scope, decl) + list(decl.body.statements)
        init = self.seq(scope, body, None, None)
        return {
            "name": self.name,
            "id": self.be.next_id("pipeline"),
            "source_info": self.be.source_info(decl, decl.name),
            "init_table": init,
            "tables": self.tables,
            "action_profiles": self.action_profiles,
            "conditionals": self.conditionals,
        }

    # ------------------------------------------------------------ statement graph

    def _is_simple(self, scope: Scope, s: ast.Node) -> bool:
        if isinstance(s, ast.AssignmentStatement | ast.VariableDecl | ast.ConstantDecl | ast.EmptyStatement):
            return True
        if isinstance(s, ast.MethodCallStatement):
            return _apply_target(s.call) is None
        if isinstance(s, ast.ForStatement | ast.ForInStatement):
            # a loop runs inside one action (jumps); one that applies tables cannot
            for n in ast.walk(s):
                if isinstance(n, ast.MethodCall) and _apply_target(n) is not None:
                    raise unsupported("a table apply inside a 'for' loop", n.loc)
                if isinstance(n, ast.ReturnStatement | ast.ExitStatement):
                    word = "return" if isinstance(n, ast.ReturnStatement) else "exit"
                    raise unsupported(f"'{word}' inside a 'for' loop of an apply block", n.loc)
            return True
        return False

    def seq(self, scope: Scope, stmts: list[ast.Node], nxt: str | None, end: str | None) -> str | None:
        self.be.predeclare(scope, stmts)
        stmts = [x for s in stmts for x in self._hoist_applies(scope, s)]
        result = nxt
        pending: list[ast.Node] = []
        for s in reversed(stmts):
            if isinstance(s, ast.ReturnStatement):
                pending = []
                result = end
                continue
            if isinstance(s, ast.ExitStatement):
                pending = [s]
                result = None
                continue
            if self._is_simple(scope, s):
                if isinstance(s, ast.MethodCallStatement) and isinstance(s.call.callee, ast.ActionDecl):
                    # a direct action call is a table of its own (p4c's MoveActionsToTables)
                    if pending:
                        result = self.simple(scope, pending, result)
                    pending = []
                    result = self.simple(scope, [s], result)
                    continue
                pending.insert(0, s)
                continue
            if pending:
                result = self.simple(scope, pending, result)
                pending = []
            result = self.compound(scope, s, result, end)
        if pending:
            result = self.simple(scope, pending, result)
        return result

    def _hoist_applies(self, scope: Scope, s: ast.Node) -> list[ast.Node]:
        """`x = f(t.apply().hit)`: apply the table first into a boolean, as p4c does.

        An apply on the right of `&&`/`||` or in a branch of `?:` runs only when
        that operand is evaluated: the operator becomes an `if` computing a
        temporary, so the table is applied exactly when P4 evaluates it.
        """
        roots: list[ast.Node] = []
        if isinstance(s, ast.AssignmentStatement):
            roots = [s.left, s.right]
        elif isinstance(s, ast.MethodCallStatement) and _apply_target(s.call) is None:
            roots = [s.call]
        elif isinstance(s, ast.MethodCallStatement):
            # a table whose key applies another table (`key = { t.apply().hit : exact; }`)
            target = _apply_target(s.call)
            decl = target.decl if isinstance(target, ast.PathExpr) else None
            if isinstance(decl, ast.TableDecl):
                roots = [el.expr for el in decl.key]
        elif isinstance(s, ast.VariableDecl) and s.init is not None:
            roots = [s.init]
        elif isinstance(s, ast.IfStatement):
            c = s.cond
            while isinstance(c, ast.Unary) and c.op == "!":
                c = c.operand
            roots = [] if _is_hit(c) else [s.cond]
        elif isinstance(s, ast.SwitchStatement):
            e = s.expr
            roots = [] if isinstance(e, ast.Member) and e.member == "action_run" else [e]
        out: list[ast.Node] = []
        for r in roots:
            self._hoist_expr(scope, r, out)
        if not out:
            return [s]
        out.append(s)
        return out

    def _temp(self, scope: Scope, ty: t.Type, at: ast.Expression) -> ast.VariableDecl:
        """A fresh scalar temporary standing for the value of `at` (hoisted ahead of its statement)."""
        tmp = self.be.storage.scalar(self.be.unique_name("tmp_hit" if ty == t.BOOL else "tmp"), ty, at.loc)
        decl = ast.VariableDecl(
            name=tmp.field, type_ref=ast.BaseTypeRef(name="bool", resolved=ty, loc=at.loc), loc=at.loc
        )
        scope.bind(decl, tmp)
        self.be.subst[id(at)] = tmp
        return decl

    def _hoist_expr(self, scope: Scope, e: ast.Node, out: list[ast.Node]) -> None:
        """Append to `out` the statements computing every table apply inside `e` ahead of it."""
        if not any(_is_hit(n) for n in ast.walk(e)):
            return
        if _is_hit(e):
            assert isinstance(e, ast.Member)
            decl = self._temp(scope, t.BOOL, e)
            out.append(
                ast.IfStatement(cond=e, then=_set(decl, _bool(True, e)), else_=_set(decl, _bool(False, e)), loc=e.loc)
            )
            return
        if isinstance(e, ast.Binary) and e.op in ("&&", "||") and any(_is_hit(n) for n in ast.walk(e.right)):
            decl = self._temp(scope, t.BOOL, e)
            first = _set(decl, e.left)
            out.extend(self._hoist_applies(scope, first))
            cond: ast.Expression = _ref(decl, e)
            if e.op == "||":
                cond = ast.Unary(op="!", operand=cond, type=t.BOOL, loc=e.loc)
            then = ast.BlockStatement(statements=[_set(decl, e.right)], loc=e.loc)
            out.append(ast.IfStatement(cond=cond, then=then, loc=e.loc))
            return
        if isinstance(e, ast.Mux) and any(_is_hit(n) for x in (e.then, e.else_) for n in ast.walk(x)):
            if e.type is None or scalar_width(e.type) is None:
                raise unsupported("a table apply inside a '?:' of this type", e.loc)
            decl = self._temp(scope, e.type, e)
            cond_stmts: list[ast.Node] = []
            self._hoist_expr(scope, e.cond, cond_stmts)
            out.extend(cond_stmts)
            then = ast.BlockStatement(statements=[_set(decl, e.then)], loc=e.loc)
            else_ = ast.BlockStatement(statements=[_set(decl, e.else_)], loc=e.loc)
            out.append(ast.IfStatement(cond=e.cond, then=then, else_=else_, loc=e.loc))
            return
        for c in ast.children(e):
            self._hoist_expr(scope, c, out)

    def simple(self, scope: Scope, stmts: list[ast.Node], nxt: str | None) -> str | None:
        real = [s for s in stmts if not isinstance(s, ast.EmptyStatement | ast.ConstantDecl)]
        real = [s for s in real if not (isinstance(s, ast.VariableDecl) and s.init is None)]
        for s in stmts:
            if isinstance(s, ast.ConstantDecl):
                StmtLowerer(self.be, scope).declare_const(s)
        if not real:
            return nxt
        first = real[0]
        if (
            len(real) == 1
            and isinstance(first, ast.MethodCallStatement)
            and isinstance(first.call.callee, ast.ActionDecl)
        ):
            action, data = self.be.direct_action(scope, first.call.callee, first.call)
            tname = self.be.unique_table_name(f"tbl_{first.call.callee.name}")
        else:
            lw = StmtLowerer(self.be, scope)
            for s in real:
                if isinstance(s, ast.VariableDecl):
                    v = scope.lookup(s)
                    if v is None:
                        lw.declare(s)
                    elif s.init is not None:
                        lw.assign(v, s.init, s)
                else:
                    lw.statement(s)
            base = self.be.synth_action_base(first)
            action = self.be.new_action(base, [], lw.finish())
            tname = self.be.unique_table_name(f"tbl_{base}")
            data = []
        return self.keyless_table(tname, action, nxt, first, data)

    def keyless_table(self, tname: str, action: J, nxt: str | None, at: ast.Node, data: list[str] | None = None) -> str:
        self.tables.append(
            {
                "name": tname,
                "id": self.be.next_id("table"),
                "source_info": self.be.source_info(at, expr_text(at) if isinstance(at, ast.Expression) else ""),
                "key": [],
                "match_type": "exact",
                "type": "simple",
                "max_size": DEFAULT_TABLE_SIZE,
                "with_counters": False,
                "support_timeout": False,
                "direct_meters": None,
                "action_ids": [action["id"]],
                "actions": [action["name"]],
                "base_default_next": nxt,
                "next_tables": {action["name"]: nxt},
                "default_entry": {
                    "action_id": action["id"],
                    "action_const": True,
                    "action_data": data or [],
                    "action_entry_const": True,
                },
            }
        )
        return tname

    def compound(self, scope: Scope, s: ast.Node, nxt: str | None, end: str | None) -> str | None:
        if isinstance(s, ast.BlockStatement):
            return self.seq(scope, s.statements, nxt, end)
        if isinstance(s, ast.MethodCallStatement):
            target = _apply_target(s.call)
            assert target is not None
            return self.apply_call(scope, s.call, target, nxt, lambda acts: dict.fromkeys(acts, nxt))
        if isinstance(s, ast.IfStatement):
            return self._if(scope, s, nxt, end)
        if isinstance(s, ast.SwitchStatement):
            return self._switch(scope, s, nxt, end)
        raise unsupported(f"{type(s).__name__} in a control's apply block", s.loc)

    def apply_call(
        self,
        scope: Scope,
        call: ast.MethodCall,
        target: ast.Expression,
        nxt: str | None,
        next_tables: Any,
    ) -> str | None:
        decl = target.decl if isinstance(target, ast.PathExpr) else None
        if isinstance(decl, ast.TableDecl):
            return self.table(scope, decl, nxt, next_tables, call)
        if isinstance(target, ast.TypeNameExpr) and isinstance(call.callee, ast.ControlDecl):
            return self.inline_control(scope, self.be.implicit_instance(scope, call.callee, call), call, nxt)
        v = ExprLowerer(self.be, scope).value(target)
        if isinstance(v, BlockInstance) and isinstance(v.decl, ast.ControlDecl):
            return self.inline_control(scope, v, call, nxt)
        raise unsupported(f"'{expr_text(call)}' in a control", call.loc)

    def inline_control(self, scope: Scope, inst: BlockInstance, call: ast.MethodCall, nxt: str | None) -> str | None:
        decl = inst.decl
        assert isinstance(decl, ast.ControlDecl)
        copies = StmtLowerer(self.be, scope)
        copy_out: list[tuple[Value, Value, ast.Node]] = []
        inner = self.be.bind_block(scope, inst, call, copies, copy_out)
        after = nxt
        if copy_out:
            post = StmtLowerer(self.be, scope)
            for dst, tmp, at in copy_out:
                post.assign_value(dst, tmp, at)
            base = self.be.synth_action_base(call)
            after = self.keyless_table(
                self.be.unique_table_name(f"tbl_{base}"), self.be.new_action(base, [], post.finish()), nxt, call
            )
        body = self.be.block_prologue(inner, decl) + list(decl.body.statements)
        first = self.seq(inner, body, after, after)
        if copies.prims:
            base = self.be.synth_action_base(call)
            first = self.keyless_table(
                self.be.unique_table_name(f"tbl_{base}"), self.be.new_action(base, [], copies.finish()), first, call
            )
        return first

    def _if(self, scope: Scope, s: ast.IfStatement, nxt: str | None, end: str | None) -> str | None:
        cond = s.cond
        negate = False
        while isinstance(cond, ast.Unary) and cond.op == "!":
            negate = not negate
            cond = cond.operand
        if isinstance(cond, ast.Member) and cond.member in ("hit", "miss"):
            target = _apply_target(cond.expr)
            if target is not None:
                then_n = self.seq(scope, [s.then], nxt, end)
                else_n = self.seq(scope, [s.else_], nxt, end) if s.else_ is not None else nxt
                hit_n, miss_n = (then_n, else_n) if (cond.member == "hit") != negate else (else_n, then_n)
                return self.apply_call(
                    scope,
                    cond.expr,  # type: ignore[arg-type]
                    target,
                    nxt,
                    lambda acts: {"__HIT__": hit_n, "__MISS__": miss_n},
                )
        for node in self._unhoisted(s.cond):
            if isinstance(node, ast.MethodCall) and _apply_target(node) is not None:
                raise unsupported("a table apply inside a complex condition", node.loc)
        then_n = self.seq(scope, [s.then], nxt, end)
        else_n = self.seq(scope, [s.else_], nxt, end) if s.else_ is not None else nxt
        pre = StmtLowerer(self.be, scope)
        j = pre.cond(s.cond)
        if j.get("type") == "bool" and not pre.prims:
            return then_n if j["value"] else else_n
        name = f"node_{self.be.next_id('node_name') + 2}"
        self.conditionals.append(
            {
                "name": name,
                "id": self.be.next_id("conditional"),
                "source_info": self.be.source_info(s.cond, expr_text(s.cond)),
                "expression": j,
                "true_next": then_n,
                "false_next": else_n,
            }
        )
        if pre.prims:
            # the condition calls functions: their bodies run in an action just before it
            base = self.be.synth_action_base(s)
            action = self.be.new_action(base, [], pre.prims)
            return self.keyless_table(self.be.unique_table_name(f"tbl_{base}"), action, name, s)
        return name

    def _unhoisted(self, e: ast.Node) -> list[ast.Node]:
        """The nodes of `e` not replaced by a hoisted temporary."""
        found: list[ast.Node] = []
        stack = [e]
        while stack:
            n = stack.pop()
            if id(n) in self.be.subst:
                continue
            found.append(n)
            stack.extend(ast.children(n))
        return found

    def _switch(self, scope: Scope, s: ast.SwitchStatement, nxt: str | None, end: str | None) -> str | None:
        e = s.expr
        if isinstance(e, ast.Member) and e.member == "action_run":
            target = _apply_target(e.expr)
            if target is None:
                raise unsupported("switch on this action_run", e.loc)
            bodies: dict[str, str | None] = {}
            default: str | None = nxt
            pending: list[ast.Expression] = []
            for case in s.cases:
                pending.append(case.label)
                if case.body is None:
                    continue
                node = self.seq(scope, case.body.statements, nxt, end)
                for lb in pending:
                    if isinstance(lb, ast.DefaultExpr):
                        default = node
                    else:
                        decl = lb.decl if isinstance(lb, ast.PathExpr) else None
                        if not isinstance(decl, ast.ActionDecl):
                            raise CompileError(f"'{expr_text(lb)}' is not an action of the table", lb.loc)
                        bodies[str(id(decl))] = node
                pending = []
            for lb in pending:  # trailing labels without a body fall out of the switch
                decl = lb.decl if isinstance(lb, ast.PathExpr) else None
                if decl is not None:
                    bodies[str(id(decl))] = nxt

            def next_tables(acts: dict[str, str]) -> dict[str, str | None]:
                return {name: bodies.get(key, default) for name, key in acts.items()}

            return self.apply_call(scope, e.expr, target, nxt, next_tables)  # type: ignore[arg-type]
        # switch on a value: a chain of conditionals
        lw = ExprLowerer(self.be, scope)
        selector = lw.data(e)
        result = nxt
        cases: list[tuple[list[ast.Expression], ast.BlockStatement]] = []
        pending2: list[ast.Expression] = []
        for case in s.cases:
            pending2.append(case.label)
            if case.body is not None:
                cases.append((pending2, case.body))
                pending2 = []
        default_body = None
        for labels, body in cases:
            if any(isinstance(lb, ast.DefaultExpr) for lb in labels):
                default_body = body
        result = self.seq(scope, default_body.statements, nxt, end) if default_body is not None else nxt
        for labels, body in reversed(cases):
            labels = [lb for lb in labels if not isinstance(lb, ast.DefaultExpr)]
            if not labels:
                continue
            test: J | None = None
            for lb in labels:
                eq: J = {"type": "expression", "value": {"op": "==", "left": selector, "right": lw.data(lb)}}
                test = eq if test is None else {"type": "expression", "value": {"op": "or", "left": test, "right": eq}}
            body_n = self.seq(scope, body.statements, nxt, end)
            name = f"node_{self.be.next_id('node_name') + 2}"
            self.conditionals.append(
                {
                    "name": name,
                    "id": self.be.next_id("conditional"),
                    "source_info": self.be.source_info(e, expr_text(e)),
                    "expression": test,
                    "true_next": body_n,
                    "false_next": result,
                }
            )
            result = name
        return result

    # ------------------------------------------------------------ tables

    def table(self, scope: Scope, decl: ast.TableDecl, nxt: str | None, next_tables: Any, at: ast.Node) -> str:
        be = self.be
        tname = names.local_name(scope.prefix, decl)
        applied = self._applied.get(tname)
        if applied is not None:
            # applied again: one table node serves both when the same code follows (p4c merges them so)
            first, node, first_keys = applied
            if first["base_default_next"] == nxt and first["next_tables"] == next_tables(first_keys):
                return node
            raise CompileError(
                f"table '{decl.name}' is applied more than once with different code after it "
                "(BMv2 gives a table one set of successors)",
                at.loc,
            )
        if not be.claim_table_name(tname):
            raise CompileError(f"table '{decl.name}' is applied more than once", at.loc)
        lw = ExprLowerer(be, scope)
        pre = StmtLowerer(be, scope)
        keys: list[J] = []
        key_kinds: list[str] = []
        key_widths: list[int] = []
        selector_inputs: list[J] = []
        for el in decl.key:
            kind = el.match_kind
            try:
                kname = names.key_name(el)
            except names.NamingError as exc:
                raise CompileError(exc.message, exc.loc) from None
            target = self._key_target(lw, pre, el, tname)
            if kind == "selector":
                selector_inputs.append({"type": "field", "value": target[0]})
                continue
            key_kinds.append(kind)
            key_widths.append(target[1])
            # p4c writes an optional key as ternary (BMv2 and its CLI know no "optional")
            json_kind = "ternary" if kind == "optional" else kind
            keys.append({"match_type": json_kind, "name": kname, "target": target[0], "mask": None})
        if "range" in key_kinds:
            match_type = "range"
        elif "ternary" in key_kinds or "optional" in key_kinds:
            match_type = "ternary"
        elif "lpm" in key_kinds:
            match_type = "lpm"
        else:
            match_type = "exact"
        # actions
        actions: list[J] = []
        action_keys: dict[str, str] = {}
        for ref in decl.actions:
            adecl, args = self._action_ref(ref.expr)
            a = be.table_action(scope, adecl, args)
            if all(x["id"] != a["id"] for x in actions):
                actions.append(a)
                action_keys[a["name"]] = str(id(adecl))
        size_e = decl.value("size")
        size = DEFAULT_TABLE_SIZE
        if size_e is not None:
            c = be.const_of(size_e, scope)
            if c is None:
                raise CompileError("table size must be a compile-time constant", size_e.loc)
            size = int(c)
        if decl.entries is not None:
            # p4c sizes a table with initial entries to hold exactly those entries
            size = len(decl.entries.entries)
        size = size or DEFAULT_TABLE_SIZE  # p4c: a size of 0 gets the default size (SAI P4 has `size = 0`)
        j: J = {
            "name": tname,
            "id": be.next_id("table"),
            "source_info": be.source_info(decl, decl.name),
            "key": keys,
            "match_type": match_type,
            "type": "simple",
            "max_size": size,
            "with_counters": False,
            "support_timeout": False,
            "direct_meters": None,
            "action_ids": [a["id"] for a in actions],
            "actions": [a["name"] for a in actions],
            "base_default_next": nxt,
        }
        for prop in decl.properties:
            self._property(scope, decl, prop, j, size, selector_inputs)
        # selector keys of a table without an action_selector are ignored, as p4c's back end
        # skips them in the key (issue1560-bmv2)
        # default action
        dp = decl.default_action
        default_entry: J | None = None
        if dp is not None:
            adecl, args = self._action_ref(dp.value)
            a = be.table_action(scope, adecl, args)
            if all(x["id"] != a["id"] for x in actions):
                raise CompileError(
                    f"default action '{adecl.name}' is not in the actions of table '{decl.name}'", dp.loc
                )
            data = be.action_data(adecl, args, dp.value, scope)
            default_entry = {
                "action_id": a["id"],
                "action_const": dp.is_const,
                "action_data": data,
                "action_entry_const": dp.is_const,
            }
        else:
            # p4c (CreateBuiltins): a table without default_action lists NoAction and uses it
            noaction = next((a for a in actions if a["name"] == "NoAction"), None)
            if noaction is None and not any(ref.name == "NoAction" for ref in decl.actions):
                na = be.noaction_decl()
                if na is not None:
                    noaction = be.table_action(scope, na, [])
                    actions.append(noaction)
                    j["action_ids"].append(noaction["id"])
                    j["actions"].append(noaction["name"])
                    action_keys[noaction["name"]] = str(id(na))
            if noaction is not None:
                default_entry = {
                    "action_id": noaction["id"],
                    "action_const": False,
                    "action_data": [],
                    "action_entry_const": False,
                }
        if j["type"] == "simple":
            if default_entry is not None:
                j["default_entry"] = default_entry
        elif dp is not None:
            # p4c writes no default entry for a table with an action profile (BMv2 refuses a const one)
            be.warn(f"table '{decl.name}': the target does not support a default action with an action profile; "
                    "it is not written (as p4c)", dp)
        j["next_tables"] = next_tables(action_keys)
        # const entries
        ep = decl.entries
        if ep is not None:
            j["entries"] = [
                self._entry(scope, decl, en, i, key_kinds, key_widths, actions) for i, en in enumerate(ep.entries)
            ]
            if any(en.priority is not None for en in ep.entries):
                if ep.is_const:
                    at = next(en for en in ep.entries if en.priority is not None)
                    raise CompileError("a table with 'const' entries cannot have priorities", at.loc)
                for ej, p in zip(j["entries"], self._entry_priorities(decl, ep.entries), strict=True):
                    ej["priority"] = p
            for ej, en in zip(j["entries"], ep.entries, strict=True):
                # p4c's BMv2 back end writes an entry's @priority(N) as its JSON priority, as is
                anno = ast.find_annotation(en.annotations, "priority")
                if anno is not None:
                    n = anno.int_arg()
                    if n is None:
                        raise CompileError("@priority of an entry takes one integer constant", anno.loc)
                    ej["priority"] = n
        self.tables.append(j)
        node = tname
        if pre.prims:
            action = be.new_action(f"{decl.name}_key", [], pre.prims)
            node = self.keyless_table(be.unique_table_name(f"tbl_{decl.name}_key"), action, tname, at)
        self._applied[tname] = (j, node, action_keys)
        return node

    def _key_target(self, lw: ExprLowerer, pre: StmtLowerer, el: ast.KeyElement, tname: str) -> tuple[list[str], int]:
        e = el.expr
        if isinstance(e, ast.MethodCall) and e.callee == "isValid" and isinstance(e.method, ast.Member):
            h = lw.value(e.method.expr)
            if isinstance(h, Header):
                return [h.instance, "$valid$"], 1
        v = pre.value(e)
        if isinstance(v, Field) and not isinstance(v.type, t.VarbitType):
            w = scalar_width(v.type)
            assert w is not None
            return [v.instance, v.field], w
        ty = e.type
        w = scalar_width(ty)
        if w is None or ty is None:
            raise unsupported(f"key '{expr_text(e)}' of type {ty}", e.loc)
        tmp = self.be.storage.scalar(self.be.unique_name("key"), ty, e.loc)
        pre.assign(tmp, e, el)
        return [tmp.instance, tmp.field], w

    def _action_ref(self, e: ast.Expression) -> tuple[ast.ActionDecl, list[ast.Argument]]:
        if isinstance(e, ast.MethodCall):
            decl = e.method.decl if isinstance(e.method, ast.PathExpr) else e.callee
            args = e.args
        else:
            decl = e.decl if isinstance(e, ast.PathExpr) else None
            args = []
        if not isinstance(decl, ast.ActionDecl):
            raise CompileError(f"'{expr_text(e)}' is not an action", e.loc)
        return decl, args

    def _property(
        self, scope: Scope, decl: ast.TableDecl, prop: ast.TableProperty, j: J, size: int, selector: list[J]
    ) -> None:
        be = self.be
        if not isinstance(prop, ast.ValueProperty):
            return
        name = prop.name
        lw = ExprLowerer(be, scope)
        if name in ("counters", "meters"):
            if isinstance(prop.value, ast.ConstructorCall):
                try:
                    pname = names.property_instance_name(decl, prop)
                except names.NamingError as exc:
                    raise CompileError(exc.message, exc.loc) from None
                inst = ast.Instantiation(
                    name=pname, type_ref=prop.value.type_ref, args=prop.value.args, loc=prop.value.loc
                )
                v: Value = be.externs.instantiate(inst, pname, scope)
            else:
                v = lw.value(prop.value)
            if not isinstance(v, ExternInstance) or v.kind not in (
                "direct_counter",
                "direct_meter",
                "counter",
                "meter",
            ):
                raise CompileError(f"'{name}' of table '{decl.name}' must be a direct counter or meter", prop.loc)
            if v.kind in ("counter", "meter"):
                raise unsupported(f"an indirect {v.kind} as the '{name}' property", prop.loc)
            be.externs.bind_direct(v, j["name"], size, prop)
            be.direct_meters.append(v) if v.kind == "direct_meter" else None
            if v.kind == "direct_counter":
                j["with_counters"] = True
            else:
                j["direct_meters"] = v.name
        elif name == "implementation":
            val = prop.value
            if isinstance(val, ast.ConstructorCall):
                try:
                    pname = names.property_instance_name(decl, prop)
                except names.NamingError as exc:
                    raise CompileError(exc.message, exc.loc) from None
                inst = ast.Instantiation(name=pname, type_ref=val.type_ref, args=val.args, loc=val.loc)
                ext = be.externs.instantiate(inst, pname, scope)
            else:
                v = lw.value(val)
                if not isinstance(v, ExternInstance):
                    raise CompileError(f"'implementation' of table '{decl.name}' must be an action profile", prop.loc)
                ext = v
            if ext.kind not in ("action_profile", "action_selector"):
                raise CompileError(f"'implementation' of table '{decl.name}' must be an action profile", prop.loc)
            key = id(ext)
            if key not in self._profiles:
                pj: J = {"name": ext.name, "id": be.next_id("action_profile"), "max_size": ext.info["size"]}
                if ext.kind == "action_selector":
                    pj["selector"] = {"algo": ext.info["algo"], "input": selector}
                self.action_profiles.append(pj)
                self._profiles[key] = ext.name
            j["type"] = "indirect_ws" if ext.kind == "action_selector" else "indirect"
            j["action_profile"] = ext.name
        elif name == "support_timeout":
            j["support_timeout"] = bool(prop.value.const_value)
        elif name in ("size", "default_action", "psa_direct_counter", "psa_direct_meter"):
            return
        # other properties (e.g. annotations-only) are ignored

    def _entry(
        self,
        scope: Scope,
        decl: ast.TableDecl,
        en: ast.Entry,
        index: int,
        kinds: list[str],
        widths: list[int],
        actions: list[J],
    ) -> J:
        ks = en.keyset
        elems = ks.elements if isinstance(ks, ast.ListExpr) else [ks]
        if len(kinds) == 1 and isinstance(ks, ast.ListExpr) and len(ks.elements) != 1:
            elems = [ks]
        if len(elems) != len(kinds):
            raise CompileError(f"entry has {len(elems)} keys but table '{decl.name}' has {len(kinds)}", ks.loc)
        match_key: list[J] = []
        for e, kind, w in zip(elems, kinds, widths, strict=True):
            match_key.append(self._entry_key(e, kind, w))
        adecl, args = self._action_ref(en.action.expr)
        a = self.be.table_action(scope, adecl, args)
        if all(x["id"] != a["id"] for x in actions):
            raise CompileError(f"action '{adecl.name}' is not in the actions of table '{decl.name}'", en.loc)
        prio = index + 1  # replaced by _entry_priorities when priorities are explicit
        return {
            "source_info": self.be.source_info(en, expr_text(ks)),
            "match_key": match_key,
            "action_entry": {
                "action_id": a["id"],
                "action_data": self.be.action_data(adecl, args, en.action.expr, scope),
            },
            "priority": prio,
        }

    def _entry_priorities(self, decl: ast.TableDecl, entries: list[ast.Entry]) -> list[int]:
        """BMv2 priorities (lower wins) for entries with explicit P4 priorities.

        P4 numbers entries without a priority from the previous one by
        `priority_delta`; `largest_priority_wins` (default true) says which way wins.
        """
        largest = True
        delta = 1
        for name in ("largest_priority_wins", "priority_delta"):
            v = decl.value(name)
            c = const_int(v.const_value, self.be) if v is not None else None
            if c is not None:
                if name == "largest_priority_wins":
                    largest = bool(c)
                else:
                    delta = int(c)
        if all(el.match_kind in ("exact", "lpm") for el in decl.key):
            raise CompileError(
                f"entries of table '{decl.name}' have priorities but its keys (exact, lpm) do not use them", decl.loc
            )
        p4: list[int] = []
        current: int | None = None
        for en in entries:
            if en.priority is not None:
                c = const_int(en.priority.const_value, self.be)
                if c is None:
                    raise CompileError("entry priority must be a compile-time constant", en.priority.loc)
                current = int(c)
            elif current is None:
                raise CompileError("the first entry must have a priority when other entries have one", en.loc)
            else:
                current = current - delta if largest else current + delta
            p4.append(current)
        if largest:
            top = max(p4)
            return [top - p + 1 for p in p4]
        low = min(p4)
        return [p - low + 1 for p in p4]

    def _const(self, e: ast.Expression) -> int:
        c = const_int(e.const_value, self.be)
        if c is None:
            raise CompileError(f"'{expr_text(e)}' must be a compile-time constant", e.loc)
        return int(c)

    def _entry_key(self, e: ast.Expression, kind: str, w: int) -> J:
        full = mask(w)
        dont_care = isinstance(e, ast.DefaultExpr | ast.DontCareExpr)
        if kind == "exact":
            if dont_care:
                raise CompileError("an exact key cannot be a wildcard", e.loc)
            return {"match_type": "exact", "key": hexstr(self._const(e) & full, w)}
        if kind in ("ternary", "optional"):  # an optional key is ternary in the JSON, as p4c writes it
            if dont_care:
                return {"match_type": "ternary", "key": hexstr(0, w), "mask": hexstr(0, w)}
            if isinstance(e, ast.Mask):
                if kind == "optional":
                    raise CompileError("an optional key takes a value or a wildcard, not '&&&'", e.loc)
                v, m = self._const(e.value) & full, self._const(e.mask) & full
                return {"match_type": "ternary", "key": hexstr(v & m, w), "mask": hexstr(m, w)}
            return {"match_type": "ternary", "key": hexstr(self._const(e) & full, w), "mask": hexstr(full, w)}
        if kind == "lpm":
            if dont_care:
                return {"match_type": "lpm", "key": hexstr(0, w), "prefix_length": 0}
            if isinstance(e, ast.Mask):
                v, m = self._const(e.value) & full, self._const(e.mask) & full
                plen = bin(m).count("1")
                if m != (full ^ mask(w - plen)):
                    raise CompileError("an lpm mask must be a prefix", e.loc)
                return {"match_type": "lpm", "key": hexstr(v & m, w), "prefix_length": plen}
            return {"match_type": "lpm", "key": hexstr(self._const(e) & full, w), "prefix_length": w}
        if kind == "range":
            if dont_care:
                return {"match_type": "range", "start": hexstr(0, w), "end": hexstr(full, w)}
            if isinstance(e, ast.Range):
                return {
                    "match_type": "range",
                    "start": hexstr(self._const(e.lo) & full, w),
                    "end": hexstr(self._const(e.hi) & full, w),
                }
            v = self._const(e) & full
            return {"match_type": "range", "start": hexstr(v, w), "end": hexstr(v, w)}
        raise unsupported(f"match kind '{kind}' in a const entry", e.loc)


def synth_base(loc_file: str, line: int) -> str:
    """p4c's name of a synthesized action: the file's stem and the line (`basicl42`)."""
    stem = re.sub(r"[^A-Za-z0-9_]", "_", Path(loc_file).stem) or "act"
    if stem[0].isdigit():
        stem = "_" + stem
    return f"{stem}l{line}"
