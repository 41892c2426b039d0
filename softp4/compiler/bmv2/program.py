"""The BMv2 back end: a checked v1model program to BMv2 JSON (format 2.23).

`Backend` holds the state shared by the lowering of every block: storage,
actions, externs, ids and names; `to_bmv2_json` runs it over `main`'s six
blocks (parser, checksum verification, ingress, egress, checksum update,
deparser).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from softp4.compiler import ast, consteval, names
from softp4.compiler import types as t
from softp4.compiler.bmv2.control import ControlLowerer, synth_base
from softp4.compiler.bmv2.expressions import ExprLowerer, Scope, const_int, expr_text, ordered_args, scalar_width
from softp4.compiler.bmv2.externs import Externs
from softp4.compiler.bmv2.jsonutil import J, hexstr
from softp4.compiler.bmv2.parser import DeparserLowerer, ParserLowerer
from softp4.compiler.bmv2.statements import StmtLowerer, _Frame
from softp4.compiler.bmv2.storage import Storage, flat_fields
from softp4.compiler.bmv2.values import (
    BlockInstance,
    Const,
    DynField,
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
from softp4.compiler.errors import CompileError, Diagnostic, unsupported


@dataclass(eq=False)
class ActionHome(Value):
    """Marks an action declared in a block: the scope its body is lowered in."""

    scope: Scope


def value_key(v: Value) -> Any:
    """A hashable identity of a bound argument (to share identical action specializations)."""
    if isinstance(v, Field):
        return ("f", v.instance, v.field)
    if isinstance(v, Header):
        return ("h", v.instance)
    if isinstance(v, Const):
        return ("c", v.value)
    if isinstance(v, Struct):
        return ("s", tuple(value_key(x) for x in v.fields.values()))
    if isinstance(v, Stack):
        return ("st", v.name)
    if isinstance(v, Union):
        return ("u", v.name)
    if isinstance(v, Expr):
        return ("e", repr(v.json))
    return ("o", id(v))


# Extern types whose instances are arrays of the BMv2 JSON (counter_arrays, meter_arrays, register_arrays).
_ARRAY_EXTERNS = frozenset({"counter", "meter", "register"})


class Backend:
    """Lowers one checked program to BMv2 JSON."""

    def __init__(self, program: ast.Program, program_name: str, warnings: list[Diagnostic]) -> None:
        self.program = program
        self.program_name = program_name
        self.warnings = warnings
        self.storage = Storage()
        self.externs = Externs(self)
        self.actions: list[J] = []
        self._action_cache: dict[Any, J] = {}
        self._ids: dict[str, int] = defaultdict(int)
        self._names: set[str] = set()
        self._table_names: set[str] = set()
        self.global_scope = Scope(None, "")
        self.errors: dict[str, int] = {}
        self.enums: list[J] = []
        self._enum_codes: dict[tuple[int, str], int] = {}
        self.top_level = {id(d) for d in program.declarations}
        self.direct_meters: list[ExternInstance] = []
        self.parse_vsets: list[J] = []
        self.subst: dict[int, Value] = {}  # expression nodes computed ahead (hoisted table applies)
        self.block_locals: dict[tuple[str, int], Value] = {}  # (block prefix, id(local)) -> its instance
        self.user_meta: Value | None = None
        self.user_meta_type: t.Type | None = None

    # ------------------------------------------------------------ bookkeeping

    def next_id(self, kind: str) -> int:
        n = self._ids[kind]
        self._ids[kind] = n + 1
        return n

    def unique_name(self, base: str) -> str:
        name = base
        n = 0
        while name in self._names:
            name = f"{base}_{n}"
            n += 1
        self._names.add(name)
        return name

    def unique_table_name(self, base: str) -> str:
        name = base
        n = 0
        while name in self._table_names:
            name = f"{base}_{n}"
            n += 1
        self._table_names.add(name)
        return name

    def claim_table_name(self, name: str) -> bool:
        if name in self._table_names:
            return False
        self._table_names.add(name)
        return True

    def warn(self, message: str, at: ast.Node) -> None:
        loc = at.loc if at.loc.line > 0 else None
        self.warnings.append(Diagnostic("warning", message, loc))

    def source_info(self, node: ast.Node, fragment: str) -> J:
        loc = node.loc
        return {"filename": loc.file, "line": loc.line, "column": loc.col, "source_fragment": fragment}

    def local_base(self, scope: Scope, name: str) -> str:
        return name

    def synth_action_base(self, first: ast.Node) -> str:
        return self.unique_name(synth_base(first.loc.file, first.loc.line))

    def error_code(self, member: str) -> int:
        if member not in self.errors:
            raise CompileError(f"unknown error '{member}'")
        return self.errors[member]

    def enum_code(self, enum: t.EnumType, member: str) -> int:
        key = (id(enum), member)
        if key not in self._enum_codes:
            if member in enum.members:
                return enum.members.index(member)
            raise CompileError(f"unknown member '{member}' of enum {enum.name}")
        return self._enum_codes[key]

    def new_action(self, name: str, runtime_data: list[J], prims: list[J], at: ast.Node | None = None) -> J:
        j: J = {"name": name, "id": self.next_id("action"), "runtime_data": runtime_data, "primitives": prims}
        if at is not None:
            j["source_info"] = self.source_info(at, name)
        self.actions.append(j)
        return j

    def noaction_decl(self) -> ast.ActionDecl | None:
        """core.p4's NoAction."""
        for d in self.program.declarations:
            if isinstance(d, ast.ActionDecl) and d.name == "NoAction":
                return d
        return None

    # ------------------------------------------------------------ names and globals

    def global_value(self, decl: ast.Node, e: ast.Node) -> Value | None:
        if isinstance(decl, ast.ConstantDecl):
            c = const_int(decl.value.const_value, self)
            if c is not None:
                v: Value = Const(c, decl.type_ref.resolved or t.INT)
            else:
                v = ExprLowerer(self, self.global_scope).value(decl.value)
            self.global_scope.bind(decl, v)
            return v
        if isinstance(decl, ast.Instantiation) and id(decl) in self.top_level:
            ext = self.externs.instantiate(decl, names.top_level_name(decl), self.global_scope)
            self.global_scope.bind(decl, ext)
            return ext
        if isinstance(decl, ast.ActionDecl) and id(decl) in self.top_level:
            home = ActionHome(self.global_scope)
            self.global_scope.bind(decl, home)
            return home
        return None

    def unused_globals(self) -> None:
        """Counters, meters and registers declared at the top level and never used: p4c keeps them (they
        are part of the control-plane API, and P4Info lists them) and writes them after the others."""
        for d in self.program.declarations:
            ty = d.type_ref.resolved if isinstance(d, ast.Instantiation) else None
            if isinstance(ty, t.ExternType) and ty.name in _ARRAY_EXTERNS and self.global_scope.lookup(d) is None:
                self.global_value(d, d)

    # ------------------------------------------------------------ blocks

    def setup_locals(self, scope: Scope, decl: ast.ControlDecl | ast.ParserDecl) -> None:
        for local in decl.locals:
            # an instance applied twice (or passed to two blocks) keeps one set of instances
            key = (scope.prefix, id(local))
            known = self.block_locals.get(key)
            if known is not None:
                scope.bind(local, known)
                continue
            self._setup_local(scope, local)
            bound = scope.lookup(local)
            if isinstance(local, ast.Instantiation | ast.ValueSetDecl) and bound is not None:
                self.block_locals[key] = bound

    def _setup_local(self, scope: Scope, local: ast.Declaration) -> None:
        if isinstance(local, ast.ActionDecl):
            scope.bind(local, ActionHome(scope))
        elif isinstance(local, ast.VariableDecl):
            ty = local.type_ref.resolved
            if ty is None:
                raise CompileError(f"internal error: no type for '{local.name}'", local.loc)
            scope.bind(local, self.storage.alloc(self.local_base(scope, local.name), ty, local.loc))
        elif isinstance(local, ast.ConstantDecl):
            c = const_int(local.value.const_value, self)
            if c is None:
                scope.bind(local, ExprLowerer(self, scope).value(local.value))
            else:
                scope.bind(local, Const(c, local.type_ref.resolved or t.INT))
        elif isinstance(local, ast.Instantiation):
            scope.bind(local, self._instantiate_local(scope, local))
        elif isinstance(local, ast.ValueSetDecl):
            ety = local.element_type.resolved
            w = _total_width(ety) if ety is not None else None
            if w is None:
                raise unsupported(f"value set of {ety}", local.loc)
            vname = names.local_name(scope.prefix, local)
            self.parse_vsets.append({"name": vname, "id": self.next_id("parse_vset"), "compressed_bitwidth": w})
            scope.bind(local, ValueSet(vname, w))

    def _instantiate_local(self, scope: Scope, inst: ast.Instantiation) -> Value:
        ref = inst.type_ref.base if isinstance(inst.type_ref, ast.SpecializedTypeRef) else inst.type_ref
        tdecl = ref.decl if isinstance(ref, ast.NamedTypeRef) else None
        if isinstance(tdecl, ast.ControlDecl | ast.ParserDecl):
            prefix = names.qualify(scope.prefix, names.declared_name(inst))
            lw = ExprLowerer(self, scope)
            ctor: list[Value] = []
            for a in inst.args:
                c = self.const_of(a.value, scope)
                ctor.append(Const(c, a.value.type or t.INT) if c is not None else lw.value(a.value))
            return BlockInstance(tdecl, inst, prefix, ctor)
        return self.externs.instantiate(inst, names.local_name(scope.prefix, inst), scope)

    def block_prologue(self, scope: Scope, decl: ast.ControlDecl | ast.ParserDecl) -> list[ast.Node]:
        """Initializers of the block's local variables, as statements run at its start."""
        out: list[ast.Node] = []
        for local in decl.locals:
            if isinstance(local, ast.VariableDecl) and local.init is not None:
                left = ast.PathExpr(name=local.name, decl=local, type=local.type_ref.resolved, loc=local.loc)
                out.append(ast.AssignmentStatement(left=left, right=local.init, loc=local.loc))
        return out

    def implicit_instance(
        self, scope: Scope, decl: ast.ParserDecl | ast.ControlDecl, call: ast.MethodCall
    ) -> BlockInstance:
        """`P.apply(...)` on a parser or control type: an implicit instance named after the
        type (p4c: `<block>.P`)."""
        ref = ast.NamedTypeRef(name=decl.name, decl=decl, loc=call.loc)
        inst = ast.Instantiation(name=decl.name, type_ref=ref, args=[], loc=call.loc)
        return BlockInstance(decl, inst, names.qualify(scope.prefix, decl.name), [])

    def bind_block(
        self,
        outer: Scope,
        inst: BlockInstance,
        call: ast.MethodCall,
        copies: StmtLowerer | None = None,
        copy_out: list[tuple[Value, Value, ast.Node]] | None = None,
    ) -> Scope:
        """A scope for an inlined parser/control: parameters bound to the call's arguments.

        With `copies`, scalar arguments are copied in (primitives added to it) and
        `copy_out` receives the copies to make after the block; otherwise they are aliased."""
        inner = Scope(self.global_scope, inst.prefix)
        decl = inst.decl
        lw = copies if copies is not None else ExprLowerer(self, outer)
        params = decl.params
        args = ordered_args(call.args, params)
        if len(args) != len(params):
            raise CompileError(f"'{decl.name}' takes {len(params)} arguments, {len(args)} given", call.loc)
        for p, a in zip(params, args, strict=True):
            ty = p.type_ref.resolved
            if isinstance(ty, t.ExternType) and ty.name in ("packet_in", "packet_out"):
                inner.bind(p, PacketObj(ty.name == "packet_out"))
                continue
            v = lw.value(a.value)
            if copies is not None and copy_out is not None and ty is not None:
                prefix = f"{inst.inst.name}_{p.name}"
                if p.direction in ("in", "") and isinstance(v, Field | DynField | Expr | RuntimeData):
                    tmp = self.storage.alloc(self.unique_name(prefix), ty, p.loc)
                    copies.assign_value(tmp, v, a.value)
                    v = tmp
                elif p.direction in ("out", "inout") and isinstance(v, Field | DynField):
                    tmp = self.storage.alloc(self.unique_name(prefix), ty, p.loc)
                    if p.direction == "inout":
                        copies.assign_value(tmp, v, a.value)
                    copy_out.append((v, tmp, a.value))
                    v = tmp
            inner.bind(p, v)
        for p, v in zip(decl.ctor_params, inst.ctor_args, strict=False):
            inner.bind(p, v)
        self.setup_locals(inner, decl)
        return inner

    def predeclare(self, scope: Scope, stmts: Sequence[ast.Node]) -> None:
        """Allocate the variables declared in an apply block before lowering it backwards."""
        for s in stmts:
            if isinstance(s, ast.VariableDecl) and scope.lookup(s) is None:
                ty = s.type_ref.resolved
                if ty is None:
                    raise CompileError(f"internal error: no type for '{s.name}'", s.loc)
                scope.bind(s, self.storage.alloc(self.local_base(scope, s.name), ty, s.loc))
            elif isinstance(s, ast.ConstantDecl) and scope.lookup(s) is None:
                StmtLowerer(self, scope).declare_const(s)
            elif isinstance(s, ast.BlockStatement):
                self.predeclare(scope, s.statements)
            elif isinstance(s, ast.IfStatement):
                self.predeclare(scope, [s.then] + ([s.else_] if s.else_ is not None else []))
            elif isinstance(s, ast.SwitchStatement):
                self.predeclare(scope, [c.body for c in s.cases if c.body is not None])

    # ------------------------------------------------------------ actions

    def _home(self, scope: Scope, decl: ast.ActionDecl) -> Scope:
        v = scope.lookup(decl)
        if v is None:
            v = self.global_value(decl, decl)
        if not isinstance(v, ActionHome):
            raise CompileError(f"action '{decl.name}' is not visible here", decl.loc)
        return v.scope

    def _bind_args(self, scope: Scope, decl: ast.ActionDecl, args: list[ast.Argument]) -> list[Value]:
        lw = ExprLowerer(self, scope)
        return [lw.value(a.value) for a in ordered_args(args, decl.params)]

    def table_action(self, scope: Scope, decl: ast.ActionDecl, args: list[ast.Argument]) -> J:
        """The JSON action for `decl` as listed in a table (directional parameters bound to `args`)."""
        home = self._home(scope, decl)
        directional = [p for p in decl.params if p.direction]
        bound_args = ordered_args(args, decl.params)[: len(directional)]
        values = self._bind_args(scope, decl, bound_args)
        key = ("table", id(decl), id(home), tuple(value_key(v) for v in values))
        cached = self._action_cache.get(key)
        if cached is not None:
            return cached
        inner = Scope(home, home.prefix)
        runtime: list[J] = []
        for p, v in zip(directional, values, strict=False):
            inner.bind(p, v)
        for p in decl.params:
            if p.direction:
                continue
            ty = p.type_ref.resolved
            w = scalar_width(ty)
            if w is None or ty is None:
                raise unsupported(f"action parameter '{p.name}' of type {ty}", p.loc)
            inner.bind(p, RuntimeData(len(runtime), ty))
            runtime.append({"name": names.declared_name(p), "bitwidth": w})
        lw = StmtLowerer(self, inner)
        lw.run_frame(_Frame(None), list(decl.body.statements))
        name = names.action_name(home.prefix, decl, id(decl) in self.top_level)
        j = self.new_action(name, runtime, lw.finish(), decl)
        self._action_cache[key] = j
        return j

    def const_of(self, e: ast.Expression, scope: Scope | None) -> int | bool | None:
        """The constant value of `e`: folded by the checker, or a constructor parameter's value."""
        c = const_int(e.const_value, self)
        if c is None and scope is not None and isinstance(e, ast.PathExpr | ast.Cast | ast.Binary | ast.Unary):
            lw = ExprLowerer(self, scope)

            def lookup(p: ast.PathExpr) -> int | bool | None:
                try:
                    v = lw.value(p)
                except CompileError:
                    return None
                return v.value if isinstance(v, Const) else None

            return consteval.evaluate(e, lookup)
        return c

    def action_data(
        self, decl: ast.ActionDecl, args: list[ast.Argument], at: ast.Node, scope: Scope | None = None
    ) -> list[str]:
        """The hex strings of the directionless arguments of an action call (default action, entries)."""
        ndir = len([p for p in decl.params if p.direction])
        data_params = [p for p in decl.params if not p.direction]
        data_args = ordered_args(args, decl.params)[ndir:]
        if len(data_args) != len(data_params):
            raise CompileError(
                f"action '{decl.name}' needs {len(data_params)} action data arguments, {len(data_args)} given",
                at.loc,
            )
        out: list[str] = []
        for p, a in zip(data_params, data_args, strict=True):
            c = self.const_of(a.value, scope)
            if c is None:
                raise CompileError(f"argument '{expr_text(a.value)}' must be a compile-time constant", a.value.loc)
            w = scalar_width(p.type_ref.resolved) or 32
            out.append(hexstr(int(c) & ((1 << w) - 1), w))
        return out

    def direct_action(self, scope: Scope, decl: ast.ActionDecl, call: ast.MethodCall) -> tuple[J, list[str]]:
        """The action (and its action data) of an action called directly in an apply block."""
        args = ordered_args(call.args, decl.params)
        ndir = len([p for p in decl.params if p.direction])
        consts = all(self.const_of(a.value, scope) is not None for a in args[ndir:])
        lw0 = ExprLowerer(self, scope)
        scalar_out = any(
            p.direction in ("out", "inout")
            and (isinstance(a.value, ast.Slice) or isinstance(lw0.value(a.value), Field | DynField))
            for p, a in zip(decl.params, args, strict=False)
        )
        aliased = any(_aliased(a.value, decl.body) for a in args[:ndir])
        if consts and not scalar_out and not aliased:
            return self.table_action(scope, decl, call.args), self.action_data(decl, call.args, call, scope)
        # arguments that are not constants, or scalars copied in and out: a specialized copy
        lw = StmtLowerer(self, scope)
        self.inline_action(lw, decl, call)
        name = names.action_name(self._home(scope, decl).prefix, decl, id(decl) in self.top_level)
        return self.new_action(name, [], lw.finish(), decl), []

    def bind_call(
        self,
        lw: StmtLowerer,
        inner: Scope,
        params: list[ast.Param],
        args: list[ast.Argument],
        prefix: str,
        body: ast.Node,
    ) -> list[tuple[Value, Value, ast.Node]]:
        """Bind parameters to arguments with the language's copy semantics for scalars:
        `in` arguments are copied in, `out`/`inout` scalar arguments copied in and out; a header,
        struct, union or stack argument is copied only when `body` also reaches it by another
        name. Returns the copies to make after the body ran."""
        copy_out: list[tuple[Value, Value, ast.Node]] = []
        used = {id(n.decl) for n in ast.walk(body) if isinstance(n, ast.PathExpr)}
        for p, a in zip(params, ordered_args(args, params), strict=False):
            v = lw.value(a.value)
            ty = p.type_ref.resolved
            if id(p) not in used and not _aliased(a.value, body):
                # a parameter the body never names, whose argument it does not reach otherwise
                # either, needs no copies (p4c removes them as self-assignments, so an argument
                # such as `h[i].f` with i out of range is never touched)
                inner.bind(p, v)
                continue
            scalar = isinstance(v, Field | DynField | Expr | RuntimeData)
            if p.direction == "in" and scalar and ty is not None:
                tmp = self.storage.alloc(self.unique_name(f"{prefix}_{p.name}"), ty, p.loc)
                lw.assign_value(tmp, v, a.value)
                v = tmp
            elif p.direction in ("out", "inout") and isinstance(v, Field | DynField | Expr) and ty is not None:
                if isinstance(v, Expr):
                    if not isinstance(a.value, ast.Slice):
                        raise CompileError(f"'{expr_text(a.value)}' cannot be an {p.direction} argument", a.loc)
                    target: Value = lw.slice_target(a.value)  # bits of a field, written back
                else:
                    target = v
                tmp = self.storage.alloc(self.unique_name(f"{prefix}_{p.name}"), ty, p.loc)
                if p.direction == "inout":
                    lw.assign_value(tmp, v, a.value)
                copy_out.append((target, tmp, a.value))
                v = tmp
            elif isinstance(v, Header | Struct | Union | Stack) and ty is not None and _aliased(a.value, body):
                # the body reaches the argument by another name too: it works on a copy
                tmp = self.storage.alloc(self.unique_name(f"{prefix}_{p.name}"), ty, p.loc)
                if p.direction != "out":
                    lw.assign_value(tmp, v, a.value)
                if p.direction in ("out", "inout"):
                    copy_out.append((v, tmp, a.value))
                v = tmp
            inner.bind(p, v)
        return copy_out

    def inline_action(self, lw: StmtLowerer, decl: ast.ActionDecl, call: ast.MethodCall) -> None:
        """An action called from an action or a group of statements: its body inlined."""
        home = self._home(lw.scope, decl)
        inner = Scope(home, home.prefix)
        copy_out = self.bind_call(lw, inner, decl.params, call.args, decl.name, decl.body)
        saved = lw.scope
        lw.scope = inner
        try:
            lw.run_frame(_Frame(None, copy_out), list(decl.body.statements))
        finally:
            lw.scope = saved
        for dst, tmp, at in copy_out:
            lw.assign_value(dst, tmp, at)

    def inline_function(self, lw: ExprLowerer, call: ast.MethodCall) -> Value:
        """A function call: its body inlined; returns where its result is."""
        if not isinstance(lw, StmtLowerer):
            raise unsupported(f"calling function '{expr_text(call)}' in a condition or table key", call.loc)
        decl = call.callee
        assert isinstance(decl, ast.FunctionDecl)
        inner = Scope(self.global_scope, "")
        copy_out = self.bind_call(lw, inner, decl.params, call.args, decl.name, decl.body)
        rty = decl.return_type.resolved
        result: Value | None = None
        if rty is not None and not isinstance(rty, t.VoidType):
            result = self.storage.alloc(self.unique_name(f"{decl.name}_retval"), rty, decl.loc)
        saved = lw.scope
        lw.scope = inner
        try:
            lw.run_frame(_Frame(result, copy_out), list(decl.body.statements))
        finally:
            lw.scope = saved
        for dst, tmp, at in copy_out:
            lw.assign_value(dst, tmp, at)
        return result if result is not None else Const(0, t.BitsType(1))

    # ------------------------------------------------------------ metadata field lists

    def field_list_members(self, index: int) -> list[J]:
        out: list[J] = []

        def walk(v: Value, ty: t.Type | None) -> None:
            if not isinstance(v, Struct) or not isinstance(ty, t.StructLikeType) or ty.decl is None:
                return
            for fname, sub in v.fields.items():
                f = ty.decl.field_named(fname)
                ann = ast.find_annotation(f.annotations, "field_list") if f is not None else None
                ids = [_annotation_int(a, self) for a in (ann.args or [])] if ann is not None else []
                if index in ids:
                    if isinstance(sub, Field):
                        out.append(sub.json())
                    elif isinstance(sub, Struct):
                        out.extend(_all_fields(sub))
                walk(sub, ty.field_type(fname))

        if self.user_meta is not None:
            walk(self.user_meta, self.user_meta_type)
        return out

    # ------------------------------------------------------------ program

    def collect_types(self) -> None:
        for d in self.program.declarations:
            if isinstance(d, ast.ErrorDecl):
                for m in d.members:
                    if m.name not in self.errors:
                        self.errors[m.name] = len(self.errors)
            elif isinstance(d, ast.EnumDecl) and d.underlying is None:
                entries = [[m.name, i] for i, m in enumerate(d.members)]
                self.enums.append({"name": d.name, "entries": entries})

    def run(self) -> J:
        self.collect_types()
        try:
            main = names.main_instance(self.program)
        except names.NamingError as exc:
            raise CompileError(exc.message, exc.loc if exc.loc.line > 0 else None) from None
        pkg = main.type_ref.base if isinstance(main.type_ref, ast.SpecializedTypeRef) else main.type_ref
        pkg_name = getattr(pkg, "name", "?")
        if pkg_name != "V1Switch":
            raise unsupported(f"package '{pkg_name}' (softp4 targets v1model's V1Switch)", main.loc)
        pkg_decl = pkg.decl if isinstance(pkg, ast.NamedTypeRef) else None
        main_args = main.args
        if isinstance(pkg_decl, ast.PackageTypeDecl):
            main_args = ordered_args(main.args, pkg_decl.params)
        blocks = [self._main_arg(a.value) for a in main_args]
        ctor_args: dict[int, list[ast.Argument]] = {}
        for a, b in zip(main_args, blocks, strict=False):
            if b is not None:
                ctor_args[id(b)] = self._main_ctor_args(a.value)
        if len(blocks) != 6:
            raise CompileError("V1Switch takes 6 blocks", main.loc)
        prs, vrfy, ingress, egress, compute, deparser = blocks
        if not isinstance(prs, ast.ParserDecl):
            raise CompileError("the first argument of V1Switch must be a parser", main.loc)
        controls = [vrfy, ingress, egress, compute, deparser]
        for c in controls:
            if not isinstance(c, ast.ControlDecl):
                raise CompileError("arguments 2 to 6 of V1Switch must be controls", main.loc)
        assert isinstance(vrfy, ast.ControlDecl) and isinstance(ingress, ast.ControlDecl)
        assert isinstance(egress, ast.ControlDecl) and isinstance(compute, ast.ControlDecl)
        assert isinstance(deparser, ast.ControlDecl)
        if len(prs.params) != 4:
            raise CompileError("the V1Switch parser must have 4 parameters", prs.loc)
        h_ty = prs.params[1].type_ref.resolved
        m_ty = prs.params[2].type_ref.resolved
        sm_ty = prs.params[3].type_ref.resolved
        if not isinstance(h_ty, t.StructLikeType) or not isinstance(m_ty, t.StructLikeType):
            raise CompileError("the V1Switch headers and metadata must be structs", prs.loc)
        if not isinstance(sm_ty, t.StructLikeType):
            raise CompileError("the parser's fourth parameter must be standard_metadata_t", prs.loc)
        sm = self.storage.standard_metadata(sm_ty)
        hdr = Struct(h_ty)
        for fname, fty in h_ty.fields:
            hdr.fields[fname] = self.storage.alloc(fname, fty, prs.loc)
        meta = Struct(m_ty)
        mname = prs.params[2].name
        for fname, fty in m_ty.fields:
            meta.fields[fname] = self.storage.alloc(f"{mname}.{fname}", fty, prs.loc)
        self.user_meta, self.user_meta_type = meta, m_ty
        roots = {"H": hdr, "M": meta, "SM": sm}

        # the names P4Info gives the top-level blocks (p4c specializes some: `MyIngress_0`)
        try:
            tops = [b for b in names.blocks(self.program) if b.parent is None]
        except names.NamingError as exc:
            raise CompileError(exc.message, exc.loc) from None
        prefixes = {id(b.decl): b.prefix for b in tops}

        def scope_for(decl: ast.ControlDecl | ast.ParserDecl, layout: list[str]) -> Scope:
            scope = Scope(self.global_scope, prefixes.get(id(decl), decl.name))
            glw = ExprLowerer(self, self.global_scope)
            for p, a in zip(
                decl.ctor_params, ordered_args(ctor_args.get(id(decl), []), decl.ctor_params), strict=False
            ):
                scope.bind(p, glw.value(a.value))
            if len(decl.params) != len(layout):
                raise CompileError(f"'{decl.name}' must have {len(layout)} parameters for V1Switch", decl.loc)
            for p, what in zip(decl.params, layout, strict=True):
                if what == "pin":
                    scope.bind(p, PacketObj(False))
                elif what == "pout":
                    scope.bind(p, PacketObj(True))
                else:
                    scope.bind(p, roots[what])
            self.setup_locals(scope, decl)
            return scope

        parser_json = ParserLowerer(self).parser(scope_for(prs, ["pin", "H", "M", "SM"]), prs)
        pipelines = [
            ControlLowerer(self, "ingress").pipeline(scope_for(ingress, ["H", "M", "SM"]), ingress),
            ControlLowerer(self, "egress").pipeline(scope_for(egress, ["H", "M", "SM"]), egress),
        ]
        for decl, verify in ((vrfy, True), (compute, False)):
            scope = scope_for(decl, ["H", "M"])
            self.externs.checksum_control(StmtLowerer(self, scope), list(decl.body.statements), verify)
        deparser_json = DeparserLowerer(self).deparser(scope_for(deparser, ["pout", "H"]), deparser)
        self.unused_globals()
        # the graphs were built from the end: list their nodes in program order
        table_id = conditional_id = 0
        for pipe in pipelines:
            pipe["tables"].reverse()
            pipe["conditionals"].reverse()
            for tj in pipe["tables"]:
                tj["id"] = table_id
                table_id += 1
            for cj in pipe["conditionals"]:
                cj["id"] = conditional_id
                conditional_id += 1
        for ext in self.direct_meters:
            targets = ext.info.get("result_targets") or []
            entry = ext.info.get("json")
            if entry is not None and targets:
                entry["result_target"] = [targets[0].instance, targets[0].field]
        self.storage.finish()
        s = self.storage
        e = self.externs
        return {
            "header_types": list(s.header_types.values()),
            "headers": s.headers,
            "header_stacks": s.header_stacks,
            "header_union_types": list(s.header_union_types.values()),
            "header_unions": s.header_unions,
            "header_union_stacks": s.header_union_stacks,
            "field_lists": e.field_lists,
            "errors": [[name, code] for name, code in self.errors.items()],
            "enums": self.enums,
            "parsers": [parser_json],
            "parse_vsets": self.parse_vsets,
            "deparsers": [deparser_json],
            "meter_arrays": e.meter_arrays,
            "counter_arrays": e.counter_arrays,
            "register_arrays": e.register_arrays,
            "calculations": e.calculations,
            "learn_lists": e.learn_lists,
            "actions": self.actions,
            "pipelines": pipelines,
            "checksums": e.checksums,
            "force_arith": [],
            "extern_instances": [],
            "field_aliases": s.field_aliases,
            "program": self.program_name,
            "__meta__": {"version": [2, 23], "compiler": "softp4"},
        }

    def _main_ctor_args(self, e: ast.Expression) -> list[ast.Argument]:
        """The constructor arguments of one of main's blocks (`ingress(32w5)` or a top-level instance)."""
        if isinstance(e, ast.ConstructorCall):
            return e.args
        if isinstance(e, ast.PathExpr) and isinstance(e.decl, ast.Instantiation):
            return e.decl.args
        return []

    def _main_arg(self, e: ast.Expression) -> ast.Node | None:
        if isinstance(e, ast.ConstructorCall):
            ref = e.type_ref.base if isinstance(e.type_ref, ast.SpecializedTypeRef) else e.type_ref
            return ref.decl if isinstance(ref, ast.NamedTypeRef) else None
        if isinstance(e, ast.PathExpr) and isinstance(e.decl, ast.Instantiation):
            ref = e.decl.type_ref
            ref = ref.base if isinstance(ref, ast.SpecializedTypeRef) else ref
            return ref.decl if isinstance(ref, ast.NamedTypeRef) else None
        return None


