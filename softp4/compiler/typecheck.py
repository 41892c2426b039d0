"""Name resolution, type checking and constant folding of a parsed program.

Entry point: ``check_program(program) -> CheckedProgram``.  It annotates the
AST in place and returns a `CheckedProgram` with the program, the warnings,
the global declarations, the ``error`` and ``match_kind`` members in
declaration order, and the ``main`` instantiation.  On the first stage of
errors (up to 20) it raises `CompileError` with every diagnostic.

What the checker fills in (the back ends rely on these):

* every `ast.Expression` gets `type` (a `softp4.compiler.types.Type`); an
  integer literal that meets a ``bit<W>``/``int<W>`` context (assignment,
  argument, operand, key, keyset) gets that type instead of ``int``
  (the spec's implicit cast), and so do ``int``-typed operators built of them;
* expressions that fold to compile-time constants get `const_value` (int,
  bool, str, `types.EnumValue`, `types.ErrorValue`); constants declared with
  ``const`` hold their folded value in ``value.const_value``;
* every `ast.PathExpr` gets `decl` (the `Declaration` or `Param` it names);
  `ast.Member` gets `decl` for struct fields (`StructField`), enum members
  (`EnumMember`), error members (`DeclId`) and extern methods (`MethodDecl`);
* every `ast.TypeRef` gets `resolved`; `NamedTypeRef` gets `decl`;
* every `ast.MethodCall` gets `callee` (an `ActionDecl`, `FunctionDecl`,
  `ExternFunctionDecl`, `MethodDecl`, `TableDecl`, `ParserDecl`,
  `ControlDecl`, or a builtin name: ``"isValid" "setValid" "setInvalid"
  "push_front" "pop_front" "minSizeInBits" "minSizeInBytes"``...),
  `param_decls` (the parameter each argument binds, in argument order) and
  `inferred_type_args` for generic callees;
* `ast.ConstructorCall` (``T(args)``) gets `type` of the instance.

Scopes: global; parser/control (parameters, constructor parameters,
locals); action and function (parameters, then block scopes); generic type
parameters.  Declaration before use is required, as in P4.

Implicit conversions (the spec's only ones): an integer without width to
``bit<W>``/``int<W>`` (and, leniently, to a ``type`` of them), and a
serializable enum to its underlying type.  Keysets for serializable enum keys
also accept values of the underlying type, as p4c does.

Not supported, each reported as "<construct> is not supported by softp4":
generic headers/structs and generic parser/control declarations, instances
with abstract method implementations (``= { ... }``), functions declared
inside parsers or controls, ``for`` in a parser, ``this``,
``{#}`` other than assigned or passed as a header, ``...`` expressions,
integers as type arguments.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from softp4.compiler import ast
from softp4.compiler import types as T
from softp4.compiler.errors import (
    CompileError,
    Diagnostic,
    DiagnosticSink,
    SourceLocation,
    deep_recursion,
    unsupported,
)

_ARITH = frozenset({"+", "-", "*", "/", "%", "|+|", "|-|"})
_BITWISE = frozenset({"&", "|", "^"})
_COMPARE = frozenset({"<", ">", "<=", ">="})
_EQUALITY = frozenset({"==", "!="})

_HEADER_SIZE_METHODS = frozenset({"minSizeInBits", "minSizeInBytes", "maxSizeInBits", "maxSizeInBytes",
                                  "sizeInBits", "sizeInBytes"})


def _size_method_value(t: T.StructLikeType, name: str) -> int:
    """The value of ``minSizeInBits()`` and friends for a header or struct type: the
    minimum counts varbit fields as empty, the maximum at their full width."""
    lo = hi = 0
    for _, ft in t.fields:
        if isinstance(ft, T.VarbitType):
            hi += ft.max_width
            continue
        w = _size_method_value(ft, "minSizeInBits") if isinstance(ft, T.StructLikeType) else T.width_of(ft)
        lo += w or 0
        hi += w or 0
    bits = hi if name.startswith("max") else lo
    return bits if name.endswith("Bits") else (bits + 7) // 8


class _TooManyErrors(CompileError):
    """Raised once the error limit is reached: stops the checker without re-recording."""


class _Suppressed(CompileError):
    """A consequence of an error already reported (a use of a declaration whose type
    failed): abandons the current item without a second diagnostic."""

    def __init__(self) -> None:
        super().__init__([])


@dataclass
class CheckedProgram:
    """The result of `check_program`: the annotated program and what the checker learnt."""

    program: ast.Program
    warnings: list[Diagnostic] = field(default_factory=list)
    globals: dict[str, list[ast.Node]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    match_kinds: list[str] = field(default_factory=list)
    main: ast.Instantiation | None = None


class Scope:
    """A level of name lookup: values (possibly overloaded) and types."""

    __slots__ = ("parent", "types", "values")

    def __init__(self, parent: Scope | None = None) -> None:
        self.parent = parent
        self.values: dict[str, list[ast.Node]] = {}
        self.types: dict[str, ast.Node] = {}

    def lookup_value(self, name: str) -> list[ast.Node] | None:
        s: Scope | None = self
        while s is not None:
            v = s.values.get(name)
            if v is not None:
                return v
            s = s.parent
        return None

    def lookup_type(self, name: str) -> ast.Node | None:
        s: Scope | None = self
        while s is not None:
            v = s.types.get(name)
            if v is not None:
                return v
            s = s.parent
        return None

    def root(self) -> Scope:
        s = self
        while s.parent is not None:
            s = s.parent
        return s


@dataclass
class _Context:
    """Where the checker is: the enclosing block kind and declaration."""

    kind: str = "global"  # global | parser | control | action | function | state
    decl: ast.Node | None = None
    return_type: T.Type | None = None
    in_action: bool = False


def _ser_enum_to_bits(t: T.Type) -> T.Type:
    """The underlying bit<W>/int<W> of a serializable enum (the spec's implicit cast), else `t`."""
    if isinstance(t, T.EnumType) and t.underlying is not None:
        return t.underlying
    return t


def _numeric(v: object) -> object:
    """The number of a serializable enum member's constant value, else the value itself."""
    if isinstance(v, T.EnumValue) and v.value is not None:
        return v.value
    return v


_BASE_PREFIX = {2: "0b", 8: "0o", 16: "0x", 10: ""}
_BASE_FORMAT = {2: "b", 8: "o", 16: "x", 10: "d"}


def _literal_base(e: ast.Expression) -> int:
    """The base a constant expression is written in, as p4c keeps it: its leftmost literal's."""
    while not isinstance(e, ast.IntLiteral):
        if isinstance(e, ast.Binary):
            e = e.left
        elif isinstance(e, ast.Unary):
            e = e.operand
        elif isinstance(e, ast.Mux):
            e = e.then
        else:
            return 10
    digits = re.sub(r"^\d+[ws]", "", e.text).lower()
    return {"0x": 16, "0b": 2, "0o": 8}.get(digits[:2], 10)


def _p4c_constant(value: int, t: T.BitsType, base: int) -> str:
    """A constant as p4c prints it in diagnostics: sign, width and w/s (none for width 0), base, digits."""
    width = f"{t.width}{'s' if t.signed else 'w'}" if t.width else ""
    return f"{'-' if value < 0 else ''}{width}{_BASE_PREFIX[base]}{format(abs(value), _BASE_FORMAT[base])}"


def _wrap(value: int, t: T.Type) -> int:
    if isinstance(t, T.BitsType):
        w = t.width
        if w == 0:
            return 0
        value &= (1 << w) - 1
        if t.signed and value >> (w - 1):
            value -= 1 << w
    return value


class Checker:
    """Walks the program once, in order, resolving and typing everything."""

    def __init__(self, program: ast.Program) -> None:
        self.program = program
        self.sink = DiagnosticSink()
        self.globals = Scope()
        self.decl_types: dict[ast.Node, T.Type] = {}
        self.loop_depth = 0
        self.generic_sources: dict[ast.FunctionDecl, tuple[ast.FunctionDecl, Scope]] = {}
        self.specializations: dict[tuple[int, str], ast.FunctionDecl] = {}
        self.errors: list[ast.DeclId] = []
        self.match_kinds: list[ast.DeclId] = []
        self.ctx = _Context()
        self.main: ast.Instantiation | None = None
        #: declarations whose type could not be resolved (already reported)
        self.failed: set[ast.Node] = set()

    # ------------------------------------------------------------ diagnostics

    def error(self, message: str, loc: SourceLocation | None) -> CompileError:
        return CompileError([Diagnostic("error", message, loc)])

    def warn(self, message: str, loc: SourceLocation | None) -> None:
        self.sink.warning(message, loc)

    def guarded(self, node: ast.Node, fn: Callable[[], None]) -> None:
        """Run `fn` (which checks `node`); record a `CompileError` it raises and go on
        with the next item.  A defect of the checker itself (any other exception) is
        reported as an internal error at `node`, never as a Python traceback."""
        try:
            fn()
        except _TooManyErrors:
            raise
        except _Suppressed:
            return
        except CompileError as exc:
            self.sink.add(exc)
        except RecursionError:
            self.sink.error("expression or statement nested too deeply", node.loc)
        except Exception as exc:  # a checker defect: report it where it happened
            self.sink.error(f"internal error in softp4's type checker ({type(exc).__name__}: {exc}); "
                            "please report it with this program", node.loc)
        if len(self.sink.errors) >= self.sink.max_errors:
            raise _TooManyErrors(self.sink.errors) from None

    # ------------------------------------------------------------ entry

    def run(self) -> CheckedProgram:
        for d in self.program.declarations:
            self.guarded(d, lambda d=d: self.top(d))  # type: ignore[misc]
        self.sink.check()
        return CheckedProgram(
            program=self.program,
            warnings=self.sink.warnings,
            globals=self.globals.values,
            errors=[e.name for e in self.errors],
            match_kinds=[m.name for m in self.match_kinds],
            main=self.main,
        )

    def declare_value(self, scope: Scope, name: str, decl: ast.Node, overload: bool = False) -> None:
        existing = scope.values.get(name)
        if existing is not None:
            if overload and all(isinstance(x, ast.ExternFunctionDecl | ast.FunctionDecl) for x in existing):
                n = len(getattr(decl, "params", []))
                if any(len(getattr(x, "params", [])) == n for x in existing):
                    pass  # overloads distinguished by parameter names only: accepted
                existing.append(decl)
                return
            raise self.error(f"'{name}' is already declared (at {existing[0].loc})", decl.loc)
        scope.values[name] = [decl]

    def declare_type(self, scope: Scope, name: str, decl: ast.Node) -> None:
        existing = scope.types.get(name)
        if existing is not None and existing is not decl:
            raise self.error(f"type '{name}' is already declared (at {existing.loc})", decl.loc)
        scope.types[name] = decl

    # ------------------------------------------------------------ top level

    def top(self, d: ast.Declaration) -> None:
        g = self.globals
        if isinstance(d, ast.StructLikeDecl):
            self.declare_type(g, d.name, d)
            self.struct_type(d, g)
        elif isinstance(d, ast.EnumDecl):
            self.declare_type(g, d.name, d)
            self.enum_type(d, g)
        elif isinstance(d, ast.ErrorDecl):
            known = {e.name for e in self.errors}
            for m in d.members:
                if m.name in known:
                    raise self.error(f"error member '{m.name}' is declared twice", m.loc)
                known.add(m.name)
                self.errors.append(m)
        elif isinstance(d, ast.MatchKindDecl):
            known = {e.name for e in self.match_kinds}
            for m in d.members:
                if m.name in known:
                    raise self.error(f"match_kind '{m.name}' is declared twice", m.loc)
                known.add(m.name)
                self.match_kinds.append(m)
                self.declare_value(g, m.name, m)
        elif isinstance(d, ast.TypedefDecl):
            self.declare_type(g, d.name, d)
            self.decl_types[d] = self.resolve_type(d.type_ref, g)
        elif isinstance(d, ast.NewTypeDecl):
            self.declare_type(g, d.name, d)
            base = self.resolve_type(d.type_ref, g)
            self.decl_types[d] = T.NewType(d.name, base, d)
        elif isinstance(d, ast.ExternDecl):
            self.extern_decl(d)
        elif isinstance(d, ast.ExternFunctionDecl):
            self.declare_value(g, d.name, d, overload=True)
            self.check_signature(d.type_params, d.params, g, d.return_type)
        elif isinstance(d, ast.ParserTypeDecl | ast.ControlTypeDecl | ast.PackageTypeDecl):
            self.declare_type(g, d.name, d)
            self.check_signature(d.type_params, d.params, g)
        elif isinstance(d, ast.ConstantDecl):
            self.constant_decl(d, g)
        elif isinstance(d, ast.ActionDecl):
            self.declare_value(g, d.name, d)
            self.action_decl(d, g)
        elif isinstance(d, ast.FunctionDecl):
            self.declare_value(g, d.name, d, overload=True)
            self.function_decl(d, g)
        elif isinstance(d, ast.ParserDecl):
            self.declare_type(g, d.name, d)
            self.parser_decl(d)
        elif isinstance(d, ast.ControlDecl):
            self.declare_type(g, d.name, d)
            self.control_decl(d)
        elif isinstance(d, ast.Instantiation):
            self.instantiation(d, g)
            if d.name == "main":
                self.main = d
        elif isinstance(d, ast.VariableDecl):
            raise self.error("variables cannot be declared at the top level; use 'const'", d.loc)
        else:
            raise unsupported(f"a top-level {type(d).__name__}", d.loc)

    def check_signature(self, tparams: list[ast.TypeParam], params: list[ast.Param], scope: Scope,
                        ret: ast.TypeRef | None = None) -> Scope:
        s = Scope(scope)
        for tp in tparams:
            s.types[tp.name] = tp
            self.decl_types[tp] = T.TypeVar(tp.name, tp)
        if ret is not None:
            self.resolve_type(ret, s, allow_void=True)
        for p in params:
            self.resolve_type(p.type_ref, s)
            if p.default is not None:
                self.expression(p.default, s)
                self.coerce(p.default, self.resolved(p.type_ref), f"default value of '{p.name}'")
        return s

    def extern_decl(self, d: ast.ExternDecl) -> None:
        g = self.globals
        self.declare_type(g, d.name, d)
        s = Scope(g)
        for tp in d.type_params:
            s.types[tp.name] = tp
            self.decl_types[tp] = T.TypeVar(tp.name, tp)
        for m in d.methods:
            if m.is_constructor and m.name != d.name:
                raise self.error(f"constructor '{m.name}' does not match extern '{d.name}'", m.loc)
            self.check_signature(m.type_params, m.params, s, m.return_type)

    # ------------------------------------------------------------ types

    def resolved(self, ref: ast.TypeRef) -> T.Type:
        if ref.resolved is None:
            if ref in self.failed or self.sink.errors:
                raise _Suppressed()  # its error was reported where it was declared
            raise AssertionError(f"type at {ref.loc} was never resolved")
        return ref.resolved

    def resolve_type(self, ref: ast.TypeRef, scope: Scope, allow_void: bool = False) -> T.Type:
        if ref.resolved is not None:
            return ref.resolved
        t = self._resolve_type(ref, scope, allow_void)
        ref.resolved = t
        return t

    def _resolve_type(self, ref: ast.TypeRef, scope: Scope, allow_void: bool) -> T.Type:
        if isinstance(ref, ast.BaseTypeRef):
            n = ref.name
            if n in ("bit", "int", "varbit"):
                if ref.width is None:
                    return T.INT
                w = self.const_int(ref.width, scope, "width")
                if n == "varbit":
                    if w <= 0:
                        raise self.error(f"varbit width must be positive, not {w}", ref.width.loc)
                    return T.VarbitType(w)
                if w < 0 or (n == "int" and w == 0):
                    raise self.error(f"invalid width {w} for {n}", ref.width.loc)
                if w > 2048:
                    raise self.error(f"width {w} is too large (at most 2048 bits)", ref.width.loc)
                return T.BitsType(w, n == "int")
            simple = {"bool": T.BOOL, "error": T.ERROR, "string": T.STRING, "match_kind": T.MATCH_KIND,
                      "void": T.VOID}
            return simple[n]
        if isinstance(ref, ast.NamedTypeRef):
            decl = (self.globals if ref.dot_prefix else scope).lookup_type(ref.name)
            if decl is None:
                if scope.lookup_value(ref.name) is not None:
                    raise self.error(f"'{ref.name}' is not a type", ref.loc)
                raise self.error(f"unknown type '{ref.name}'", ref.loc)
            ref.decl = decl
            return self.type_of_type_decl(decl, ref)
        if isinstance(ref, ast.SpecializedTypeRef):
            base = self.resolve_type(ref.base, scope)
            args = tuple(self.resolve_type(a, scope, allow_void=True) for a in ref.args)
            decl = ref.base.decl
            tparams = getattr(decl, "type_params", None)
            if tparams is None or not tparams:
                raise self.error(f"type '{ref.base.name}' takes no type arguments", ref.loc)
            if len(tparams) != len(args):
                raise self.error(f"type '{ref.base.name}' takes {len(tparams)} type argument(s), "
                                 f"{len(args)} given", ref.loc)
            if isinstance(base, T.ExternType):
                return T.ExternType(base.decl, args)
            if isinstance(base, T.ParserType):
                return T.ParserType(base.decl, args)
            if isinstance(base, T.ControlType):
                return T.ControlType(base.decl, args)
            if isinstance(base, T.PackageType):
                return T.PackageType(base.decl, args)
            raise unsupported(f"generic type '{ref.base.name}'", ref.loc)
        if isinstance(ref, ast.StackTypeRef):
            elem = self.resolve_type(ref.element, scope)
            size = self.const_int(ref.size, scope, "stack size")
            if size <= 0:
                raise self.error(f"header stack size must be positive, not {size}", ref.size.loc)
            if not (isinstance(elem, T.StructLikeType) and elem.kind in ("header", "header_union")):
                raise self.error(f"a stack's elements must be headers or header unions, not {elem}", ref.loc)
            return T.StackType(elem, size)
        if isinstance(ref, ast.TupleTypeRef):
            return T.TupleType(tuple(self.resolve_type(e, scope) for e in ref.elements))
        if isinstance(ref, ast.DontCareTypeRef):
            return T.DONTCARE
        raise unsupported(f"type {type(ref).__name__}", ref.loc)

    def type_of_type_decl(self, decl: ast.Node, ref: ast.Node) -> T.Type:
        t = self.decl_types.get(decl)
        if t is not None:
            return t
        if isinstance(decl, ast.ExternDecl):
            t = T.ExternType(decl)
        elif isinstance(decl, ast.ParserDecl | ast.ParserTypeDecl):
            t = T.ParserType(decl)
        elif isinstance(decl, ast.ControlDecl | ast.ControlTypeDecl):
            t = T.ControlType(decl)
        elif isinstance(decl, ast.PackageTypeDecl):
            t = T.PackageType(decl)
        elif isinstance(decl, ast.TypeParam):
            t = T.TypeVar(decl.name, decl)
        else:
            raise self.error(f"type '{getattr(decl, 'name', '?')}' is used before it is complete", ref.loc)
        self.decl_types[decl] = t
        return t

    def struct_type(self, d: ast.StructLikeDecl, scope: Scope) -> T.StructLikeType:
        if d.type_params:
            raise unsupported(f"generic {d.name}<...>", d.loc)
        kind = {ast.HeaderDecl: "header", ast.StructDecl: "struct", ast.HeaderUnionDecl: "header_union"}[type(d)]
        st = T.StructLikeType(kind, d.name, [], d)
        self.decl_types[d] = st
        seen: set[str] = set()
        varbits = 0
        for f in d.fields:
            if f.name in seen:
                raise self.error(f"field '{f.name}' is declared twice in {d.name}", f.loc)
            seen.add(f.name)
            maybe = self.resolve_or_fail(f, f.type_ref, scope)
            if maybe is None:
                continue
            ft = maybe
            if kind == "header":
                if isinstance(ft, T.VarbitType):
                    varbits += 1
                    if varbits > 1:
                        raise self.error(f"header {d.name} has more than one varbit field", f.loc)
                elif not (isinstance(ft, T.BitsType | T.BoolType)
                          or (isinstance(ft, T.EnumType) and ft.underlying is not None)
                          or (isinstance(ft, T.NewType) and T.underlying_bits(ft) is not None)
                          or (isinstance(ft, T.StructLikeType) and ft.kind == "struct"
                              and T.width_of(ft) is not None)):
                    raise self.error(f"field '{f.name}' of header {d.name} has type {ft}; header fields must "
                                     "be bit<W>, int<W>, varbit<W>, bool or serializable enums", f.type_ref.loc)
            elif kind == "header_union" and not (isinstance(ft, T.StructLikeType) and ft.kind == "header"):
                raise self.error(f"field '{f.name}' of header_union {d.name} must be a header, not {ft}",
                                 f.type_ref.loc)
            st.fields.append((f.name, ft))
        return st

    def enum_type(self, d: ast.EnumDecl, scope: Scope) -> T.EnumType:
        underlying: T.BitsType | None = None
        if d.underlying is not None:
            u = self.resolve_type(d.underlying, scope)
            ub = T.underlying_bits(u)
            if ub is None or isinstance(u, T.EnumType):
                raise self.error(f"the underlying type of enum {d.name} must be bit<W> or int<W>, not {u}",
                                 d.underlying.loc)
            underlying = ub
        et = T.EnumType(d.name, [m.name for m in d.members], underlying, d)
        self.decl_types[d] = et
        seen: set[str] = set()
        for m in d.members:
            if m.name in seen:
                raise self.error(f"enum member '{m.name}' is declared twice in {d.name}", m.loc)
            seen.add(m.name)
            if underlying is not None:
                if m.value is None:
                    raise self.error(f"member '{m.name}' of serializable enum {d.name} needs a value", m.loc)
                self.expression(m.value, scope)
                self.coerce(m.value, underlying, f"value of {d.name}.{m.name}")
                v = m.value.const_value
                if not isinstance(v, int) or isinstance(v, bool):
                    raise self.error(f"value of {d.name}.{m.name} is not a compile-time constant", m.value.loc)
                et.values[m.name] = _wrap(v, underlying)
            elif m.value is not None:
                raise self.error(f"enum {d.name} has no underlying type; its members take no values",
                                 m.value.loc)
        return et

    # ------------------------------------------------------------ constants

    def const_int(self, e: ast.Expression, scope: Scope, what: str) -> int:
        if e.type is None:
            self.expression(e, scope)
        v = e.const_value
        if isinstance(v, T.EnumValue) and v.value is not None:
            return v.value
        if not isinstance(v, int) or isinstance(v, bool):
            raise self.error(f"{what} must be a compile-time integer constant", e.loc)
        return v

    def constant_decl(self, d: ast.ConstantDecl, scope: Scope) -> None:
        t = self.resolve_type(d.type_ref, scope)
        self.expression(d.value, scope)
        self.coerce(d.value, t, f"constant '{d.name}'")
        if d.value.const_value is None and not isinstance(t, T.StructLikeType | T.TupleType):
            raise self.error(f"the value of constant '{d.name}' is not a compile-time constant", d.value.loc)
        self.declare_value(scope, d.name, d)

    # ------------------------------------------------------------ declarations in blocks

    def value_type(self, decl: ast.Node, loc: SourceLocation) -> T.Type:
        if decl in self.failed:
            raise _Suppressed()
        if isinstance(decl, ast.ConstantDecl | ast.VariableDecl | ast.Param | ast.StructField):
            return self.resolved(decl.type_ref)
        if isinstance(decl, ast.Instantiation):
            t = self.decl_types.get(decl)
            if t is None:
                raise self.error(f"instance '{decl.name}' is used in its own declaration", loc)
            return t
        if isinstance(decl, ast.ActionDecl):
            return T.ActionType(decl)
        if isinstance(decl, ast.TableDecl):
            return T.TableType(decl)
        if isinstance(decl, ast.FunctionDecl | ast.ExternFunctionDecl | ast.MethodDecl):
            return T.FunctionType(decl)
        if isinstance(decl, ast.ValueSetDecl):
            return T.SetType(self.resolved(decl.element_type))
        if isinstance(decl, ast.ParserState):
            return T.STATE
        if isinstance(decl, ast.DeclId):
            return T.MATCH_KIND
        raise self.error(f"'{getattr(decl, 'name', '?')}' cannot be used as a value", loc)

    def params_scope(self, params: list[ast.Param], scope: Scope) -> Scope:
        s = Scope(scope)
        for p in params:
            if p.name in s.values:
                raise self.error(f"parameter '{p.name}' is declared twice", p.loc)
            s.values[p.name] = [p]
            ty = self.resolve_or_fail(p, p.type_ref, s)
            if p.default is not None and ty is not None:
                self.expression(p.default, scope)
                self.coerce(p.default, ty, f"default value of '{p.name}'")
        return s

    def resolve_or_fail(self, decl: ast.Node, ref: ast.TypeRef, scope: Scope) -> T.Type | None:
        """Resolve the type of `decl`; on error, report it and mark `decl` failed, so its
        uses do not report again."""
        try:
            return self.resolve_type(ref, scope)
        except _TooManyErrors:
            raise
        except CompileError as exc:
            self.sink.add(exc)
            self.failed.add(decl)
            self.failed.add(ref)
            return None

    def local_declaration(self, d: ast.Node, scope: Scope) -> None:
        if isinstance(d, ast.ConstantDecl):
            self.constant_decl(d, scope)
        elif isinstance(d, ast.VariableDecl):
            maybe = self.resolve_or_fail(d, d.type_ref, scope)
            if maybe is None:
                self.declare_value(scope, d.name, d)
                return
            t = maybe
            if isinstance(t, T.ExternType | T.ParserType | T.ControlType | T.PackageType):
                raise self.error(f"'{d.name}' of type {t} must be instantiated with arguments: "
                                 f"{t}(...) {d.name};", d.loc)
            if d.init is not None:
                self.expression(d.init, scope)
                self.coerce(d.init, t, f"initializer of '{d.name}'")
            self.declare_value(scope, d.name, d)
        elif isinstance(d, ast.Instantiation):
            self.instantiation(d, scope)
        elif isinstance(d, ast.ActionDecl):
            self.declare_value(scope, d.name, d)
            self.action_decl(d, scope)
        elif isinstance(d, ast.TableDecl):
            self.declare_value(scope, d.name, d)
            self.table_decl(d, scope)
        elif isinstance(d, ast.ValueSetDecl):
            et = self.resolve_type(d.element_type, scope)
            if not (T.width_of(et) is not None or isinstance(et, T.StructLikeType)):
                raise self.error(f"value_set element type {et} is not a fixed-width type", d.element_type.loc)
            self.const_int(d.size, scope, "value_set size")
            self.declare_value(scope, d.name, d)
        elif isinstance(d, ast.FunctionDecl):
            raise unsupported("a function declared inside a parser or control", d.loc)
        else:
            raise self.error(f"unexpected declaration {type(d).__name__}", d.loc)

    def instantiation(self, d: ast.Instantiation, scope: Scope) -> None:
        t = self.resolve_type(d.type_ref, scope)
        if d.initializer is not None:
            raise unsupported("an instance with abstract method implementations", d.loc)
        if isinstance(t, T.PackageType) and scope is not self.globals:
            raise self.error(f"package {t.decl.name} can only be instantiated at the top level", d.loc)
        inst = self.construct(t, d.args, scope, d.type_ref.loc, d.name, d)
        self.decl_types[d] = inst
        d.instance_type = inst
        self.declare_value(scope, d.name, d)

    def construct(self, t: T.Type, args: list[ast.Argument], scope: Scope, loc: SourceLocation,
                  what: str, node: ast.Instantiation | ast.ConstructorCall | None = None) -> T.Type:
        """Check constructor arguments for an instance of `t`; the instance's type.  Records
        the constructor and the bound parameters on `node`."""
        bound: list[ast.Param] = []
        if isinstance(t, T.ExternType):
            ctors = t.decl.constructors
            if not ctors:
                raise self.error(f"extern {t.decl.name} has no constructor", loc)
            for a in args:
                self.expression(a.value, scope)
            ctor = self.pick_overload(ctors, args, loc, f"constructor of {t.decl.name}")
            if node is not None:
                node.constructor = ctor
            env: dict[ast.TypeParam, T.Type] = {}
            if t.type_args:
                env.update(zip(t.decl.type_params, t.type_args, strict=True))
            self.bind_args(ctor.params, args, env, scope, loc, f"{t.decl.name}", check_dir=False, bound_out=bound)
            if node is not None:
                node.param_decls = bound
            if t.decl.type_params and not t.type_args:
                targs = tuple(env.get(tp, T.TypeVar(tp.name, tp)) for tp in t.decl.type_params)
                missing = [tp.name for tp in t.decl.type_params if tp not in env]
                if missing:
                    raise self.error(f"cannot infer type argument(s) {', '.join(missing)} of "
                                     f"{t.decl.name}; write {t.decl.name}<...>(...)", loc)
                return T.ExternType(t.decl, targs)
            return t
        if isinstance(t, T.ParserType | T.ControlType):
            decl = t.decl
            if isinstance(decl, ast.ParserTypeDecl | ast.ControlTypeDecl):
                raise self.error(f"{decl.name} is a type declaration and cannot be instantiated", loc)
            for a in args:
                self.expression(a.value, scope)
            self.bind_args(decl.ctor_params, args, {}, scope, loc, decl.name, check_dir=False, bound_out=bound)
            if node is not None:
                node.param_decls = bound
            return t
        if isinstance(t, T.PackageType):
            for a in args:
                self.expression(a.value, scope)
            env = {}
            if t.type_args:
                env.update(zip(t.decl.type_params, t.type_args, strict=True))
            self.bind_args(t.decl.params, args, env, scope, loc, t.decl.name, check_dir=False, bound_out=bound)
            if node is not None:
                node.param_decls = bound
            return t
        raise self.error(f"cannot instantiate {t}: only externs, parsers, controls and packages "
                         "can be instantiated", loc)

    # ------------------------------------------------------------ parsers and controls

    def parser_decl(self, d: ast.ParserDecl) -> None:
        if d.type_params:
            raise unsupported(f"generic parser {d.name}<...>", d.loc)
        # locals live in a scope of their own: they may shadow a parameter (as in p4c, which warns)
        s = Scope(self.params_scope(d.params + d.ctor_params, self.globals))
        old = self.ctx
        self.ctx = _Context("parser", d)
        try:
            for local in d.locals:
                self.guarded(local, lambda local=local: self.local_declaration(local, s))  # type: ignore[misc]
            states: dict[str, ast.ParserState] = {}
            for st in d.states:
                if st.name in states or st.name in ("accept", "reject"):
                    self.sink.error(f"state '{st.name}' is declared twice in parser {d.name}"
                                    if st.name in states else f"state '{st.name}' is predefined", st.loc)
                    continue
                states[st.name] = st
                s.values[st.name] = [st]
            if "start" not in states:
                self.sink.error(f"parser {d.name} has no 'start' state", d.loc)
            for st in d.states:
                self.ctx = _Context("state", st)
                self.guarded(st, lambda st=st: self.parser_state(st, s, states))  # type: ignore[misc]
        finally:
            self.ctx = old

    def parser_state(self, st: ast.ParserState, scope: Scope, states: dict[str, ast.ParserState]) -> None:
        s = Scope(scope)
        for stmt in st.statements:
            self.guarded(stmt, lambda stmt=stmt: self.statement(stmt, s))  # type: ignore[misc]
        tr = st.transition
        if tr is None:
            return
        if isinstance(tr, ast.PathExpr):
            self.state_ref(tr, states)
            tr.type = T.STATE
            return
        if isinstance(tr, ast.SelectExpr):
            for k in tr.keys:
                self.expression(k, s)
            key_types = [self.etype(k) for k in tr.keys]
            for case in tr.cases:
                self.keyset(case.keyset, key_types, s, "select case")
                self.state_ref(case.state, states)
                case.state.type = T.STATE
            tr.type = T.STATE

    def state_ref(self, p: ast.PathExpr, states: dict[str, ast.ParserState]) -> None:
        if p.name in ("accept", "reject"):
            return
        st = states.get(p.name)
        if st is None:
            raise self.error(f"no state '{p.name}' in this parser", p.loc)
        p.decl = st

    def keyset(self, ks: ast.Expression, key_types: list[T.Type], scope: Scope, what: str) -> None:
        if isinstance(ks, ast.DefaultExpr | ast.DontCareExpr):
            ks.type = T.SetType(key_types[0] if len(key_types) == 1 else T.TupleType(tuple(key_types)))
            return
        if len(key_types) > 1:
            if isinstance(ks, ast.ListExpr):
                if len(ks.elements) != len(key_types):
                    raise self.error(f"{what} has {len(ks.elements)} values for {len(key_types)} keys", ks.loc)
                for e, kt in zip(ks.elements, key_types, strict=True):
                    self.keyset(e, [kt], scope, what)
                ks.type = T.SetType(T.TupleType(tuple(key_types)))
                return
            self.expression(ks, scope)
            if isinstance(ks.type, T.SetType) and isinstance(ks.type.element, T.StructLikeType):
                return  # a value set of a struct type
            raise self.error(f"{what} needs {len(key_types)} values in parentheses", ks.loc)
        kt = key_types[0]
        if isinstance(ks, ast.ListExpr) and len(ks.elements) == 1:
            self.keyset(ks.elements[0], key_types, scope, what)
            ks.type = ks.elements[0].type
            return
        if isinstance(ks, ast.Mask):
            self.expression(ks.value, scope)
            self.expression(ks.mask, scope)
            self.keyset_coerce(ks.value, kt, what)
            self.keyset_coerce(ks.mask, kt, f"{what} mask")
            ks.type = T.SetType(kt)
            return
        if isinstance(ks, ast.Range):
            self.expression(ks.lo, scope)
            self.expression(ks.hi, scope)
            self.keyset_coerce(ks.lo, kt, what)
            self.keyset_coerce(ks.hi, kt, what)
            ks.type = T.SetType(kt)
            return
        self.expression(ks, scope)
        if isinstance(ks.type, T.SetType):
            return  # a value set
        self.keyset_coerce(ks, kt, what)

    def keyset_coerce(self, e: ast.Expression, kt: T.Type, what: str) -> None:
        """A keyset value for a key of type `kt`; for a serializable enum key, values of
        its underlying type (and integers) are accepted too, as p4c does."""
        if isinstance(kt, T.EnumType) and kt.underlying is not None and e.type is not kt:
            self.coerce(e, kt.underlying, what)
        else:
            self.coerce(e, kt, what)

    def control_decl(self, d: ast.ControlDecl) -> None:
        if d.type_params:
            raise unsupported(f"generic control {d.name}<...>", d.loc)
        # locals live in a scope of their own: they may shadow a parameter (as in p4c, which warns)
        s = Scope(self.params_scope(d.params + d.ctor_params, self.globals))
        old = self.ctx
        self.ctx = _Context("control", d)
        try:
            for local in d.locals:
                self.guarded(local, lambda local=local: self.local_declaration(local, s))  # type: ignore[misc]
            self.block(d.body, s)
        finally:
            self.ctx = old

    def action_decl(self, d: ast.ActionDecl, scope: Scope) -> None:
        s = self.params_scope(d.params, scope)
        seen_directionless = False
        for p in d.params:
            if p.direction == "":
                seen_directionless = True
            elif seen_directionless:
                raise self.error(f"parameter '{p.name}' with a direction follows a directionless parameter "
                                 f"in action {d.name}", p.loc)
        old = self.ctx
        self.ctx = _Context("action", d, in_action=True)
        try:
            self.block(d.body, s)
        finally:
            self.ctx = old

    def function_decl(self, d: ast.FunctionDecl, scope: Scope) -> None:
        if d.type_params:
            # a generic function's body is checked per specialization, at its calls (p4c's
            # SpecializeGenericFunctions); keep the body as written for those copies
            self.generic_sources[d] = (copy.deepcopy(d), scope)
        s = self.check_signature(d.type_params, d.params, scope, d.return_type)
        if d.type_params:
            # checked generically as far as it goes (`x + x` needs to know T: left to the copies)
            real = self.sink
            self.sink = DiagnosticSink(max_errors=1 << 30)
            try:
                self._function_body(d, s)
            except CompileError:
                pass
            finally:
                self.sink = real
            return
        self._function_body(d, s)

    def _function_body(self, d: ast.FunctionDecl, s: Scope) -> None:
        ps = self.params_scope(d.params, s)
        old = self.ctx
        self.ctx = _Context("function", d, return_type=self.resolved(d.return_type))
        try:
            self.block(d.body, ps)
        finally:
            self.ctx = old

    # ------------------------------------------------------------ tables

    def table_decl(self, d: ast.TableDecl, scope: Scope) -> None:
        seen: set[str] = set()
        key_types: list[T.Type] = []
        action_decls: dict[str, ast.ActionDecl] = {}
        for p in d.properties:
            if p.name in seen:
                raise self.error(f"table {d.name} has two '{p.name}' properties", p.loc)
            seen.add(p.name)
        mk_names = {m.name: m for m in self.match_kinds}
        for p in d.properties:
            if isinstance(p, ast.KeyProperty):
                for k in p.elements:
                    self.expression(k.expr, scope)
                    kt = self.etype(k.expr)
                    if k.match_kind not in mk_names:
                        raise self.error(f"unknown match kind '{k.match_kind}'", k.match_kind_loc)
                    k.match_kind_decl = mk_names[k.match_kind]
                    if not (T.underlying_bits(kt) is not None or isinstance(kt, T.BoolType | T.ErrorType
                                                                            | T.EnumType)):
                        raise self.error(f"table key of type {kt} cannot be matched", k.expr.loc)
                    key_types.append(kt)
            elif isinstance(p, ast.ActionsProperty):
                for ref in p.actions:
                    a = self.action_ref(ref, scope, partial=True)
                    if a.name in action_decls:
                        raise self.error(f"action '{a.name}' is listed twice in table {d.name}", ref.loc)
                    action_decls[a.name] = a
        if "actions" not in seen:
            raise self.error(f"table {d.name} has no 'actions' property", d.loc)
        for p in d.properties:
            if isinstance(p, ast.EntriesProperty):
                if not key_types:
                    raise self.error(f"table {d.name} has entries but no key", p.loc)
                for e in p.entries:
                    self.keyset(e.keyset, key_types, scope, "entry key")
                    a = self.action_ref(e.action, scope, partial=False)
                    if a.name not in action_decls:
                        raise self.error(f"action '{a.name}' is not in the actions of table {d.name}",
                                         e.action.loc)
                    if e.priority is not None:
                        self.const_int(e.priority, scope, "entry priority")
            elif isinstance(p, ast.ValueProperty):
                self.table_value(d, p, scope, action_decls)

    def action_ref(self, ref: ast.ActionRef, scope: Scope, partial: bool) -> ast.ActionDecl:
        e = ref.expr
        path = e.method if isinstance(e, ast.MethodCall) else e
        if not isinstance(path, ast.PathExpr):
            raise self.error("expected an action name", ref.loc)
        found = (self.globals if path.dot_prefix else scope).lookup_value(path.name)
        if found is None:
            raise self.error(f"unknown action '{path.name}'", path.loc)
        decl = found[-1]
        if not isinstance(decl, ast.ActionDecl):
            raise self.error(f"'{path.name}' is not an action", path.loc)
        path.decl = decl
        path.type = T.ActionType(decl)
        directional = [p for p in decl.params if p.direction != ""]
        data = [p for p in decl.params if p.direction == ""]
        if isinstance(e, ast.MethodCall):
            for a in e.args:
                self.expression(a.value, scope)
            if partial:
                # in an actions list: the directional parameters; the control plane gives the rest
                params = directional
            elif directional and len(e.args) == len(data):
                params = data  # leniently: only the action data of an entry or default action
            else:
                params = decl.params
            self.bind_args(params, e.args, {}, scope, e.loc, f"action {decl.name}", check_dir=True, call=e)
            e.callee = decl
            e.type = T.VOID
        elif partial and directional:
            raise self.error(f"action {decl.name} needs arguments for its directional parameters "
                             f"({', '.join(p.name for p in directional)}) in the actions list", ref.loc)
        elif not partial and data:
            raise self.error(f"action {decl.name} needs arguments for {', '.join(p.name for p in data)}",
                             ref.loc)
        return decl

    def table_value(self, d: ast.TableDecl, p: ast.ValueProperty, scope: Scope,
                    actions: dict[str, ast.ActionDecl]) -> None:
        name = p.name
        v = p.value
        if name == "default_action":
            ref = ast.ActionRef(loc=v.loc, expr=v)
            a = self.action_ref(ref, scope, partial=False)
            if a.name not in actions:
                raise self.error(f"default action '{a.name}' is not in the actions of table {d.name}", v.loc)
            if isinstance(v, ast.PathExpr) and any(prm.direction == "" for prm in a.params):
                raise self.error(f"default action {a.name} needs arguments", v.loc)
            return
        self.expression(v, scope)
        if name == "size":
            if isinstance(v, ast.PathExpr) and isinstance(v.decl, ast.Param) and v.const_value is None:
                return  # a constructor parameter: known when the control is instantiated
            n = self.const_int(v, scope, "table size")
            if n < 0:
                raise self.error("table size must not be negative", v.loc)
        elif name in ("implementation", "counters", "meters", "support_timeout", "max_group_size",
                      "selector_size_semantics", "selector_max_group_size", "psa_direct_counter",
                      "psa_direct_meter", "psa_implementation", "psa_empty_group_action"):
            pass
        elif name in ("largest_priority_wins", "priority_delta"):
            pass

    # ------------------------------------------------------------ statements

    def block(self, b: ast.BlockStatement, scope: Scope) -> None:
        s = Scope(scope)
        for stmt in b.statements:
            self.guarded(stmt, lambda stmt=stmt: self.statement(stmt, s))  # type: ignore[misc]

    def statement(self, st: ast.Node, scope: Scope) -> None:
        if isinstance(st, ast.AssignmentStatement):
            self.expression(st.left, scope)
            self.check_lvalue(st.left, "assignment")
            self.expression(st.right, scope)
            self.coerce(st.right, self.etype(st.left), "assignment")
        elif isinstance(st, ast.MethodCallStatement):
            self.expression(st.call, scope)
        elif isinstance(st, ast.IfStatement):
            self.expression(st.cond, scope)
            if not isinstance(st.cond.type, T.BoolType):
                raise self.error(f"the condition of 'if' must be bool, not {st.cond.type}", st.cond.loc)
            self.nested(st.then, scope)
            if st.else_ is not None:
                self.nested(st.else_, scope)
        elif isinstance(st, ast.BlockStatement):
            self.block(st, scope)
        elif isinstance(st, ast.SwitchStatement):
            self.switch(st, scope)
        elif isinstance(st, ast.ExitStatement):
            if self.ctx.kind in ("parser", "state"):
                raise self.error("'exit' is not allowed in a parser", st.loc)
        elif isinstance(st, ast.ReturnStatement):
            self.return_statement(st, scope)
        elif isinstance(st, ast.EmptyStatement):
            pass
        elif isinstance(st, ast.ForStatement | ast.ForInStatement):
            self.for_statement(st, scope)
        elif isinstance(st, ast.BreakStatement | ast.ContinueStatement):
            if self.loop_depth == 0:
                word = "break" if isinstance(st, ast.BreakStatement) else "continue"
                raise self.error(f"'{word}' outside a 'for' loop", st.loc)
        elif isinstance(st, ast.ConstantDecl | ast.VariableDecl | ast.Instantiation):
            if isinstance(st, ast.Instantiation) and self.ctx.kind in ("action", "function"):
                raise self.error("instances cannot be declared inside an action or function", st.loc)
            self.local_declaration(st, scope)
        else:
            raise unsupported(f"statement {type(st).__name__}", st.loc)

    def for_statement(self, st: ast.ForStatement | ast.ForInStatement, scope: Scope) -> None:
        if self.ctx.kind in ("parser", "state"):
            raise unsupported("a 'for' loop in a parser", st.loc)
        inner = Scope(scope)
        if isinstance(st, ast.ForStatement):
            for s in st.init:
                self.statement(s, inner)
            if st.cond is not None:
                self.expression(st.cond, inner)
                if not isinstance(st.cond.type, T.BoolType):
                    raise self.error(f"the condition of 'for' must be bool, not {st.cond.type}", st.cond.loc)
            for s in st.update:
                self.statement(s, inner)
        else:
            vt = self.resolve_type(st.var.type_ref, inner)
            c = st.collection
            if isinstance(c, ast.Range):
                if not isinstance(vt, T.BitsType):
                    raise self.error(f"a range loop variable must be bit<W> or int<W>, not {vt}", st.var.loc)
                for end in (c.lo, c.hi):
                    self.expression(end, inner)
                    self.coerce(end, vt, "range bound")
                c.type = vt
            else:
                ct = self.expression(c, inner)
                if not isinstance(ct, T.StackType):
                    raise unsupported(f"a 'for ... in' over {ct} (a range or a header stack is)", c.loc)
                if ct.element != vt:
                    raise self.error(f"the loop variable has type {vt} but the stack holds {ct.element}", st.var.loc)
            self.declare_value(inner, st.var.name, st.var)
        self.loop_depth += 1
        try:
            self.nested(st.body, inner)
        finally:
            self.loop_depth -= 1

    def nested(self, st: ast.Statement, scope: Scope) -> None:
        if isinstance(st, ast.BlockStatement):
            self.block(st, scope)
        else:
            self.statement(st, scope)  # not a block: declares nothing, needs no scope of its own

    def return_statement(self, st: ast.ReturnStatement, scope: Scope) -> None:
        if self.ctx.kind == "function":
            rt = self.ctx.return_type
            if st.value is None:
                if not isinstance(rt, T.VoidType):
                    raise self.error(f"this function must return a value of type {rt}", st.loc)
                return
            if isinstance(rt, T.VoidType):
                raise self.error("a void function cannot return a value", st.value.loc)
            self.expression(st.value, scope)
            assert rt is not None
            self.coerce(st.value, rt, "return value")
            return
        if self.ctx.kind in ("parser", "state"):
            raise self.error("'return' is not allowed in a parser", st.loc)
        if st.value is not None:
            raise self.error("an action or control cannot return a value", st.value.loc)

    def switch(self, st: ast.SwitchStatement, scope: Scope) -> None:
        self.expression(st.expr, scope)
        t = st.expr.type
        if isinstance(t, T.ActionEnumType):
            table = t.table
            allowed = {r.name for r in table.actions}
            seen: set[str] = set()
            for i, case in enumerate(st.cases):
                lab = case.label
                if isinstance(lab, ast.DefaultExpr):
                    if i != len(st.cases) - 1:
                        raise self.error("'default' must be the last switch label", lab.loc)
                    lab.type = t
                elif isinstance(lab, ast.PathExpr):
                    if lab.name not in allowed:
                        raise self.error(f"'{lab.name}' is not an action of table {table.name}", lab.loc)
                    if lab.name in seen:
                        raise self.error(f"duplicate switch label '{lab.name}'", lab.loc)
                    seen.add(lab.name)
                    for r in table.actions:
                        if r.name == lab.name:
                            path = r.expr.method if isinstance(r.expr, ast.MethodCall) else r.expr
                            if isinstance(path, ast.PathExpr):
                                lab.decl = path.decl
                    lab.type = t
                else:
                    raise self.error("a switch on action_run needs action names as labels", lab.loc)
                if case.body is not None:
                    self.block(case.body, scope)
            return
        if t is None or not (T.underlying_bits(t) is not None or isinstance(t, T.EnumType | T.ErrorType)):
            raise self.error(f"cannot switch on a value of type {t}", st.expr.loc)
        t = self.etype(st.expr)
        seen_v: set[object] = set()
        for i, case in enumerate(st.cases):
            lab = case.label
            if isinstance(lab, ast.DefaultExpr):
                if i != len(st.cases) - 1:
                    raise self.error("'default' must be the last switch label", lab.loc)
                lab.type = t
            else:
                self.expression(lab, scope)
                self.coerce(lab, t, "switch label")
                if lab.const_value is None:
                    raise self.error("a switch label must be a compile-time constant", lab.loc)
                if lab.const_value in seen_v:
                    raise self.error("duplicate switch label", lab.loc)
                seen_v.add(lab.const_value)
            if case.body is not None:
                self.block(case.body, scope)

    def check_lvalue(self, e: ast.Expression, what: str) -> None:
        if isinstance(e, ast.PathExpr):
            d = e.decl
            if isinstance(d, ast.Param):
                if d.direction in ("in", ""):
                    kind = "an 'in'" if d.direction == "in" else "a directionless"
                    raise self.error(f"cannot assign to '{e.name}': it is {kind} parameter", e.loc)
                return
            if isinstance(d, ast.VariableDecl):
                return
            if isinstance(d, ast.ConstantDecl):
                raise self.error(f"cannot assign to constant '{e.name}'", e.loc)
            raise self.error(f"'{e.name}' cannot be assigned ({what})", e.loc)
        if isinstance(e, ast.Member):
            if isinstance(e.expr.type, T.StackType) and e.member in ("next", "last"):
                self.check_lvalue(e.expr, what)
                return
            if isinstance(e.expr.type, T.StructLikeType):
                self.check_lvalue(e.expr, what)
                return
            raise self.error(f"'{e.member}' cannot be assigned ({what})", e.loc)
        if isinstance(e, ast.Index | ast.Slice):
            self.check_lvalue(e.expr, what)
            return
        if isinstance(e, ast.DontCareExpr):
            return
        raise self.error(f"this expression cannot be assigned ({what})", e.loc)

    # ------------------------------------------------------------ coercion

    def etype(self, e: ast.Expression) -> T.Type:
        assert e.type is not None, e
        return e.type

    def assignable(self, src: T.Type, dst: T.Type) -> bool:
        if src is dst or src == dst:
            return True
        if isinstance(dst, T.TypeVar) or isinstance(src, T.DontCareType):
            return True
        if isinstance(src, T.EnumType) and src.underlying is not None and src.underlying == dst:
            return True
        if isinstance(src, T.InfIntType):
            # an integer without width converts to bit<W>/int<W>, and (leniently) to a new type of them
            return isinstance(dst, T.BitsType | T.InfIntType) or \
                (isinstance(dst, T.NewType) and T.underlying_bits(dst) is not None)
        if isinstance(src, T.TupleType):
            if isinstance(dst, T.StructLikeType) and dst.kind in ("struct", "header"):
                return len(src.elements) == len(dst.fields) and all(
                    self.assignable(s, f) for s, (_, f) in zip(src.elements, dst.fields, strict=True))
            if isinstance(dst, T.TupleType):
                return len(src.elements) == len(dst.elements) and all(
                    self.assignable(s, d) for s, d in zip(src.elements, dst.elements, strict=True))
            if isinstance(dst, T.StackType):
                return len(src.elements) == dst.size and all(self.assignable(s, dst.element) for s in src.elements)
        if isinstance(src, T.StructInitType) and isinstance(dst, T.StructLikeType) and \
                dst.kind in ("struct", "header"):
            names = {n for n, _ in src.fields}
            if names != {n for n, _ in dst.fields}:
                return False
            return all(self.assignable(st, dst.field_type(n) or T.VOID) for n, st in src.fields)
        if isinstance(src, T.ExternType) and isinstance(dst, T.ExternType):
            return src.decl is dst.decl
        if (isinstance(src, T.ParserType) and isinstance(dst, T.ParserType)) or \
                (isinstance(src, T.ControlType) and isinstance(dst, T.ControlType)):
            return len(src.decl.params) == len(dst.decl.params)
        if isinstance(src, T.StructLikeType) and isinstance(dst, T.StructLikeType):
            return src.decl is dst.decl
        return False

    def coerce(self, e: ast.Expression, dst: T.Type, what: str) -> None:
        """Check that `e` may be used where `dst` is expected and give it that type
        if it is an ``int`` literal-like expression or an untyped initializer."""
        src = self.etype(e)
        if isinstance(e, ast.InvalidHeaderExpr):
            if not (isinstance(dst, T.StructLikeType) and dst.kind in ("header", "header_union")):
                raise self.error(f"{what}: '{{#}}' is an invalid header, but {dst} is expected", e.loc)
            e.type = dst
            return
        if not self.assignable(src, dst):
            raise self.error(f"{what}: cannot use a value of type {src} where {dst} is expected", e.loc)
        self.retype(e, dst)

    def retype(self, e: ast.Expression, dst: T.Type) -> None:
        src = e.type
        if isinstance(src, T.InfIntType) and isinstance(dst, T.BitsType):
            self.set_int_type(e, dst)
        elif isinstance(src, T.InfIntType) and isinstance(dst, T.NewType):
            bits = T.underlying_bits(dst)
            if bits is not None:
                self.set_int_type(e, bits)
        elif isinstance(src, T.TupleType | T.StructInitType) and isinstance(dst, T.StructLikeType):
            if isinstance(e, ast.ListExpr):
                for el, (_, ft) in zip(e.elements, dst.fields, strict=True):
                    self.retype(el, ft)
                e.type = dst
            elif isinstance(e, ast.StructExpr):
                for nf in e.fields:
                    nft = dst.field_type(nf.name)
                    if nft is not None:
                        self.retype(nf.value, nft)
                e.type = dst
        elif isinstance(src, T.TupleType) and isinstance(dst, T.TupleType) and isinstance(e, ast.ListExpr):
            for el, dt in zip(e.elements, dst.elements, strict=True):
                self.retype(el, dt)
            e.type = dst
        elif isinstance(src, T.TupleType) and isinstance(dst, T.StackType) and isinstance(e, ast.ListExpr):
            for el in e.elements:
                self.retype(el, dst.element)
            e.type = dst

    def set_int_type(self, e: ast.Expression, t: T.BitsType, warn: bool = True) -> None:
        """Give an ``int``-typed expression tree the fixed-width type `t`.  A constant that does not fit
        gets p4c's warning (once, for the folded value: its parts are not constants of their own)."""
        if not isinstance(e.type, T.InfIntType):
            return
        e.type = t
        if isinstance(e.const_value, int) and not isinstance(e.const_value, bool):
            if warn:
                self.warn_overflow(e.const_value, t, _literal_base(e), e.loc)
                warn = False
            e.const_value = _wrap(e.const_value, t)
        if isinstance(e, ast.Binary):
            if e.op in ("<<", ">>"):
                self.set_int_type(e.left, t, warn)
            else:
                self.set_int_type(e.left, t, warn)
                self.set_int_type(e.right, t, warn)
        elif isinstance(e, ast.Unary):
            self.set_int_type(e.operand, t, warn)
        elif isinstance(e, ast.Mux):
            self.set_int_type(e.then, t, warn)
            self.set_int_type(e.else_, t, warn)

    def warn_deprecated(self, use: ast.PathExpr, decl: ast.Declaration) -> None:
        """p4c's warning for a use of a declaration annotated @deprecated("why")."""
        anno = ast.find_annotation(decl.annotations, "deprecated")
        if anno is not None:
            why = "".join(a.value for a in anno.args or [] if isinstance(a, ast.StringLiteral))
            self.warn(f"{use.name}: Using deprecated feature {decl.name}. {why}", use.loc)

    def warn_overflow(self, value: int, t: T.BitsType, base: int, loc: SourceLocation | None) -> None:
        """p4c's warning for a constant of type `t` that does not hold `value` (its wording, e.g.
        `8w300: value does not fit in 8 bits`, the constant written as p4c writes it)."""
        text = _p4c_constant(value, t, base)
        w = t.width
        if w == 0:
            if value:
                self.warn(f"{text}: zero-width integer cannot have non-zero value", loc)
        elif t.signed:
            if not -(1 << (w - 1)) <= value < 1 << (w - 1):
                self.warn(f"{text}: signed value does not fit in {w} bits", loc)
        elif value < 0:
            self.warn(f"{text}: negative value with unsigned type", loc)
        elif value >> w:
            self.warn(f"{text}: value does not fit in {w} bits", loc)

    # ------------------------------------------------------------ expressions

    def expression(self, e: ast.Expression, scope: Scope) -> T.Type:
        t = self._expression(e, scope)
        e.type = t
        return t

    def _expression(self, e: ast.Expression, scope: Scope) -> T.Type:
        if isinstance(e, ast.IntLiteral):
            if e.width is None:
                e.const_value = e.value
                return T.INT
            bt = T.BitsType(e.width, e.signed)
            self.warn_overflow(e.value, bt, _literal_base(e), e.loc)
            e.const_value = _wrap(e.value, bt)
            return bt
        if isinstance(e, ast.BoolLiteral):
            e.const_value = e.value
            return T.BOOL
        if isinstance(e, ast.StringLiteral):
            e.const_value = e.value
            return T.STRING
        if isinstance(e, ast.PathExpr):
            return self.path(e, scope)
        if isinstance(e, ast.Member):
            return self.member(e, scope)
        if isinstance(e, ast.MethodCall):
            return self.call(e, scope)
        if isinstance(e, ast.Binary):
            return self.binary(e, scope)
        if isinstance(e, ast.Unary):
            return self.unary(e, scope)
        if isinstance(e, ast.Cast):
            return self.cast(e, scope)
        if isinstance(e, ast.Slice):
            return self.slice(e, scope)
        if isinstance(e, ast.Index):
            return self.index(e, scope)
        if isinstance(e, ast.Mux):
            return self.mux(e, scope)
        if isinstance(e, ast.ListExpr):
            elems = tuple(self.expression(x, scope) for x in e.elements)
            if e.elements and all(x.const_value is not None for x in e.elements):
                e.const_value = tuple(x.const_value for x in e.elements)
            return T.TupleType(elems)
        if isinstance(e, ast.StructExpr):
            seen: set[str] = set()
            fts: list[tuple[str, T.Type]] = []
            for nf in e.fields:
                if nf.name in seen:
                    raise self.error(f"field '{nf.name}' is given twice", nf.loc)
                seen.add(nf.name)
                fts.append((nf.name, self.expression(nf.value, scope)))
            return T.StructInitType(tuple(fts))
        if isinstance(e, ast.TypeNameExpr):
            return T.TypeTypeRef(self.resolve_type(e.type_ref, scope))
        if isinstance(e, ast.ConstructorCall):
            t = self.resolve_type(e.type_ref, scope)
            return self.construct(t, e.args, scope, e.loc, str(t), e)
        if isinstance(e, ast.DontCareExpr):
            return T.DONTCARE
        if isinstance(e, ast.InvalidHeaderExpr):
            return T.INVALID_HEADER
        if isinstance(e, ast.DefaultExpr):
            return T.DONTCARE
        if isinstance(e, ast.Mask | ast.Range):
            raise self.error("'&&&' and '..' are only allowed in select cases and table entries", e.loc)
        if isinstance(e, ast.SelectExpr):
            raise self.error("'select' is only allowed in a transition", e.loc)
        raise unsupported(f"expression {type(e).__name__}", e.loc)

    def path(self, e: ast.PathExpr, scope: Scope) -> T.Type:
        found = (self.globals if e.dot_prefix else scope).lookup_value(e.name)
        if found is None:
            if scope.lookup_type(e.name) is not None:
                raise self.error(f"'{e.name}' is a type, not a value", e.loc)
            if e.name in ("accept", "reject"):
                raise self.error(f"state '{e.name}' can only be used in a transition", e.loc)
            raise self.error(f"'{e.name}' is not declared", e.loc)
        decl = found[-1]
        e.decl = decl
        if isinstance(decl, ast.ConstantDecl):
            e.const_value = decl.value.const_value
        if isinstance(decl, ast.DeclId):
            e.const_value = decl.name
        if isinstance(decl, ast.ParserState):
            raise self.error(f"state '{e.name}' can only be used in a transition", e.loc)
        return self.value_type(decl, e.loc)

    def member(self, e: ast.Member, scope: Scope) -> T.Type:
        base_t = self.expression(e.expr, scope)
        m = e.member
        if isinstance(base_t, T.TypeTypeRef):
            of = base_t.of
            if isinstance(of, T.ErrorType):
                for d in self.errors:
                    if d.name == m:
                        e.decl = d
                        e.const_value = T.ErrorValue(m)
                        return T.ERROR
                raise self.error(f"no error '{m}' is declared", e.loc)
            if isinstance(of, T.EnumType):
                assert of.decl is not None
                for em in of.decl.members:
                    if em.name == m:
                        e.decl = em
                        e.const_value = T.EnumValue(of, m)
                        return of
                raise self.error(f"enum {of.name} has no member '{m}'", e.loc)
            if isinstance(of, T.StructLikeType) and m in _HEADER_SIZE_METHODS:
                return T.FunctionType(of.decl) if of.decl is not None else T.VOID
            raise self.error(f"type {of} has no member '{m}'", e.loc)
        if isinstance(base_t, T.StructLikeType):
            ft = base_t.field_type(m)
            if ft is not None:
                assert base_t.decl is not None
                e.decl = base_t.decl.field_named(m)
                return ft
            if (m in ("isValid", "setValid", "setInvalid") and base_t.kind == "header") or \
                    (m == "isValid" and base_t.kind == "header_union") or m in _HEADER_SIZE_METHODS:
                return T.FunctionType(base_t.decl) if base_t.decl is not None else T.VOID
            if base_t.decl is not None and base_t.decl.field_named(m) in self.failed:
                raise _Suppressed()
            raise self.error(f"no field '{m}' in {base_t.kind.replace('_', ' ')} {base_t.name}", e.loc)
        if isinstance(base_t, T.StackType):
            if m in ("next", "last"):
                if m == "next" and self.ctx.kind not in ("parser", "state"):
                    raise self.error("'next' can only be used in a parser", e.loc)
                return base_t.element
            if m == "size":
                e.const_value = base_t.size
                return T.BitsType(32)
            if m == "lastIndex":
                return T.BitsType(32)
            if m in ("push_front", "pop_front"):
                return T.FunctionType(ast.DeclId(name=m))
            raise self.error(f"header stack has no member '{m}'", e.loc)
        if isinstance(base_t, T.ExternType):
            ms = base_t.decl.methods_named(m)
            if not ms:
                raise self.error(f"extern {base_t.decl.name} has no method '{m}'", e.loc)
            e.decl = ms[0]
            return T.FunctionType(ms[0])
        if isinstance(base_t, T.TableType):
            if m == "apply":
                return T.FunctionType(base_t.decl)
            raise self.error(f"table {base_t.decl.name} has no member '{m}' (only apply())", e.loc)
        if isinstance(base_t, T.ApplyResultType):
            if m in ("hit", "miss"):
                return T.BOOL
            if m == "action_run":
                return T.ActionEnumType(base_t.table)
            raise self.error(f"the result of apply() has no member '{m}' (hit, miss, action_run)", e.loc)
        if isinstance(base_t, T.ParserType | T.ControlType):
            if m == "apply":
                return T.FunctionType(base_t.decl)
            raise self.error(f"{base_t.decl.name} has no member '{m}' (only apply())", e.loc)
        raise self.error(f"a value of type {base_t} has no member '{m}'", e.loc)

    # ------------------------------------------------------------ calls

    def call(self, e: ast.MethodCall, scope: Scope) -> T.Type:
        method = e.method
        for a in e.args:
            self.expression(a.value, scope)
        targs = [self.resolve_type(t, scope, allow_void=True) for t in e.type_args]
        if isinstance(method, ast.PathExpr):
            found = (self.globals if method.dot_prefix else scope).lookup_value(method.name)
            if found is None:
                raise self.error(f"'{method.name}' is not declared", method.loc)
            cands = [d for d in found if isinstance(d, ast.ExternFunctionDecl | ast.FunctionDecl)]
            decl = found[-1]
            if isinstance(decl, ast.ActionDecl):
                self.warn_deprecated(method, decl)
                method.decl = decl
                method.type = T.ActionType(decl)
                if self.ctx.kind in ("parser", "state"):
                    raise self.error(f"action {decl.name} cannot be called from a parser", e.loc)
                e.callee = decl
                self.bind_args(decl.params, e.args, {}, scope, e.loc, f"action {decl.name}", check_dir=True, call=e)
                return T.VOID
            if cands:
                fn = self.pick_overload(cands, e.args, e.loc, f"'{method.name}'")
                self.warn_deprecated(method, fn)
                method.decl = fn
                method.type = T.FunctionType(fn)
                e.callee = fn
                if fn.name == "verify" and isinstance(fn, ast.ExternFunctionDecl) and \
                        self.ctx.kind not in ("parser", "state"):
                    raise self.error("verify() can only be called in a parser", e.loc)
                rt = self.generic_call(e, fn.type_params, fn.params, fn.return_type, targs, {}, scope)
                if isinstance(fn, ast.FunctionDecl) and fn.type_params and e.inferred_type_args:
                    spec = self.specialize(fn, e.inferred_type_args, e.loc)
                    method.decl = spec
                    e.callee = spec
                    e.param_decls = [spec.params[fn.params.index(p)] for p in (e.param_decls or [])]
                return rt
            raise self.error(f"'{method.name}' is not a function or action", method.loc)
        if isinstance(method, ast.Member):
            bt = self.expression(method.expr, scope)
            name = method.member
            if isinstance(bt, T.ExternType):
                ms = bt.decl.methods_named(name)
                if not ms:
                    raise self.error(f"extern {bt.decl.name} has no method '{name}'", method.loc)
                md = self.pick_overload(ms, e.args, e.loc, f"method '{name}' of {bt.decl.name}")
                method.decl = md
                method.type = T.FunctionType(md)
                e.callee = md
                env: dict[ast.TypeParam, T.Type] = {}
                if bt.type_args:
                    env.update(zip(bt.decl.type_params, bt.type_args, strict=False))
                assert md.return_type is not None
                return self.generic_call(e, md.type_params, md.params, md.return_type, targs, env, scope)
            if isinstance(bt, T.StructLikeType) and name in ("isValid", "setValid", "setInvalid",
                                                              *_HEADER_SIZE_METHODS):
                self.no_args(e, name)
                method.type = T.FunctionType(bt.decl) if bt.decl is not None else T.VOID
                e.callee = name
                if name in ("setValid", "setInvalid"):
                    if bt.kind != "header":
                        raise self.error(f"{name}() applies to headers only", method.loc)
                    self.check_lvalue(method.expr, f"{name}()")
                    return T.VOID
                if name == "isValid":
                    if bt.kind == "struct":
                        raise self.error("isValid() applies to headers and header unions only", method.loc)
                    return T.BOOL
                e.const_value = _size_method_value(bt, name)
                return T.INT
            if isinstance(bt, T.TypeTypeRef) and isinstance(bt.of, T.StructLikeType) \
                    and name in _HEADER_SIZE_METHODS:
                self.no_args(e, name)
                e.callee = name
                e.const_value = _size_method_value(bt.of, name)
                return T.INT
            if isinstance(bt, T.StackType) and name in ("push_front", "pop_front"):
                if len(e.args) != 1:
                    raise self.error(f"{name}() takes one argument (a count)", e.loc)
                self.const_int(e.args[0].value, scope, f"the count of {name}()")
                self.retype(e.args[0].value, T.BitsType(32))
                self.check_lvalue(method.expr, f"{name}()")
                method.type = T.FunctionType(ast.DeclId(name=name))
                e.callee = name
                return T.VOID
            if isinstance(bt, T.TableType) and name == "apply":
                self.no_args(e, "apply")
                if self.ctx.in_action:
                    raise self.error("a table cannot be applied inside an action", e.loc)
                method.type = T.FunctionType(bt.decl)
                e.callee = bt.decl
                return T.ApplyResultType(bt.decl)
            if isinstance(bt, T.TypeTypeRef) and isinstance(bt.of, T.ParserType | T.ControlType) \
                    and name == "apply":
                # direct application: T.apply(args) applies an implicit instance of T
                decl = bt.of.decl
                if isinstance(decl, ast.ParserTypeDecl | ast.ControlTypeDecl):
                    raise self.error(f"{decl.name} is a type declaration and cannot be applied", e.loc)
                if decl.ctor_params:
                    raise self.error(f"{decl.name} has constructor parameters; instantiate it to apply it",
                                     e.loc)
                method.type = T.FunctionType(decl)
                e.callee = decl
                self.bind_args(decl.params, e.args, {}, scope, e.loc, f"{decl.name}.apply", check_dir=True,
                               call=e)
                return T.VOID
            if isinstance(bt, T.ParserType | T.ControlType) and name == "apply":
                decl = bt.decl
                method.type = T.FunctionType(decl)
                e.callee = decl
                self.bind_args(decl.params, e.args, {}, scope, e.loc, f"{decl.name}.apply", check_dir=True,
                               call=e)
                return T.VOID
            t = self.member(method, scope)
            method.type = t
            raise self.error(f"'{name}' is not a method", method.loc)
        if isinstance(method, ast.TypeNameExpr):
            raise self.error("a type cannot be called; to instantiate write 'T(args) name;'", e.loc)
        self.expression(method, scope)
        raise self.error("this expression cannot be called", e.loc)

    def no_args(self, e: ast.MethodCall, name: str) -> None:
        if e.args:
            raise self.error(f"{name}() takes no arguments", e.loc)

    def pick_overload(self, cands: Sequence[Any], args: list[ast.Argument], loc: SourceLocation,
                      what: str) -> Any:
        names = {a.name for a in args if a.name is not None}
        fitting = []
        for c in cands:
            params: list[ast.Param] = c.params
            required = [p for p in params if p.default is None and not p.optional]
            if len(args) > len(params) or (len(args) < len(required) and not names):
                continue
            if names and not names <= {p.name for p in params}:
                continue
            fitting.append(c)
        if not fitting:
            counts = sorted({len(c.params) for c in cands})
            want = " or ".join(str(n) for n in counts)
            raise self.error(f"wrong number of arguments for {what}: {len(args)} given, {want} expected", loc)
        exact = [c for c in fitting if len(c.params) == len(args)]
        return (exact or fitting)[0]

    def specialize(self, fn: ast.FunctionDecl, targs: list[T.Type], loc: SourceLocation) -> ast.FunctionDecl:
        """The copy of generic function `fn` with its type parameters bound to `targs`, checked."""
        key = (id(fn), "; ".join(str(t) for t in targs))
        spec = self.specializations.get(key)
        if spec is not None:
            return spec
        source, scope = self.generic_sources[fn]
        spec = copy.deepcopy(source)
        spec.type_params = []
        inner = Scope(scope)
        for tp, ty in zip(source.type_params, targs, strict=True):
            if isinstance(ty, T.TypeVar | T.DontCareType):
                raise self.error(f"cannot infer type argument {tp.name} of {fn.name}; write it with <...>", loc)
            alias = ast.TypedefDecl(name=tp.name, type_ref=ast.DontCareTypeRef(loc=tp.loc), loc=tp.loc)
            self.decl_types[alias] = ty
            inner.types[tp.name] = alias
        self.specializations[key] = spec
        self.function_decl(spec, inner)
        return spec

    def generic_call(self, e: ast.MethodCall, tparams: list[ast.TypeParam], params: list[ast.Param],
                     ret: ast.TypeRef, targs: list[T.Type], env: dict[ast.TypeParam, T.Type],
                     scope: Scope) -> T.Type:
        if targs:
            if len(targs) != len(tparams):
                raise self.error(f"{len(tparams)} type argument(s) expected, {len(targs)} given", e.loc)
            env.update(zip(tparams, targs, strict=True))
        self.bind_args(params, e.args, env, scope, e.loc, getattr(e.callee, "name", "call"), check_dir=True, call=e,
                       unbound=set(tparams))
        if tparams:
            e.inferred_type_args = [env.get(tp, T.TypeVar(tp.name, tp)) for tp in tparams]
            missing = [tp.name for tp in tparams if tp not in env]
            if missing:
                raise self.error(f"cannot infer type argument(s) {', '.join(missing)}; write them with <...>",
                                 e.loc)
        return self.subst(self.resolved(ret), env)

    def subst(self, t: T.Type, env: dict[ast.TypeParam, T.Type]) -> T.Type:
        if isinstance(t, T.TypeVar) and t.decl is not None and t.decl in env:
            return env[t.decl]
        if isinstance(t, T.ExternType) and t.type_args:
            return T.ExternType(t.decl, tuple(self.subst(a, env) for a in t.type_args))
        if isinstance(t, T.TupleType):
            return T.TupleType(tuple(self.subst(a, env) for a in t.elements))
        if isinstance(t, T.StackType):
            return T.StackType(self.subst(t.element, env), t.size)
        return t

    def bind_args(self, params: list[ast.Param], args: list[ast.Argument], env: dict[ast.TypeParam, T.Type],
                  scope: Scope, loc: SourceLocation, what: str, check_dir: bool,
                  call: ast.MethodCall | None = None, unbound: set[ast.TypeParam] | None = None,
                  bound_out: list[ast.Param] | None = None) -> None:
        """Match `args` to `params` (positional, then named), infer generic parameters
        into `env`, check directions and convert argument values."""
        named = any(a.name is not None for a in args)
        bound: list[ast.Param] = []
        if named:
            if not all(a.name is not None for a in args):
                raise self.error(f"{what}: arguments must be all named or all positional", loc)
            by_name = {p.name: p for p in params}
            for a in args:
                p = by_name.get(a.name or "")
                if p is None:
                    raise self.error(f"{what} has no parameter '{a.name}'", a.loc)
                if p in bound:
                    raise self.error(f"{what}: parameter '{a.name}' is given twice", a.loc)
                bound.append(p)
        else:
            if len(args) > len(params):
                raise self.error(f"too many arguments for {what}: {len(args)} given, at most {len(params)}", loc)
            bound = params[: len(args)]
        for p in params:
            if p not in bound and p.default is None and not p.optional:
                raise self.error(f"{what}: missing argument for parameter '{p.name}'", loc)
        if call is not None:
            call.param_decls = bound
        if bound_out is not None:
            bound_out.extend(bound)
        unbound = unbound or set()
        if unbound:
            # bind type variables from typed arguments first: f<T>(1, x) takes T from x, not int
            for a, p in zip(args, bound, strict=True):
                at = self.etype(a.value)
                if not isinstance(at, T.InfIntType):
                    self.infer(self.resolved(p.type_ref), at, env, unbound)
        for a, p in zip(args, bound, strict=True):
            pt = self.resolved(p.type_ref)
            v = a.value
            if unbound or env:
                pt = self.infer(pt, self.etype(v), env, unbound)
            if isinstance(v, ast.DontCareExpr):
                if p.direction not in ("out", "inout") and check_dir:
                    raise self.error(f"'_' can only be passed to an out parameter ('{p.name}' is not)", v.loc)
                v.type = pt
                continue
            if check_dir and p.direction in ("out", "inout"):
                self.check_lvalue(v, f"argument for {p.direction} parameter '{p.name}'")
                if isinstance(v.type, T.InfIntType):
                    raise self.error(f"argument for {p.direction} parameter '{p.name}' must be assignable", v.loc)
            if isinstance(pt, T.TypeVar):
                continue
            self.coerce(v, pt, f"argument '{p.name}' of {what}")

    def infer(self, pt: T.Type, at: T.Type, env: dict[ast.TypeParam, T.Type],
              unbound: set[ast.TypeParam]) -> T.Type:
        """Bind type variables of `pt` from the argument type `at`; the substituted `pt`."""
        if isinstance(pt, T.TypeVar) and pt.decl is not None:
            if pt.decl in env:
                return env[pt.decl]
            if pt.decl in unbound and not isinstance(at, T.DontCareType):
                env[pt.decl] = at
                return at
            return pt
        if isinstance(pt, T.ExternType) and pt.type_args and isinstance(at, T.ExternType) and \
                at.decl is pt.decl and len(at.type_args) == len(pt.type_args):
            return T.ExternType(pt.decl, tuple(self.infer(p, a, env, unbound)
                                               for p, a in zip(pt.type_args, at.type_args, strict=True)))
        return self.subst(pt, env)

    # ------------------------------------------------------------ operators

    def unify_operands(self, e: ast.Binary) -> T.Type:
        lt, rt = self.etype(e.left), self.etype(e.right)
        if (lt is rt or lt == rt) and (e.op in _EQUALITY or not isinstance(lt, T.EnumType)):
            return lt
        # a serializable enum converts implicitly to its underlying type
        lt, rt = _ser_enum_to_bits(lt), _ser_enum_to_bits(rt)
        if isinstance(lt, T.InfIntType) and isinstance(rt, T.BitsType):
            self.set_int_type(e.left, rt)
            return rt
        if isinstance(rt, T.InfIntType) and isinstance(lt, T.BitsType):
            self.set_int_type(e.right, lt)
            return lt
        if lt == rt or lt is rt:
            return lt
        if isinstance(lt, T.BitsType) and isinstance(rt, T.BitsType):
            raise self.error(f"operands of '{e.op}' have different types: {lt} and {rt}; cast one of them",
                             e.loc)
        raise self.error(f"operands of '{e.op}' have incompatible types {lt} and {rt}", e.loc)

    def binary(self, e: ast.Binary, scope: Scope) -> T.Type:
        lt = self.expression(e.left, scope)
        rt = self.expression(e.right, scope)
        op = e.op
        if op in ("&&", "||"):
            for side, t in ((e.left, lt), (e.right, rt)):
                if not isinstance(t, T.BoolType):
                    raise self.error(f"operand of '{op}' must be bool, not {t}", side.loc)
            self.fold_binary(e)
            return T.BOOL
        if op == "++":
            lt, rt = _ser_enum_to_bits(lt), _ser_enum_to_bits(rt)
            for side, t in ((e.left, lt), (e.right, rt)):
                if isinstance(t, T.InfIntType):
                    raise self.error(f"operand of '++' needs a width: write it as e.g. 8w{side.const_value}"
                                     if isinstance(side, ast.IntLiteral) else
                                     "operand of '++' needs a width (cast it to bit<W>)", side.loc)
                if T.underlying_bits(t) is None or not isinstance(t, T.BitsType):
                    raise self.error(f"operands of '++' must be bit<W> or int<W>, not {t}", side.loc)
            assert isinstance(lt, T.BitsType) and isinstance(rt, T.BitsType)
            res = T.BitsType(lt.width + rt.width, lt.signed)
            lc, rc = _numeric(e.left.const_value), _numeric(e.right.const_value)
            if isinstance(lc, int) and isinstance(rc, int):
                lv = lc & ((1 << lt.width) - 1)
                rv = rc & ((1 << rt.width) - 1)
                e.const_value = _wrap((lv << rt.width) | rv, res)
            return res
        if op in ("<<", ">>"):
            lt, rt = _ser_enum_to_bits(lt), _ser_enum_to_bits(rt)
            if not T.is_integral(lt):
                raise self.error(f"left operand of '{op}' must be an integer, not {lt}", e.left.loc)
            if isinstance(rt, T.BitsType) and rt.signed:
                raise self.error(f"the shift amount must be unsigned, not {rt}", e.right.loc)
            if not T.is_integral(rt):
                raise self.error(f"the shift amount must be an integer, not {rt}", e.right.loc)
            if isinstance(rt, T.InfIntType):
                if isinstance(e.right.const_value, int) and e.right.const_value < 0:
                    raise self.error("the shift amount must not be negative", e.right.loc)
            if isinstance(lt, T.InfIntType) and e.right.const_value is None:
                raise self.error("shifting an integer without width by a non-constant amount; give the left "
                                 "operand a width", e.loc)
            self.fold_binary(e, lt)
            return lt
        if op in _EQUALITY:
            t = self.unify_operands(e)
            if isinstance(t, T.InfIntType | T.BitsType | T.BoolType | T.ErrorType | T.EnumType | T.NewType
                          | T.StructLikeType | T.TupleType | T.StackType | T.VarbitType):
                self.fold_binary(e, t)
                return T.BOOL
            raise self.error(f"values of type {t} cannot be compared", e.loc)
        if op in _COMPARE:
            t = self.unify_operands(e)
            if not T.is_integral(t):
                raise self.error(f"'{op}' needs integer operands, not {t}", e.loc)
            self.fold_binary(e, t)
            return T.BOOL
        if op in _ARITH or op in _BITWISE:
            t = self.unify_operands(e)
            if not T.is_integral(t):
                raise self.error(f"'{op}' needs integer operands, not {t}", e.loc)
            if op in ("/", "%"):
                if isinstance(t, T.BitsType) and t.signed:
                    raise self.error(f"'{op}' is not defined on signed {t}", e.loc)
                if isinstance(t, T.BitsType) and e.right.const_value is None and e.left.const_value is None:
                    pass
                if e.right.const_value == 0:
                    raise self.error("division by zero", e.right.loc)
            if op in ("|+|", "|-|") and isinstance(t, T.InfIntType):
                raise self.error(f"'{op}' needs operands with a width", e.loc)
            self.fold_binary(e, t)
            return t
        raise self.error(f"unknown operator '{op}'", e.loc)

    def fold_binary(self, e: ast.Binary, t: T.Type | None = None) -> None:
        a, b = e.left.const_value, e.right.const_value
        if a is None or b is None:
            return
        if isinstance(a, T.EnumValue) != isinstance(b, T.EnumValue) or not isinstance(t, T.EnumType):
            a, b = _numeric(a), _numeric(b)
        op = e.op
        if op == "&&":
            e.const_value = bool(a and b)
            return
        if op == "||":
            e.const_value = bool(a or b)
            return
        if op == "==":
            e.const_value = a == b
            return
        if op == "!=":
            e.const_value = a != b
            return
        if not isinstance(a, int) or not isinstance(b, int) or isinstance(a, bool) or isinstance(b, bool):
            return
        if op in _COMPARE:
            e.const_value = {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
            return
        v: int
        if op == "+":
            v = a + b
        elif op == "-":
            v = a - b
        elif op == "*":
            v = a * b
        elif op == "/":
            if b == 0:
                return
            v = a // b if a >= 0 and b > 0 else int(a / b)
        elif op == "%":
            if b == 0:
                return
            v = a % b
        elif op == "&":
            v = a & b
        elif op == "|":
            v = a | b
        elif op == "^":
            v = a ^ b
        elif op == "<<":
            if b > 4096:
                return
            v = a << b
        elif op == ">>":
            v = a >> b
        elif op in ("|+|", "|-|") and isinstance(t, T.BitsType):
            v = a + b if op == "|+|" else a - b
            if t.signed:
                lo, hi = -(1 << (t.width - 1)), (1 << (t.width - 1)) - 1
            else:
                lo, hi = 0, (1 << t.width) - 1
            v = min(max(v, lo), hi)
        else:
            return
        e.const_value = _wrap(v, t) if t is not None else v

    def unary(self, e: ast.Unary, scope: Scope) -> T.Type:
        t = self.expression(e.operand, scope)
        c = e.operand.const_value
        if e.op != "!":
            t = _ser_enum_to_bits(t)
            c = _numeric(c)
        if e.op == "!":
            if not isinstance(t, T.BoolType):
                raise self.error(f"operand of '!' must be bool, not {t}", e.operand.loc)
            if isinstance(c, bool):
                e.const_value = not c
            return t
        if not T.is_integral(t):
            raise self.error(f"operand of '{e.op}' must be an integer, not {t}", e.operand.loc)
        if e.op == "~":
            if isinstance(t, T.InfIntType):
                raise self.error("operand of '~' needs a width", e.operand.loc)
            if isinstance(c, int):
                e.const_value = _wrap(~c, t)
            return t
        if isinstance(c, int) and not isinstance(c, bool):
            e.const_value = _wrap(-c if e.op == "-" else c, t)
        return t

    def mux(self, e: ast.Mux, scope: Scope) -> T.Type:
        ct = self.expression(e.cond, scope)
        if not isinstance(ct, T.BoolType):
            raise self.error(f"the condition of '?:' must be bool, not {ct}", e.cond.loc)
        a = self.expression(e.then, scope)
        b = self.expression(e.else_, scope)
        if isinstance(a, T.InfIntType) and isinstance(b, T.BitsType):
            self.set_int_type(e.then, b)
            t: T.Type = b
        elif isinstance(b, T.InfIntType) and isinstance(a, T.BitsType):
            self.set_int_type(e.else_, a)
            t = a
        elif a == b or a is b:
            t = a
        else:
            raise self.error(f"the branches of '?:' have different types: {a} and {b}", e.loc)
        c = e.cond.const_value
        if isinstance(c, bool):
            e.const_value = e.then.const_value if c else e.else_.const_value
        return t

    def cast(self, e: ast.Cast, scope: Scope) -> T.Type:
        to = self.resolve_type(e.to, scope)
        src = self.expression(e.expr, scope)
        c = e.expr.const_value
        ok = False
        bits = T.underlying_bits(to)
        if isinstance(src, T.InfIntType) and isinstance(bits, T.BitsType) and self.assignable(src, to):
            ok = True
            self.set_int_type(e.expr, bits, warn=False)  # a cast truncates on purpose: no warning, as p4c
        elif self.assignable(src, to) and not isinstance(src, T.TupleType | T.StructInitType):
            ok = True
            self.retype(e.expr, to)
        elif isinstance(src, T.TupleType | T.StructInitType) and self.assignable(src, to):
            self.retype(e.expr, to)
            return to
        elif isinstance(to, T.BitsType) and isinstance(src, T.BitsType):
            ok = src.width == to.width or src.signed == to.signed
            if not ok:
                raise self.error(f"cannot cast {src} to {to} in one step: change the width and the sign "
                                 "separately", e.loc)
        elif isinstance(to, T.BitsType) and isinstance(src, T.BoolType):
            ok = to.width == 1 and not to.signed
        elif isinstance(to, T.BoolType) and isinstance(src, T.BitsType | T.InfIntType):
            ok = isinstance(src, T.InfIntType) or (src.width == 1 and not src.signed)
            if ok and isinstance(c, int):
                e.const_value = bool(c)
                return to
        elif isinstance(to, T.BitsType) and isinstance(src, T.EnumType) and src.underlying is not None:
            ok = True
            if isinstance(c, T.EnumValue):
                c = c.value
        elif isinstance(to, T.EnumType) and to.underlying is not None and \
                (T.underlying_bits(src) is not None or isinstance(src, T.InfIntType)):
            ok = True
            if isinstance(c, int):
                for name, val in to.values.items():
                    if val == _wrap(c, to.underlying):
                        e.const_value = T.EnumValue(to, name)
                return to
        elif isinstance(to, T.NewType) or isinstance(src, T.NewType):
            ok = (T.underlying_bits(to) is not None and T.underlying_bits(src) is not None) \
                or self.assignable(src, getattr(to, "base", to)) or self.assignable(getattr(src, "base", src), to) \
                or isinstance(src, T.InfIntType)
        elif isinstance(to, T.BitsType) and isinstance(src, T.InfIntType):
            ok = True
        if not ok:
            raise self.error(f"cannot cast a value of type {src} to {to}", e.loc)
        if not isinstance(to, T.EnumType):
            c = _numeric(c)
        if isinstance(c, int) and not isinstance(c, bool):
            bt = T.underlying_bits(to)
            if bt is not None:
                e.const_value = _wrap(c, bt)
            elif isinstance(to, T.InfIntType):
                e.const_value = c
        elif isinstance(c, bool) and isinstance(to, T.BitsType):
            e.const_value = int(c)
        return to

    def slice(self, e: ast.Slice, scope: Scope) -> T.Type:
        t = self.expression(e.expr, scope)
        hi = self.const_int(e.hi, scope, "slice bound")
        lo = self.const_int(e.lo, scope, "slice bound")
        bt = T.underlying_bits(t)
        if isinstance(t, T.InfIntType):
            if e.expr.const_value is None:
                raise self.error("cannot slice an integer without width", e.loc)
        elif bt is None:
            raise self.error(f"cannot slice a value of type {t}", e.expr.loc)
        if lo < 0 or hi < lo:
            raise self.error(f"invalid slice [{hi}:{lo}]", e.loc)
        if bt is not None and hi >= bt.width:
            raise self.error(f"slice [{hi}:{lo}] is out of range for {t}", e.loc)
        self.retype(e.hi, T.INT)
        res = T.BitsType(hi - lo + 1)
        c = _numeric(e.expr.const_value)
        if isinstance(c, int) and not isinstance(c, bool):
            e.const_value = (c >> lo) & ((1 << (hi - lo + 1)) - 1)
        return res

    def index(self, e: ast.Index, scope: Scope) -> T.Type:
        t = self.expression(e.expr, scope)
        it = self.expression(e.index, scope)
        if isinstance(t, T.StackType):
            serializable = isinstance(it, T.EnumType) and it.underlying is not None
            if not (T.is_integral(it) or serializable):
                # (p4c takes a serializable enum as its underlying integer here: issue2726-bmv2)
                raise self.error(f"a stack index must be an integer, not {it}", e.index.loc)
            c = e.index.const_value
            if isinstance(c, int) and not isinstance(c, bool):
                if c < 0 or c >= t.size:
                    raise self.error(f"index {c} is out of range for a stack of size {t.size}", e.index.loc)
                self.set_int_type(e.index, T.BitsType(32))
            return t.element
        if isinstance(t, T.TupleType):
            c = self.const_int(e.index, scope, "tuple index")
            if c < 0 or c >= len(t.elements):
                raise self.error(f"index {c} is out of range for {t}", e.index.loc)
            return t.elements[c]
        raise self.error(f"a value of type {t} cannot be indexed", e.loc)


def check_program(program: ast.Program) -> CheckedProgram:
    """Resolve names, check types and fold constants of `program` (annotating it in
    place).  Raises `CompileError` with every error found."""
    with deep_recursion():
        return Checker(program).run()
