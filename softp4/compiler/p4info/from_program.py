"""Walk a checked program from `main` and describe its control-plane API (`P4InfoModel`).

p4c writes P4Info after its front end; what the front end leaves, and in what
order the serializer meets it, decides what P4Info lists.  This module
reproduces that (evidence: testdata/p4_16_samples_outputs/*.p4info.txtpb of
p4c, named in the comments):

- Blocks are visited in `main`'s argument order; a control or parser
  instantiated inside another is inlined at the place of its instantiation
  (names.py gives the names).  Controls applied directly by type name
  (`c1.apply(...)` without an instance) contribute nothing
  (actions-almost-duplicate-names1.p4: table `t2` of `c1` is absent).
- Tables: those applied somewhere (unused tables are removed), in declaration
  order.  `@hidden` tables are left out but still take an id.
- Actions, per control: first the top-level actions the control uses, in the
  order of their first use (p4c copies them into the control, in front of its
  locals), then the control's own used actions in declaration order; an action
  is used when a used table lists it (actions, default_action, entries) or the
  apply block calls it.  Duplicates (same name) are listed once
  (actions-almost-duplicate-names1.p4, issue1049-bmv2.p4).
- A table without `default_action` has `NoAction` as initial default action
  (issue1049-bmv2.p4 `debug_table`).  Argument values are as wide as their
  parameter (default-action-arg-bmv2.p4).
- Extern instances declared in a block are listed even when unused (p4c keeps
  extern instances); top-level instances come before everything in blocks.
  Direct counters/meters and in-place action profiles are listed when their
  table is; an action profile's `table_ids` are its tables in name order.
- Digests: one per struct type passed to `digest<T>(receiver, data)`, named
  by the type; value sets: declared in parsers; controller headers: header
  types with `@controller_header`, in program order.
- type_info describes every user type reached from keys, action parameters,
  packet metadata, registers and digests.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from softp4.compiler import ast, names
from softp4.compiler import types as T
from softp4.compiler.errors import CompileError, SourceLocation
from softp4.compiler.p4info import model as m

__all__ = ["annotation_text", "convert_annotations", "p4info_model"]

_DEFAULT_TABLE_SIZE = 1024

#: Annotations p4c's front end parses as expression lists: P4Info prints their
#: arguments separated by ", ".  Others keep their tokens, printed separated by spaces.
_PARSED = frozenset(
    {
        "name",
        "id",
        "brief",
        "description",
        "noWarn",
        "controller_header",
        "deprecated",
        "match",
        "p4runtime_translation",
        "priority",
        "max_group_size",
        "selector_size_semantics",
        "max_member_weight",
    }
)

_COUNTER_UNITS = {"packets": "packets", "bytes": "bytes", "packets_and_bytes": "both"}
_METER_UNITS = {"packets": "packets", "bytes": "bytes"}


# ---------------------------------------------------------------- annotations


def _literal_value(expr: ast.Expression) -> m.AnnotationValue | None:
    if isinstance(expr, ast.StringLiteral):
        return expr.value
    if isinstance(expr, ast.BoolLiteral):
        return expr.value
    if isinstance(expr, ast.IntLiteral):
        return expr.value
    if isinstance(expr.const_value, bool | int | str):
        return expr.const_value
    return None


def _expr_text(expr: ast.Expression) -> str:
    if isinstance(expr, ast.StringLiteral):
        return expr.text or '"' + expr.value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(expr, ast.BoolLiteral):
        return "true" if expr.value else "false"
    if isinstance(expr, ast.IntLiteral):
        return expr.text or str(expr.value)
    if isinstance(expr, ast.PathExpr):
        return ("." if expr.dot_prefix else "") + expr.name
    name = names.key_expression_name(expr)
    return name if name is not None else ""


def annotation_text(ann: ast.Annotation) -> str:
    """An annotation as p4c prints it in P4Info (its ToP4 form)."""
    if not ann.has_body or not (ann.tokens or ann.body.strip()):
        return "@" + ann.name
    if ann.structured:
        if ann.kv is not None:
            inner = ", ".join(f"{k}={_expr_text(v)}" for k, v in ann.kv)
        elif ann.args is not None:
            inner = ", ".join(_expr_text(a) for a in ann.args)
        else:
            inner = " ".join(ann.tokens) if ann.tokens else ann.body.strip()
        return f"@{ann.name}[{inner}]"
    if ann.name in _PARSED and ann.args is not None:
        return f"@{ann.name}(" + ", ".join(_expr_text(a) for a in ann.args) + ")"
    if ann.kv is not None and ann.name == "pkginfo":
        return f"@{ann.name}(" + ", ".join(f"{k}={_expr_text(v)}" for k, v in ann.kv) + ")"
    inner = " ".join(ann.tokens) if ann.tokens else ann.body.strip()
    return f"@{ann.name}({inner})"


def convert_annotations(anns: Iterable[ast.Annotation]) -> list[m.Annotation]:
    """AST annotations as the model keeps them."""
    out: list[m.Annotation] = []
    for ann in anns:
        args: tuple[m.AnnotationValue, ...] = ()
        if ann.args is not None:
            values = [_literal_value(a) for a in ann.args]
            if all(v is not None for v in values):
                args = tuple(v for v in values if v is not None)
        kv: tuple[tuple[str, m.AnnotationValue], ...] = ()
        if ann.kv is not None:
            pairs = [(k, _literal_value(v)) for k, v in ann.kv]
            kv = tuple((k, v) for k, v in pairs if v is not None)
        out.append(m.Annotation(ann.name, annotation_text(ann), args, ann.structured, kv))
    return out


# ---------------------------------------------------------------- helpers


def _const_int(expr: ast.Expression | None) -> int | None:
    if expr is None:
        return None
    value = expr.const_value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(expr, ast.IntLiteral):
        return expr.value
    if isinstance(expr, ast.Cast):
        return _const_int(expr.expr)
    return None


def _enum_member(expr: ast.Expression) -> str | None:
    value = expr.const_value
    if isinstance(value, T.EnumValue):
        return value.member
    if isinstance(expr, ast.Member):
        return expr.member
    return None


def _type_name(ref: ast.TypeRef) -> str:
    base = ref.base if isinstance(ref, ast.SpecializedTypeRef) else ref
    return base.name if isinstance(base, ast.NamedTypeRef) else ""


def _live_walk(node: ast.Node) -> Iterator[ast.Node]:
    """As ast.walk, without the code p4c's front end removes as dead before writing P4Info:
    the branch an `if` or `?:` with a constant condition does not take, and the statements
    of a block after one that always leaves it (`exit`, `return`; gauntlet_exit_combination_5)."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        if isinstance(n, ast.IfStatement) and isinstance(n.cond.const_value, bool):
            live = n.then if n.cond.const_value else n.else_
            kids: list[ast.Node] = [n.cond] + ([live] if live is not None else [])
        elif isinstance(n, ast.Mux) and isinstance(n.cond.const_value, bool):
            kids = [n.cond, n.then if n.cond.const_value else n.else_]
        elif isinstance(n, ast.BlockStatement):
            kids = []
            for st in n.statements:
                kids.append(st)
                if _always_leaves(st):
                    break
        else:
            kids = list(ast.children(n))
        stack.extend(reversed(kids))