def _root_decl(e: ast.Expression) -> ast.Node | None:
    """The declaration of the variable or parameter an lvalue such as `h.eth[1].f` starts from."""
    while isinstance(e, ast.Member | ast.Index | ast.Slice):
        e = e.expr
    return e.decl if isinstance(e, ast.PathExpr) else None


def _aliased(arg: ast.Expression, body: ast.Node) -> bool:
    """Whether `body` (or an action it calls) names the variable `arg` is part of."""
    root = _root_decl(arg)
    if root is None:
        return False
    seen: set[int] = set()
    todo = [body]
    while todo:
        for n in ast.walk(todo.pop()):
            if isinstance(n, ast.PathExpr) and n.decl is root:
                return True
            if isinstance(n, ast.MethodCall) and isinstance(n.callee, ast.ActionDecl) and id(n.callee) not in seen:
                seen.add(id(n.callee))
                todo.append(n.callee.body)
    return False


def _annotation_int(a: ast.Expression, be: Backend) -> int | None:
    if isinstance(a, ast.IntLiteral):
        return a.value
    c = const_int(a.const_value, be)
    return None if c is None else int(c)


def _total_width(ty: t.Type) -> int | None:
    w = scalar_width(ty)
    if w is not None:
        return w
    if isinstance(ty, t.StructLikeType | t.TupleType):
        members = [f for _, f in ty.fields] if isinstance(ty, t.StructLikeType) else list(ty.elements)
        total = 0
        for m in members:
            mw = _total_width(m)
            if mw is None:
                return None
            total += mw
        return total
    return None


def _all_fields(v: Value) -> list[J]:
    if isinstance(v, Field):
        return [v.json()]
    if isinstance(v, Struct):
        out: list[J] = []
        for sub in v.fields.values():
            out.extend(_all_fields(sub))
        return out
    if isinstance(v, Header):
        return [f.json() for f in flat_fields(v)]
    return []


def to_bmv2_json(program: ast.Program, *, program_name: str = "", warnings: list[Diagnostic] | None = None) -> J:
    """The BMv2 JSON of a checked v1model program."""
    sink: list[Diagnostic] = warnings if warnings is not None else []
    try:
        return Backend(program, program_name, sink).run()
    except names.NamingError as exc:
        raise CompileError(exc.message, exc.loc) from None
    except CompileError:
        raise
    except RecursionError:
        raise CompileError("program nested too deeply for the BMv2 back end") from None
    except (AssertionError, KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        # a construct the lowering did not expect: say so rather than crash
        raise CompileError(
            f"internal error in the BMv2 back end ({type(exc).__name__}: {exc}); "
            "please report the program that caused it"
        ) from exc
