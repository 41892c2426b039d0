"""What a P4 name denotes during lowering: storage in the BMv2 JSON, a constant, an extern.

The lowering binds every parameter, local and instance of the block being
lowered to one of these.  Storage values say where the data lives in the JSON
(`Field`: one scalar field of a header instance; `Header`, `Stack`, `Union`:
instances; `Struct`: a struct flattened into its members).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from softp4.compiler import ast
from softp4.compiler import types as t

J = dict[str, Any]


class Value:
    """Base of what a name or an lvalue expression denotes."""


@dataclass(eq=False)
class Field(Value):
    """One scalar field: `instance.field` in the JSON."""

    instance: str
    field: str
    type: t.Type

    def json(self) -> J:
        return {"type": "field", "value": [self.instance, self.field]}


@dataclass(eq=False)
class Header(Value):
    """A header instance (valid bit in `$valid$`)."""

    instance: str
    type: t.StructLikeType
    fields: dict[str, Value] = field(default_factory=dict)

    def json(self) -> J:
        return {"type": "header", "value": self.instance}

    def valid_field(self) -> J:
        return {"type": "field", "value": [self.instance, "$valid$"]}


@dataclass(eq=False)
class Union(Value):
    """A header union instance: one header instance per member."""

    name: str
    type: t.StructLikeType
    members: dict[str, Header] = field(default_factory=dict)

    def json(self) -> J:
        return {"type": "header_union", "value": self.name}


@dataclass(eq=False)
class Stack(Value):
    """A header stack (or header union stack)."""

    name: str
    type: t.StackType
    elements: list[Header | Union] = field(default_factory=list)
    is_union: bool = False

    def json(self) -> J:
        return {"type": "header_union_stack" if self.is_union else "header_stack", "value": self.name}


@dataclass(eq=False)
class DynHeader(Value):
    """An element of a stack chosen at run time: `json` is an expression producing a header."""

    stack: Stack
    index: J
    type: t.StructLikeType

    def json(self) -> J:
        return {
            "type": "expression",
            "value": {"op": "dereference_header_stack", "left": self.stack.json(), "right": self.index},
        }


@dataclass(eq=False)
class DynField(Value):
    """A field of a `DynHeader`."""

    header: DynHeader
    offset: int
    type: t.Type

    def json(self) -> J:
        return {
            "type": "expression",
            "value": {"op": "access_field", "left": self.header.json(), "right": self.offset},
        }


@dataclass(eq=False)
class BitSlice(Value):
    """Bits `hi..lo` of a scalar field, as the target of an `out`/`inout` argument (`f[3:0]`)."""

    base: Field | DynField
    hi: int
    lo: int
    type: t.Type


@dataclass(eq=False)
class Struct(Value):
    """A struct (or tuple) flattened: one value per member, in declaration order."""

    type: t.Type
    fields: dict[str, Value] = field(default_factory=dict)


@dataclass(eq=False)
class RuntimeData(Value):
    """A directionless action parameter supplied by the table entry."""

    index: int
    type: t.Type


@dataclass(eq=False)
class Const(Value):
    """A compile-time constant (int, bool, or the numeric code of an error/enum member)."""

    value: int | bool
    type: t.Type


@dataclass(eq=False)
class Expr(Value):
    """An rvalue already lowered to a JSON expression (e.g. an `in` argument)."""

    json: J
    type: t.Type


@dataclass(eq=False)
class ExternInstance(Value):
    """An extern object: counter, meter, register, action profile/selector, checksum..."""

    name: str
    kind: str  # the extern type's name: counter, direct_counter, meter, ...
    decl: ast.Instantiation | None
    type: t.Type | None = None
    info: dict[str, Any] = field(default_factory=dict)


@dataclass(eq=False)
class PacketObj(Value):
    """The packet_in or packet_out parameter."""

    out: bool


@dataclass(eq=False)
class BlockInstance(Value):
    """A parser or control instantiated inside another one (to be inlined on apply)."""

    decl: ast.ParserDecl | ast.ControlDecl
    inst: ast.Instantiation
    prefix: str
    ctor_args: list[Value] = field(default_factory=list)


@dataclass(eq=False)
class ValueSet(Value):
    """A parser value set."""

    name: str
    width: int
