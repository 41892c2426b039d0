"""Semantic types of P4-16, as the type checker computes them.

`Type` is the base.  Base types are singletons or value objects compared by
value (`BitsType(8, False) == BitsType(8, False)`); named types (headers,
structs, unions, enums, new types, externs, parsers, controls, packages,
tables, actions) compare by identity and point back to their declaration
(`decl`).  A ``typedef`` is transparent: its uses get the aliased type.

=====================  ==========================================================
type                   what
=====================  ==========================================================
`BitsType`             ``bit<W>`` (`signed` False) and ``int<W>`` (`signed` True)
`VarbitType`           ``varbit<W>``; `max_width`
`InfIntType` / `INT`   arbitrary-precision ``int`` (integer literals without width)
`BOOL` `STRING` `VOID` ``bool``, ``string``, ``void``
`ERROR` `MATCH_KIND`   the ``error`` and ``match_kind`` types
`StructLikeType`       header, struct or header union: `kind`, `name`, `fields`
`StackType`            header stack: `element`, `size`
`EnumType`             enum; `underlying` is a `BitsType` for serializable enums
`NewType`              ``type T Name``: `base`
`TupleType`            ``tuple<...>`` and ``{a, b}`` list expressions
`StructInitType`       an untyped ``{f = e}`` expression, before it meets a struct
`ExternType`           an extern type (`decl`, `type_args`)
`ParserType` ...       parser / control / package types and instances (`decl`, `type_args`)
`TableType`            a table (its ``apply()`` returns `ApplyResultType`)
`ActionType`           an action name used as a value
`EnumValue`            the compile-time value of an enum member (`const_value`)
`TypeVar`              an unbound generic parameter
`SetType`              a keyset (``&&&``, ``..``, ``default``) of `element`
`DontCareType`         ``_``
=====================  ==========================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from softp4.compiler import ast


class Type:
    """Base of semantic types."""

    @property
    def is_serializable_scalar(self) -> bool:
        return False

    def __str__(self) -> str:
        return type(self).__name__


@dataclass(frozen=True)
class BitsType(Type):
    width: int
    signed: bool = False

    @property
    def is_serializable_scalar(self) -> bool:
        return True

    def __str__(self) -> str:
        return f"{'int' if self.signed else 'bit'}<{self.width}>"


@dataclass(frozen=True)
class VarbitType(Type):
    max_width: int

    def __str__(self) -> str:
        return f"varbit<{self.max_width}>"


@dataclass(frozen=True)
class _Simple(Type):
    name: str

    def __str__(self) -> str:
        return self.name


class InfIntType(_Simple):
    """Arbitrary-precision integer (``int``)."""


class BoolType(_Simple):
    @property
    def is_serializable_scalar(self) -> bool:
        return True


class StringType(_Simple):
    pass


class VoidType(_Simple):
    pass


class ErrorType(_Simple):
    pass


class MatchKindType(_Simple):
    pass


class DontCareType(_Simple):
    pass


class StateType(_Simple):
    """The type of a parser state name."""


class InvalidHeaderType(_Simple):
    """The type of ``{#}`` before its context gives it a header type."""


INT = InfIntType("int")
BOOL = BoolType("bool")
INVALID_HEADER = InvalidHeaderType("{#}")
STRING = StringType("string")
VOID = VoidType("void")
ERROR = ErrorType("error")
MATCH_KIND = MatchKindType("match_kind")
DONTCARE = DontCareType("_")
STATE = StateType("state")


@dataclass(eq=False)
class StructLikeType(Type):
    """A header (`kind` "header"), struct ("struct") or header union ("header_union")."""

    kind: str
    name: str
    fields: list[tuple[str, Type]] = field(default_factory=list)
    decl: ast.StructLikeDecl | None = None

    def field_type(self, name: str) -> Type | None:
        for fname, ftype in self.fields:
            if fname == name:
                return ftype
        return None

    @property
    def is_header(self) -> bool:
        return self.kind == "header"

    @property
    def is_struct(self) -> bool:
        return self.kind == "struct"

    @property
    def is_union(self) -> bool:
        return self.kind == "header_union"

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class StackType(Type):
    element: Type
    size: int

    def __str__(self) -> str:
        return f"{self.element}[{self.size}]"


@dataclass(eq=False)
class EnumType(Type):
    name: str
    members: list[str] = field(default_factory=list)
    underlying: BitsType | None = None
    decl: ast.EnumDecl | None = None
    values: dict[str, int] = field(default_factory=dict)

    @property
    def is_serializable_scalar(self) -> bool:
        return self.underlying is not None

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class EnumValue:
    """The constant value of an enum member (used as `const_value`)."""

    enum: EnumType
    member: str

    @property
    def value(self) -> int | None:
        """The numeric value for a serializable enum member."""
        return self.enum.values.get(self.member)

    def __str__(self) -> str:
        return f"{self.enum.name}.{self.member}"


@dataclass(frozen=True)
class ErrorValue:
    """The constant value of an ``error`` member (used as `const_value`)."""

    member: str

    def __str__(self) -> str:
        return f"error.{self.member}"


@dataclass(eq=False)
class NewType(Type):
    name: str
    base: Type
    decl: ast.NewTypeDecl | None = None

    @property
    def is_serializable_scalar(self) -> bool:
        return self.base.is_serializable_scalar

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class TupleType(Type):
    elements: tuple[Type, ...]

    def __str__(self) -> str:
        return "tuple<" + ", ".join(str(e) for e in self.elements) + ">"


@dataclass(frozen=True)
class StructInitType(Type):
    """An untyped struct initializer ``{f = e, ...}``."""

    fields: tuple[tuple[str, Type], ...]

    def __str__(self) -> str:
        return "{" + ", ".join(f"{n}: {t}" for n, t in self.fields) + "}"


@dataclass(eq=False)
class TypeVar(Type):
    name: str
    decl: ast.TypeParam | None = None

    def __str__(self) -> str:
        return self.name


@dataclass(eq=False)
class ExternType(Type):
    """An extern type, possibly specialized (`type_args` in the order of its type parameters)."""

    decl: ast.ExternDecl
    type_args: tuple[Type, ...] = ()

    @property
    def name(self) -> str:
        return self.decl.name

    def __str__(self) -> str:
        if self.type_args:
            return f"{self.decl.name}<{', '.join(str(t) for t in self.type_args)}>"
        return self.decl.name


@dataclass(eq=False)
class ParserType(Type):
    """A parser type declaration or parser declaration, possibly specialized."""

    decl: ast.ParserTypeDecl | ast.ParserDecl
    type_args: tuple[Type, ...] = ()

    @property
    def name(self) -> str:
        return self.decl.name

    def __str__(self) -> str:
        return self.decl.name


@dataclass(eq=False)
class ControlType(Type):
    decl: ast.ControlTypeDecl | ast.ControlDecl
    type_args: tuple[Type, ...] = ()

    @property
    def name(self) -> str:
        return self.decl.name

    def __str__(self) -> str:
        return self.decl.name


@dataclass(eq=False)
class PackageType(Type):
    decl: ast.PackageTypeDecl
    type_args: tuple[Type, ...] = ()

    @property
    def name(self) -> str:
        return self.decl.name

    def __str__(self) -> str:
        return self.decl.name


@dataclass(eq=False)
class TableType(Type):
    decl: ast.TableDecl

    def __str__(self) -> str:
        return f"table {self.decl.name}"


@dataclass(eq=False)
class ApplyResultType(Type):
    """What ``t.apply()`` returns: has ``hit``, ``miss`` and ``action_run``."""

    table: ast.TableDecl

    def __str__(self) -> str:
        return f"apply_result({self.table.name})"


@dataclass(eq=False)
class ActionEnumType(Type):
    """The type of ``t.apply().action_run``: one of the table's actions."""

    table: ast.TableDecl

    def __str__(self) -> str:
        return f"action_list({self.table.name})"


@dataclass(eq=False)
class ActionType(Type):
    decl: ast.ActionDecl

    def __str__(self) -> str:
        return f"action {self.decl.name}"


@dataclass(eq=False)
class FunctionType(Type):
    """A function, extern function or method used as a value (only to call it)."""

    decl: ast.Declaration

    def __str__(self) -> str:
        return f"function {self.decl.name}"


@dataclass(frozen=True)
class SetType(Type):
    """A keyset of `element` values."""

    element: Type

    def __str__(self) -> str:
        return f"set<{self.element}>"


@dataclass(eq=False)
class TypeTypeRef(Type):
    """The 'type' of an expression that names a type (``error``, an enum name...)."""

    of: Type

    def __str__(self) -> str:
        return f"type {self.of}"


def width_of(t: Type) -> int | None:
    """Width in bits of a fixed-width serializable type (bit/int, bool 1, serializable
    enum, new type of those, header/struct of those), None otherwise."""
    if isinstance(t, BitsType):
        return t.width
    if isinstance(t, BoolType):
        return 1
    if isinstance(t, EnumType):
        return t.underlying.width if t.underlying is not None else None
    if isinstance(t, NewType):
        return width_of(t.base)
    if isinstance(t, StructLikeType) and t.kind in ("header", "struct"):
        total = 0
        for _, ft in t.fields:
            w = width_of(ft)
            if w is None:
                return None
            total += w
        return total
    return None


def underlying_bits(t: Type) -> BitsType | None:
    """The bit/int type a value of `t` is represented as (through new types and
    serializable enums), or None."""
    while True:
        if isinstance(t, BitsType):
            return t
        if isinstance(t, NewType):
            t = t.base
        elif isinstance(t, EnumType) and t.underlying is not None:
            t = t.underlying
        else:
            return None


def is_integral(t: Type) -> bool:
    """bit<W>, int<W> or int."""
    return isinstance(t, BitsType | InfIntType)