def _always_leaves(s: ast.Node) -> bool:
    """Whether statement `s` never completes normally (every path ends in exit or return)."""
    if isinstance(s, ast.ExitStatement | ast.ReturnStatement):
        return True
    if isinstance(s, ast.BlockStatement):
        return any(_always_leaves(x) for x in s.statements)
    if isinstance(s, ast.IfStatement):
        if isinstance(s.cond.const_value, bool):
            live = s.then if s.cond.const_value else s.else_
            return live is not None and _always_leaves(live)
        return s.else_ is not None and _always_leaves(s.then) and _always_leaves(s.else_)
    return False


def _walk_calls(node: ast.Node) -> Iterator[ast.MethodCall]:
    for n in _live_walk(node):
        if isinstance(n, ast.MethodCall):
            yield n


def _has(anns: Sequence[ast.Annotation], name: str) -> bool:
    return ast.find_annotation(list(anns), name) is not None


@dataclass
class _Item:
    """A local declaration of an expanded (inlined) block, with the block it belongs to."""

    block: names.Block
    decl: ast.Declaration


@dataclass
class _Control:
    """A top-level parser or control with everything inlined into it."""

    block: names.Block
    items: list[_Item] = field(default_factory=list)
    used_blocks: list[names.Block] = field(default_factory=list)


# ---------------------------------------------------------------- the collector


class _Collector:
    def __init__(self, program: ast.Program) -> None:
        self.program = program
        self.model = m.P4InfoModel()
        self.top_actions = {d.name: d for d in program.declarations if isinstance(d, ast.ActionDecl)}
        self.action_names: set[str] = set()
        self.digest_names: set[str] = set()
        self.anonymous_digests = names.AnonymousDigests()
        self.profile_tables: dict[str, list[str]] = {}
        self.profiles: dict[str, m.ActionProfile] = {}
        self.actions_by_name: dict[str, m.Action] = {}
        self._locals_cache: dict[int, set[int]] = {}
        self._children_cache: dict[tuple[int, str], dict[int, names.Block]] = {}

    # ------------------------------------------------------------ types

    def type_ref(self, t: T.Type | None, loc: SourceLocation) -> m.TypeRef:
        """The model type for `t`, describing user types in type_info."""
        ti = self.model.type_info
        if isinstance(t, T.BitsType):
            return m.BitsType(t.width, t.signed)
        if isinstance(t, T.VarbitType):
            return m.VarbitType(t.max_width)
        if isinstance(t, T.BoolType):
            return m.BoolType()
        if isinstance(t, T.ErrorType):
            if ti.errors is None:
                ti.errors = self._error_members()
            return m.ErrorType()
        if isinstance(t, T.StackType):
            element = self.type_ref(t.element, loc)
            if not isinstance(element, m.NamedType):
                raise CompileError(f"header stack of {t.element} cannot be described in P4Info", loc)
            return m.StackType(element, t.size)
        if isinstance(t, T.TupleType):
            return m.TupleType(tuple(self.type_ref(e, loc) for e in t.elements))
        if isinstance(t, T.StructLikeType):
            return self._struct_like(t, loc)
        if isinstance(t, T.EnumType):
            anns = convert_annotations(t.decl.annotations) if t.decl is not None else []
            if t.underlying is None:
                if t.name not in ti.enums:
                    ti.enums[t.name] = m.EnumDef(t.name, list(t.members), anns)
                return m.NamedType("enum", t.name)
            if t.name not in ti.serializable_enums:
                members = [(name, t.values.get(name, 0)) for name in t.members]
                ti.serializable_enums[t.name] = m.SerEnumDef(t.name, t.underlying.width, members, anns)
            return m.NamedType("serializable_enum", t.name)
        if isinstance(t, T.NewType):
            if t.name not in ti.new_types:
                self._new_type(t, loc)
            return m.NamedType("new_type", t.name)
        raise CompileError(f"type {t} cannot be described in P4Info", loc)

    def _error_members(self) -> list[str]:
        out: list[str] = []
        for decl in self.program.declarations:
            if isinstance(decl, ast.ErrorDecl):
                out.extend(member.name for member in decl.members if member.name not in out)
        return out

    def _struct_like(self, t: T.StructLikeType, loc: SourceLocation) -> m.TypeRef:
        ti = self.model.type_info
        anns = convert_annotations(t.decl.annotations) if t.decl is not None else []
        if t.kind == "header":
            if t.name not in ti.headers:
                hmembers: list[tuple[str, m.BitsType | m.VarbitType]] = []
                ti.headers[t.name] = m.HeaderDef(t.name, hmembers, anns)
                for fname, ftype in t.fields:
                    spec = self.type_ref(_bits_of(ftype), loc)
                    if not isinstance(spec, m.BitsType | m.VarbitType):
                        raise CompileError(f"header field {t.name}.{fname} cannot be described in P4Info", loc)
                    hmembers.append((fname, spec))
            return m.NamedType("header", t.name)
        if t.kind == "header_union":
            if t.name not in ti.header_unions:
                umembers: list[tuple[str, str]] = []
                ti.header_unions[t.name] = m.HeaderUnionDef(t.name, umembers, anns)
                for fname, ftype in t.fields:
                    self.type_ref(ftype, loc)
                    umembers.append((fname, str(ftype)))
            return m.NamedType("header_union", t.name)
        if t.name not in ti.structs:
            smembers: list[tuple[str, m.TypeRef]] = []
            ti.structs[t.name] = m.StructDef(t.name, smembers, anns)
            for fname, ftype in t.fields:
                smembers.append((fname, self.type_ref(ftype, loc)))
        return m.NamedType("struct", t.name)

    def _new_type(self, t: T.NewType, loc: SourceLocation) -> None:
        ti = self.model.type_info
        decl = t.decl
        anns = [a for a in decl.annotations if a.name != "p4runtime_translation"] if decl else []
        ndef = m.NewTypeDef(t.name, annotations=convert_annotations(anns))
        ti.new_types[t.name] = ndef
        translation = decl.annotation("p4runtime_translation") if decl is not None else None
        if translation is not None and translation.args:
            uri = _literal_value(translation.args[0])
            ndef.translation_uri = uri if isinstance(uri, str) else ""
            if len(translation.args) > 1:
                ndef.translation_bitwidth = _translation_width(translation.args[1])
            return
        base = t.base
        while isinstance(base, T.NewType):  # `type foo_t bar_t`: described as foo_t's own type
            base = base.base
        ndef.original = self.type_ref(base, loc)

    def width(self, t: T.Type | None, loc: SourceLocation) -> int:
        """A P4Info bitwidth: translated new types use their controller width, errors 0."""
        if isinstance(t, T.NewType) and t.decl is not None:
            translation = t.decl.annotation("p4runtime_translation")
            if translation is not None and translation.args:
                width = _translation_width(translation.args[1]) if len(translation.args) > 1 else None
                return width or 0
        if isinstance(t, T.ErrorType):
            return 0
        w = T.width_of(t) if t is not None else None
        if w is None:
            raise CompileError(f"a value of type {t} cannot be a control-plane field (no fixed width)", loc)
        return w

    def describe(self, t: T.Type | None, loc: SourceLocation) -> str | None:
        """Register a user type in type_info (as p4c does for keys/params); its P4Info type_name."""
        if isinstance(t, T.NewType | T.EnumType | T.StructLikeType | T.ErrorType):
            self.type_ref(t, loc)
        return t.name if isinstance(t, T.NewType) else None

    # ------------------------------------------------------------ blocks

    def expand(self, block: names.Block) -> _Control:
        ctl = _Control(block)

        def visit(b: names.Block) -> None:
            ctl.used_blocks.append(b)
            children = {id(child.instance): child for child in names.nested_blocks(self.program, b)}
            for local in b.decl.locals:
                child = children.get(id(local))
                if child is not None:
                    if self._instance_applied(b, local):
                        visit(child)
                    continue
                ctl.items.append(_Item(b, local))
            for child in names.direct_blocks(self.program, b):
                visit(child)

        visit(block)
        return ctl

    def _instance_applied(self, block: names.Block, inst: ast.Declaration) -> bool:
        scope: list[ast.Node] = [d for d in block.decl.locals if d is not inst]
        if isinstance(block.decl, ast.ControlDecl):
            scope.append(block.decl.body)
        else:
            scope.extend(block.decl.states)
        for node in scope:
            for n in ast.walk(node):
                if isinstance(n, ast.PathExpr) and (n.decl is inst or (n.decl is None and n.name == inst.name)):
                    return True
        return False

    # ------------------------------------------------------------ resolution

    def resolve_action(self, block: names.Block, expr: ast.Expression) -> tuple[ast.ActionDecl, bool] | None:
        """The action an action reference or call names, and whether it is a top-level one."""
        target = expr.method if isinstance(expr, ast.MethodCall) else expr
        if not isinstance(target, ast.PathExpr):
            return None
        decl = target.decl
        if decl is None:
            if not target.dot_prefix:
                for local in block.decl.locals:
                    if isinstance(local, ast.ActionDecl) and local.name == target.name:
                        decl = local
                        break
            if decl is None:
                decl = self.top_actions.get(target.name)
        if not isinstance(decl, ast.ActionDecl):
            return None
        return decl, id(decl) not in self._local_ids(block)

    def _children(self, b: names.Block) -> dict[int, names.Block]:
        """The blocks inlined into `b`, keyed by their instance (or, applied directly, their type)."""
        key = (id(b.decl), b.prefix)
        children = self._children_cache.get(key)
        if children is None:
            children = {id(child.instance): child for child in names.nested_blocks(self.program, b)}
            children.update({id(child.decl): child for child in names.direct_blocks(self.program, b)})
            self._children_cache[key] = children
        return children

    def _local_ids(self, block: names.Block) -> set[int]:
        ids = self._locals_cache.get(id(block.decl))
        if ids is None:
            ids = {id(d) for d in block.decl.locals}
            self._locals_cache[id(block.decl)] = ids
        return ids

    def action_name(self, block: names.Block, decl: ast.ActionDecl, top: bool) -> str:
        return names.action_name(block.prefix, decl, top)

    def used_tables(self, ctl: _Control) -> set[int]:
        """The tables applied in the apply bodies, and in the keys of applied tables (issue2362-bmv2)."""
        used: set[int] = set()
        for b in ctl.used_blocks:
            body: list[ast.Node] = []
            if isinstance(b.decl, ast.ControlDecl):
                body.append(b.decl.body)
            while body:
                node = body.pop()
                for call in _walk_calls(node):
                    method = call.method
                    if isinstance(method, ast.Member) and method.member == "apply":
                        target = method.expr
                        if isinstance(target, ast.PathExpr):
                            decl = target.decl
                            if decl is None:
                                decl = next(
                                    (
                                        d
                                        for d in b.decl.locals
                                        if isinstance(d, ast.TableDecl) and d.name == target.name
                                    ),
                                    None,
                                )
                            if isinstance(decl, ast.TableDecl) and id(decl) not in used:
                                used.add(id(decl))
                                body.extend(el.expr for el in decl.key)
        return used

    def table_action_refs(self, item: _Item) -> Iterator[ast.Expression]:
        """The action references of a table in source order, with p4c's implicit NoAction
        (a table without `default_action` gets `@defaultonly NoAction` listed last and
        `default_action = NoAction()`, front-end pass CreateBuiltins; basic_routing-bmv2.p4)."""
        table = item.decl
        assert isinstance(table, ast.TableDecl)
        implicit = table.default_action is None
        for prop in table.properties:
            if isinstance(prop, ast.ActionsProperty):
                for ref in prop.actions:
                    yield ref.expr
                if implicit:
                    yield ast.PathExpr(name="NoAction", loc=prop.loc)
            elif isinstance(prop, ast.ValueProperty) and prop.name == "default_action":
                yield prop.value
            elif isinstance(prop, ast.EntriesProperty):
                for entry in prop.entries:
                    yield entry.action.expr

    def body_calls(self, b: names.Block, node: ast.Node) -> Iterator[tuple[names.Block, ast.MethodCall]]:
        """The calls in an apply body in order, with the bodies of applied inlined controls in place."""
        children = self._children(b)
        for n in _live_walk(node):
            if not isinstance(n, ast.MethodCall):
                continue
            yield b, n
            method = n.method
            if not (isinstance(method, ast.Member) and method.member == "apply"):
                continue
            target: ast.Node | None = names.direct_target(self.program, b, n)
            if target is None and isinstance(method.expr, ast.PathExpr):
                target = method.expr.decl
                if target is None:
                    target = next((d for d in b.decl.locals if d.name == method.expr.name), None)
            if target is not None:
                child = children.get(id(target))
                if child is not None and isinstance(child.decl, ast.ControlDecl):
                    yield from self.body_calls(child, child.decl.body)

    # ------------------------------------------------------------ controls

    def control(self, ctl: _Control) -> None:
        used_tables = self.used_tables(ctl)
        tables = [it for it in ctl.items if isinstance(it.decl, ast.TableDecl) and id(it.decl) in used_tables]
        # references in the order p4c's front end meets them: locals, then the apply body
        refs: list[tuple[names.Block, ast.Expression]] = []
        for it in ctl.items:
            if isinstance(it.decl, ast.TableDecl) and id(it.decl) in used_tables:
                refs.extend((it.block, e) for e in self.table_action_refs(it))
        in_tables = {id(found[0]) for b, e in refs if (found := self.resolve_action(b, e)) is not None}
        if isinstance(ctl.block.decl, ast.ControlDecl):
            for b, call in self.body_calls(ctl.block, ctl.block.decl.body):
                if isinstance(call.method, ast.PathExpr) and self.resolve_action(b, call) is not None:
                    refs.append((b, call))
        used_local: set[int] = set()
        globals_in_order: list[tuple[names.Block, ast.ActionDecl]] = []
        seen_globals: set[int] = set()
        for b, expr in refs:
            found = self.resolve_action(b, expr)
            if found is None:
                continue
            decl, top = found
            if top:
                if id(decl) not in seen_globals:
                    seen_globals.add(id(decl))
                    globals_in_order.append((b, decl))
            else:
                used_local.add(id(decl))
        ordered: list[tuple[names.Block, ast.ActionDecl, bool]] = [(b, d, True) for b, d in globals_in_order]
        for it in ctl.items:
            if isinstance(it.decl, ast.ActionDecl) and id(it.decl) in used_local:
                ordered.append((it.block, it.decl, False))
        for b, decl, top in ordered:
            self.add_action(b, decl, top, called_only=id(decl) not in in_tables)
        # digests (and any extern function call): in the control's actions, then its apply body
        calls = [call for _b, decl, _top in ordered for _blk, call in self.body_calls(ctl.block, decl.body)]
        if isinstance(ctl.block.decl, ast.ControlDecl):
            calls.extend(call for _blk, call in self.body_calls(ctl.block, ctl.block.decl.body))
        self.digests_in(calls)
        self.model.type_info_written |= any(isinstance(c.callee, ast.ExternFunctionDecl) for c in calls)
        # tables and extern instances, in declaration order
        for it in ctl.items:
            if isinstance(it.decl, ast.TableDecl):
                if id(it.decl) in used_tables:
                    self.add_table(it)
            elif isinstance(it.decl, ast.Instantiation):
                self.add_instance(it.block.prefix, it.decl)
        del tables

    def parser(self, ctl: _Control) -> None:
        for it in ctl.items:
            if isinstance(it.decl, ast.ValueSetDecl):
                self.add_value_set(it)
            elif isinstance(it.decl, ast.Instantiation):
                self.add_instance(it.block.prefix, it.decl)

    # ------------------------------------------------------------ objects

    def add_action(self, block: names.Block, decl: ast.ActionDecl, top: bool, called_only: bool = False) -> None:
        """`called_only`: the action is only called from apply bodies, in no table. p4c's front end
        (LocalizeAllActions, then RemoveActionParameters) gives each direct call a copy of the
        action whose parameters all become locals set from the call's arguments, so the action
        has no parameters in P4Info."""
        name = self.action_name(block, decl, top)
        if name in self.action_names:
            return
        self.action_names.add(name)
        if _has(decl.annotations, "hidden"):
            self.model.hidden_symbols.append(m.Symbol("action", name))
            return
        params: list[m.Param] = []
        for p in decl.params:
            if p.direction or called_only:
                continue
            t = p.type_ref.resolved
            type_name = self.describe(t, p.loc)
            if isinstance(t, T.EnumType) and t.underlying is None:
                params.append(m.Param(names.declared_name(p), None, convert_annotations(p.annotations), t.name))
                continue
            if not isinstance(t, T.BitsType | T.BoolType | T.NewType | T.EnumType):
                raise CompileError(
                    f"action parameter '{p.name}' has type {t}; control-plane parameters must be "
                    "bit<>, int<>, bool, a type or an enum",
                    p.loc,
                )
            params.append(
                m.Param(names.declared_name(p), self.width(t, p.loc), convert_annotations(p.annotations), type_name)
            )
        action = m.Action(name, params, convert_annotations(decl.annotations))
        self.model.type_info_written |= bool(params)
        self.model.actions.append(action)
        self.actions_by_name[name] = action

    def digests_in(self, calls: Iterable[ast.MethodCall]) -> None:
        for call in calls:
            callee = call.callee
            is_digest = isinstance(callee, ast.ExternFunctionDecl) and callee.name == "digest"
            if not is_digest and callee is None:
                is_digest = isinstance(call.method, ast.PathExpr) and call.method.name == "digest"
            if not is_digest or len(call.args) < 2:
                continue
            data = call.args[1].value
            t: T.Type | None = None
            if call.type_args and call.type_args[0].resolved is not None:
                t = call.type_args[0].resolved
            elif call.inferred_type_args:
                t = call.inferred_type_args[0]
            else:
                t = data.type
            if isinstance(t, T.StructLikeType):
                name = t.name
            elif isinstance(t, T.TupleType):
                name = self.anonymous_digests.name(call)
            else:
                raise CompileError(f"digest data must be a struct or a list, not {t}", data.loc)
            if name in self.digest_names:
                continue
            self.digest_names.add(name)
            spec = self.type_ref(t, data.loc)
            self.model.digests.append(m.Digest(name, spec))

    def add_table(self, it: _Item) -> None:
        table = it.decl
        assert isinstance(table, ast.TableDecl)
        block = it.block
        name = names.local_name(block.prefix, table)
        if _has(table.annotations, "hidden"):
            self.model.hidden_symbols.append(m.Symbol("table", name))
            return
        mt = m.Table(name, annotations=convert_annotations(table.annotations))
        self.model.type_info_written = True
        for el in table.key:
            t = _expr_type(el.expr)
            type_name = self.describe(t, el.expr.loc)
            width = 0 if el.match_kind == "selector" else self.width(t, el.expr.loc)
            mt.match_fields.append(
                m.MatchField(names.key_name(el), width, el.match_kind, convert_annotations(el.annotations), type_name)
            )
        for ref in table.actions:
            found = self.resolve_action(block, ref.expr)
            if found is None:
                raise CompileError(f"table '{table.name}': '{ref.name}' is not an action", ref.loc)
            decl, top = found
            mt.action_refs.append(m.ActionRef(self.action_name(block, decl, top), convert_annotations(ref.annotations)))
        dprop = table.default_action
        if dprop is not None:
            found = self.resolve_action(block, dprop.value)
            if found is None:
                raise CompileError(f"table '{table.name}': the default action is not an action", dprop.loc)
            decl, top = found
            aname = self.action_name(block, decl, top)
            if dprop.is_const:
                mt.const_default_action = aname
            mt.initial_default_action = m.ActionCall(aname, _control_plane_args(dprop.value, decl, block))
        elif "NoAction" in self.top_actions:
            # no default_action: p4c lists `@defaultonly NoAction` (unless the table lists an
            # action called NoAction) and makes it the default action
            if not any(ref.name == "NoAction" for ref in table.actions):
                mt.action_refs.append(m.ActionRef("NoAction", [m.Annotation("defaultonly", "@defaultonly")]))
            mt.initial_default_action = m.ActionCall("NoAction")
        size = _const_int(table.value("size"))
        mt.size = size if size else _DEFAULT_TABLE_SIZE
        timeout = table.value("support_timeout")
        mt.idle_timeout = bool(timeout is not None and timeout.const_value is True) or (
            isinstance(timeout, ast.BoolLiteral) and timeout.value
        )
        entries = table.entries
        if entries is not None:
            # an empty `const entries = { }` makes a const table without initial entries (issue2905-bmv2)
            mt.has_initial_entries = bool(entries.entries)
            mt.is_const_table = entries.is_const
        values = [prop for prop in table.properties if isinstance(prop, ast.ValueProperty)]
        for prop in values:
            if prop.name == "implementation":
                mt.implementation = self.table_profile(block, table, prop, name)
        # the direct counter first, then the direct meter, whatever order the table lists them in (as p4c)
        for kind in ("counters", "meters"):
            for prop in values:
                res = self.direct_resource(block, table, prop, name) if prop.name == kind else None
                if res is not None:
                    mt.direct_resources.append(res)
        self.model.tables.append(mt)

    def _instance_of(self, block: names.Block, value: ast.Expression) -> tuple[str, ast.Instantiation] | None:
        """The declared instance a table property names, with its P4Info name."""
        if not isinstance(value, ast.PathExpr):
            return None
        decl = value.decl
        if decl is None:
            decl = next((d for d in block.decl.locals if d.name == value.name), None)
            if decl is None:
                decl = next((d for d in self.program.declarations if d.name == value.name), None)
        if not isinstance(decl, ast.Instantiation):
            return None
        if decl in self.program.declarations:
            return names.top_level_name(decl), decl
        owner = block
        while owner is not None and decl not in owner.decl.locals:
            owner = owner.parent  # type: ignore[assignment]
        prefix = owner.prefix if owner is not None else block.prefix
        return names.local_name(prefix, decl), decl

    def table_profile(self, block: names.Block, table: ast.TableDecl, prop: ast.ValueProperty, tname: str) -> str:
        declared = self._instance_of(block, prop.value)
        if declared is not None:
            pname = declared[0]
        else:
            ctor = _constructor(prop.value)
            if ctor is None:
                raise CompileError(f"table '{table.name}': implementation must be an action profile", prop.loc)
            pname = names.property_instance_name(table, prop)
            if pname not in self.profiles:
                self._new_profile(pname, ctor[0], ctor[1], prop.annotations, prop.loc)
        self.profile_tables.setdefault(pname, []).append(tname)
        return pname

    def _new_profile(
        self, name: str, type_name: str, args: list[ast.Argument], anns: list[ast.Annotation], loc: SourceLocation
    ) -> None:
        if type_name == "action_profile":
            size = _const_int(args[0].value) if args else None
            selector = False
        elif type_name == "action_selector":
            size = _const_int(args[1].value) if len(args) > 1 else None
            selector = True
        else:
            raise CompileError(f"'{type_name}' is not an action profile or action selector", loc)
        if size is None:
            raise CompileError(f"{type_name} '{name}' needs a constant size", loc)
        profile = m.ActionProfile(name, [], selector, size, 0, convert_annotations(anns))
        if selector:  # p4c ignores these three on an action profile without a selector
            mg = ast.find_annotation(anns, "max_group_size")
            profile.max_group_size = (mg.int_arg() or 0) if mg is not None else 0
            semantics = ast.find_annotation(anns, "selector_size_semantics")
            if semantics is not None:
                arg = semantics.args[0] if semantics.args and len(semantics.args) == 1 else None
                text = arg.value.lower() if isinstance(arg, ast.StringLiteral) else ""
                if text not in ("sum_of_weights", "sum_of_members"):
                    raise CompileError(
                        '@selector_size_semantics must be "sum_of_weights" or "sum_of_members"', semantics.loc
                    )
                profile.size_semantics = text
            weight = ast.find_annotation(anns, "max_member_weight")
            if weight is not None and profile.size_semantics == "sum_of_members":
                profile.max_member_weight = weight.int_arg() or 0
        self.profiles[name] = profile
        self.model.action_profiles.append(profile)

    def direct_resource(
        self, block: names.Block, table: ast.TableDecl, prop: ast.ValueProperty, tname: str
    ) -> str | None:
        declared = self._instance_of(block, prop.value)
        if declared is not None:
            rname, inst = declared
            type_name = _type_name(inst.type_ref)
            args = inst.args
            anns = inst.annotations
        else:
            ctor = _constructor(prop.value)
            if ctor is None:
                return None
            type_name, args = ctor
            rname = names.property_instance_name(table, prop)
            anns = prop.annotations
        unit_member = _enum_member(args[0].value) if args else None
        if type_name == "direct_counter":
            unit = _COUNTER_UNITS.get(unit_member or "", "unspecified")
            self.model.direct_counters.append(m.DirectCounter(rname, unit, tname, convert_annotations(anns)))  # type: ignore[arg-type]
        elif type_name == "direct_meter":
            unit = _METER_UNITS.get(unit_member or "", "unspecified")
            self.model.direct_meters.append(m.DirectMeter(rname, unit, tname, convert_annotations(anns)))  # type: ignore[arg-type]
        else:
            raise CompileError(
                f"table '{table.name}': {prop.name} must be a {prop.name[:-1]} of the direct kind", prop.loc
            )
        return rname

    def add_instance(self, prefix: str, inst: ast.Instantiation, top: bool = False) -> None:
        type_name = _type_name(inst.type_ref)
        name = names.top_level_name(inst) if top else names.local_name(prefix, inst)
        anns = convert_annotations(inst.annotations)
        args = inst.args
        base = inst.type_ref.base if isinstance(inst.type_ref, ast.SpecializedTypeRef) else inst.type_ref
        through_typedef = isinstance(base, ast.NamedTypeRef) and isinstance(base.decl, ast.TypedefDecl)
        if isinstance(inst.instance_type, T.ExternType) and not through_typedef:
            # (p4c's front end drops an unused instance declared through a typedef name, as it
            # does not see an extern there: such instances are not listed either, issue2735-bmv2)
            self.model.type_info_written = True
        if type_name in ("counter", "meter"):
            size = _const_int(args[0].value) if args else None
            unit_member = _enum_member(args[1].value) if len(args) > 1 else None
            if size is None:
                raise CompileError(f"{type_name} '{inst.name}' needs a constant size", inst.loc)
            index_type = self._index_type_name(inst)
            if type_name == "counter":
                unit = _COUNTER_UNITS.get(unit_member or "", "unspecified")
                self.model.counters.append(m.Counter(name, unit, size, index_type, anns))  # type: ignore[arg-type]
            else:
                munit = _METER_UNITS.get(unit_member or "", "unspecified")
                self.model.meters.append(m.Meter(name, munit, size, index_type, anns))  # type: ignore[arg-type]
        elif type_name == "register":
            size = _const_int(args[0].value) if args else None
            if size is None:
                raise CompileError(f"register '{inst.name}' needs a constant size", inst.loc)
            type_args = inst.type_ref.args if isinstance(inst.type_ref, ast.SpecializedTypeRef) else []
            if not type_args:
                raise CompileError(f"register '{inst.name}' needs its element type", inst.loc)
            spec = self.type_ref(type_args[0].resolved, inst.loc)
            index_type = self._index_type_name(inst, 1)
            self.model.registers.append(m.Register(name, spec, size, index_type, anns))
        elif type_name in ("action_profile", "action_selector"):
            if name not in self.profiles:
                self._new_profile(name, type_name, args, inst.annotations, inst.loc)

    def _index_type_name(self, inst: ast.Instantiation, position: int = 0) -> str | None:
        if not isinstance(inst.type_ref, ast.SpecializedTypeRef):
            return None
        type_args = inst.type_ref.args
        if len(type_args) <= position:
            return None
        t = type_args[position].resolved
        return self.describe(t, inst.loc)

    def add_value_set(self, it: _Item) -> None:
        vs = it.decl
        assert isinstance(vs, ast.ValueSetDecl)
        name = names.local_name(it.block.prefix, vs)
        size = _const_int(vs.size)
        if size is None or size < 0:
            raise CompileError(f"value set '{vs.name}' needs a constant, non-negative size", vs.loc)
        et = vs.element_type.resolved
        match: list[m.MatchField] = []
        if isinstance(et, T.BitsType):
            match.append(m.MatchField("", et.width, "exact"))
        elif isinstance(et, T.StructLikeType) and et.kind == "struct" and et.decl is not None:
            for f in et.decl.fields:
                ft = f.type_ref.resolved
                if not isinstance(ft, T.BitsType):
                    raise CompileError(f"value set '{vs.name}': field '{f.name}' must be bit<W>", f.loc)
                kind = "exact"
                ma = f.annotation("match")
                if ma is not None and ma.args:
                    arg = ma.args[0]
                    kind = arg.name if isinstance(arg, ast.PathExpr) else ma.body.strip()
                match.append(m.MatchField(names.declared_name(f), ft.width, kind, convert_annotations(f.annotations)))
        elif isinstance(et, T.EnumType) and et.underlying is not None:
            for member in et.members:
                match.append(m.MatchField(member, et.underlying.width, "exact"))
        else:
            raise CompileError(
                f"value set '{vs.name}': the element type must be bit<W>, a struct of bit<W> fields or a "
                "serializable enum",
                vs.loc,
            )
        self.model.value_sets.append(m.ValueSet(name, match, size, convert_annotations(vs.annotations)))

    def controller_headers(self) -> None:
        for decl in self.program.declarations:
            if not isinstance(decl, ast.HeaderDecl):
                continue
            ann = decl.annotation("controller_header")
            if ann is None:
                continue
            label = ann.string_arg()
            if label is None:
                raise CompileError("@controller_header needs one string argument", ann.loc)
            type_name = names.top_level_name(decl)
            if _has(decl.annotations, "hidden"):
                self.model.hidden_symbols.append(m.Symbol("controller_header", type_name))
                continue
            fields: list[m.PacketMetadata] = []
            for fname, f, ft in _flattened_fields(decl.fields):
                if _has(f.annotations, "hidden"):
                    continue
                type_name_f = self.describe(ft, f.loc)
                fields.append(
                    m.PacketMetadata(fname, self.width(ft, f.loc), convert_annotations(f.annotations), type_name_f)
                )
            self.model.type_info_written |= bool(fields)
            self.model.controller_headers.append(
                m.ControllerHeader(label, type_name, fields, convert_annotations(decl.annotations))
            )

    def pkg_info(self) -> None:
        main = names.main_instance(self.program)
        self.model.pkg_annotations = convert_annotations(main.annotations)
        ann = main.annotation("pkginfo")
        if ann is not None:
            pairs = [(k, _literal_value(v)) for k, v in ann.kv] if ann.kv else _string_pairs(ann.tokens)
            for key, value in pairs:
                if key not in ("name", "version", "organization", "contact", "url", "arch"):
                    continue
                if not isinstance(value, str):
                    raise CompileError(f"@pkginfo: the value of '{key}' must be a string", ann.loc)
                self.model.pkg_info[key] = value
        ann = main.annotation("platform_property")
        if ann is not None:
            if ann.kv is None:
                raise CompileError("@platform_property takes 'key = value' pairs", ann.loc)
            props: dict[str, int] = {}
            for key, expr in ann.kv:
                if key not in PLATFORM_PROPERTIES:
                    continue  # p4c warns and ignores it
                number = _literal_value(expr)
                if not isinstance(number, int) or isinstance(number, bool):
                    raise CompileError(f"@platform_property: the value of '{key}' must be an integer", expr.loc)
                props[key] = number
            self.model.platform_properties = props

    # ------------------------------------------------------------ driver

    def run(self) -> m.P4InfoModel:
        for decl in self.program.declarations:
            if isinstance(decl, ast.Instantiation) and decl.name != "main":
                self.add_instance("", decl, top=True)
        for block in names.blocks(self.program):
            if block.parent is not None:
                continue
            ctl = self.expand(block)
            if isinstance(block.decl, ast.ControlDecl):
                self.control(ctl)
            else:
                self.parser(ctl)
        for pname, tables in self.profile_tables.items():
            if pname in self.profiles:
                self.profiles[pname].tables = sorted(dict.fromkeys(tables))
        self.controller_headers()
        self.pkg_info()
        return self.model


# ---------------------------------------------------------------- small pure helpers


#: The keys of `@platform_property` that P4Info's PkgInfo.PlatformProperties has.
PLATFORM_PROPERTIES = (
    "multicast_group_table_size",
    "multicast_group_table_total_replicas",
    "multicast_group_table_max_replicas_per_entry",
)
def _flattened_fields(
    fields: Sequence[ast.StructField], prefix: str = ""
) -> Iterator[tuple[str, ast.StructField, T.Type | None]]:
    """The scalar fields of a header, a struct-typed field flattened into `outer.inner` names
    (as p4c's FlattenHeader names packet metadata: issue3329-bmv2)."""
    for f in fields:
        name = prefix + names.declared_name(f)
        ft = f.type_ref.resolved
        decl = ft.decl if isinstance(ft, T.StructLikeType) else None
        if isinstance(decl, ast.StructDecl):
            yield from _flattened_fields(decl.fields, name + ".")
        else:
            yield name, f, ft


def _string_pairs(tokens: Sequence[str]) -> list[tuple[str, m.AnnotationValue | None]]:
    """`key = "value", ...` from an annotation's tokens (p4c parses @pkginfo so)."""
    out: list[tuple[str, m.AnnotationValue | None]] = []
    i = 0
    while i + 2 < len(tokens) and tokens[i + 1] == "=":
        raw = tokens[i + 2]
        value: m.AnnotationValue | None = None
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            value = raw[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        out.append((tokens[i], value))
        i += 3
        if i < len(tokens) and tokens[i] == ",":
            i += 1
    return out


def _translation_width(expr: ast.Expression) -> int | None:
    """The width of `@p4runtime_translation(uri, bit<W>)` (or a plain integer), None for string."""
    if isinstance(expr, ast.IntLiteral):
        return expr.value
    if isinstance(expr, ast.TypeNameExpr):
        t = expr.type_ref.resolved
        if isinstance(t, T.BitsType):
            return t.width
        ref = expr.type_ref
        if isinstance(ref, ast.BaseTypeRef) and ref.name in ("bit", "int") and ref.width is not None:
            return _const_int(ref.width)
    return None


def _bits_of(t: T.Type) -> T.Type:
    """Header fields as P4Info describes them: through new types and serializable enums."""
    bits = T.underlying_bits(t)
    if bits is not None:
        return bits
    if isinstance(t, T.BoolType):
        return T.BitsType(1)
    return t


def _expr_type(expr: ast.Expression) -> T.Type | None:
    if expr.type is not None:
        return expr.type
    if isinstance(expr, ast.Member) and isinstance(expr.decl, ast.StructField):
        return expr.decl.type_ref.resolved
    if isinstance(expr, ast.MethodCall) and isinstance(expr.method, ast.Member) and expr.method.member == "isValid":
        return T.BOOL
    if isinstance(expr, ast.Slice):
        hi, lo = _const_int(expr.hi), _const_int(expr.lo)
        if hi is not None and lo is not None:
            return T.BitsType(hi - lo + 1)
    return None


def _constructor(value: ast.Expression) -> tuple[str, list[ast.Argument]] | None:
    """An extern built in place: `T(args)` as a constructor call (or a call of a type name)."""
    if isinstance(value, ast.ConstructorCall):
        return _type_name(value.type_ref), value.args
    if isinstance(value, ast.MethodCall) and isinstance(value.method, ast.PathExpr):
        return value.method.name, value.args
    return None


def _control_plane_args(value: ast.Expression, action: ast.ActionDecl, block: names.Block) -> list[int]:
    """The values of the directionless parameters in a default-action call (a constructor
    parameter of the block stands for the argument it was created with)."""
    plane = [p for p in action.params if not p.direction]
    if not isinstance(value, ast.MethodCall):
        return []
    bound: dict[str, ast.Expression] = {}
    params = value.param_decls
    for i, arg in enumerate(value.args):
        if params is not None and i < len(params):
            bound[params[i].name] = arg.value
        elif arg.name is not None:
            bound[arg.name] = arg.value
        else:
            directional = [p for p in action.params if p.direction]
            ordered = directional + plane
            if i < len(ordered):
                bound[ordered[i].name] = arg.value
    out: list[int] = []
    for p in plane:
        expr = bound.get(p.name, p.default)
        value_ = _const_int(expr) if expr is not None else None
        if value_ is None and expr is not None:
            c = names.constructor_value(block, expr)
            value_ = int(c) if c is not None else None
        if value_ is None:
            if expr is not None and isinstance(expr.const_value, T.EnumValue):
                value_ = expr.const_value.value or 0
            else:
                raise CompileError(
                    f"default action '{action.name}': argument '{p.name}' must be a compile-time constant",
                    expr.loc if expr is not None else value.loc,
                )
        out.append(value_)
    return out


def p4info_model(checked: Any) -> m.P4InfoModel:
    """The control-plane description of a checked program (a `CheckedProgram` or its `Program`)."""
    program = getattr(checked, "program", checked)
    if not isinstance(program, ast.Program):
        raise TypeError(f"p4info_model needs a checked ast.Program, not {type(checked).__name__}")
    return _Collector(program).run()
