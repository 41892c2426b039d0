"""A neutral description of a program's control-plane API: everything P4Info needs, no ids.

The front end (`from_program.py`) fills a `P4InfoModel` with objects in the
order p4c lists them; `build.build_p4info` turns it into a `p4.config.v1.P4Info`
message, assigning ids (`ids.py`) and aliases.  Every name here is the fully
qualified P4Info name (see `softp4.compiler.names`), without a leading dot, and
every reference between objects (a table's actions, a direct counter's table)
is by that name.

Annotations are kept as written: `Annotation.text` is what P4Info prints in an
`annotations` field.  `@name`, `@id`, `@brief` and `@description` are kept too:
the builder takes ids and documentation from them and does not print them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "Action",
    "ActionCall",
    "ActionProfile",
    "ActionRef",
    "Annotation",
    "AnnotationValue",
    "BitsType",
    "BoolType",
    "ControllerHeader",
    "Counter",
    "Digest",
    "DirectCounter",
    "DirectMeter",
    "EnumDef",
    "ErrorType",
    "HeaderDef",
    "HeaderUnionDef",
    "MatchField",
    "Meter",
    "NamedType",
    "NewTypeDef",
    "P4InfoModel",
    "PacketMetadata",
    "Param",
    "Register",
    "SerEnumDef",
    "StackType",
    "StructDef",
    "Symbol",
    "Table",
    "TupleType",
    "TypeInfo",
    "TypeRef",
    "ValueSet",
    "VarbitType",
]

AnnotationValue = str | int | bool


@dataclass(frozen=True)
class Annotation:
    """One P4 annotation.

    text: the annotation as P4Info prints it, e.g. `@noWarn("unused")`.
    args: the values of its arguments when they are literals (`@id(5)` -> (5,),
        `@brief("x")` -> ("x",)); empty otherwise.
    structured: True for `@name[...]` annotations, which P4Info lists under
        `structured_annotations`, with `args` (an expression list) or `kv`.
    """

    name: str
    text: str
    args: tuple[AnnotationValue, ...] = ()
    structured: bool = False
    kv: tuple[tuple[str, AnnotationValue], ...] = ()


# ---------------------------------------------------------------- types (p4types.proto)


@dataclass(frozen=True)
class BitsType:
    """bit<W> (signed=False) or int<W> (signed=True)."""

    width: int
    signed: bool = False


@dataclass(frozen=True)
class VarbitType:
    max_width: int


@dataclass(frozen=True)
class BoolType:
    pass


@dataclass(frozen=True)
class ErrorType:
    pass


NamedKind = Literal["struct", "header", "header_union", "enum", "serializable_enum", "new_type"]


@dataclass(frozen=True)
class NamedType:
    """A reference to a user type described in `TypeInfo`, by kind and name."""

    kind: NamedKind
    name: str


@dataclass(frozen=True)
class StackType:
    """A header stack (`header[size]`) or header union stack."""

    element: NamedType
    size: int


@dataclass(frozen=True)
class TupleType:
    members: tuple[TypeRef, ...]


TypeRef = BitsType | VarbitType | BoolType | ErrorType | NamedType | StackType | TupleType


@dataclass
class StructDef:
    name: str
    members: list[tuple[str, TypeRef]]
    annotations: list[Annotation] = field(default_factory=list)


@dataclass
class HeaderDef:
    name: str
    members: list[tuple[str, BitsType | VarbitType]]
    annotations: list[Annotation] = field(default_factory=list)


@dataclass
class HeaderUnionDef:
    name: str
    members: list[tuple[str, str]]  # member name, header type name
    annotations: list[Annotation] = field(default_factory=list)


@dataclass
class EnumDef:
    name: str
    members: list[str]
    annotations: list[Annotation] = field(default_factory=list)


@dataclass
class SerEnumDef:
    name: str
    width: int
    members: list[tuple[str, int]]
    annotations: list[Annotation] = field(default_factory=list)


@dataclass
class NewTypeDef:
    """`type T` declaration: either the original type, or a `@p4runtime_translation`."""

    name: str
    original: TypeRef | None = None
    translation_uri: str | None = None
    translation_bitwidth: int | None = None  # None with a uri: the SDN type is a string
    annotations: list[Annotation] = field(default_factory=list)


@dataclass
class TypeInfo:
    """The user types P4Info describes (only those the control plane can see)."""

    structs: dict[str, StructDef] = field(default_factory=dict)
    headers: dict[str, HeaderDef] = field(default_factory=dict)
    header_unions: dict[str, HeaderUnionDef] = field(default_factory=dict)
    enums: dict[str, EnumDef] = field(default_factory=dict)
    serializable_enums: dict[str, SerEnumDef] = field(default_factory=dict)
    new_types: dict[str, NewTypeDef] = field(default_factory=dict)
    errors: list[str] | None = None  # the error members, when an error type is referenced


# ---------------------------------------------------------------- P4Info objects


@dataclass
class MatchField:
    """A table key element or a value-set field.

    match_type: exact, lpm, ternary, range, optional, or another match_kind name
    (printed as `other_match_type`).  type_name: the user type name when the key
    is a `type` (new type) or serializable enum.  An `@id` annotation is honoured.
    """

    name: str
    bitwidth: int
    match_type: str
    annotations: list[Annotation] = field(default_factory=list)
    type_name: str | None = None


@dataclass
class ActionRef:
    """An entry of a table's `actions` list; `@tableonly`/`@defaultonly` give its scope."""

    action: str
    annotations: list[Annotation] = field(default_factory=list)


@dataclass
class ActionCall:
    """An action with its argument values (in parameter order)."""

    action: str
    args: list[int] = field(default_factory=list)


@dataclass
class Table:
    name: str
    match_fields: list[MatchField] = field(default_factory=list)
    action_refs: list[ActionRef] = field(default_factory=list)
    size: int = 1024
    const_default_action: str | None = None
    initial_default_action: ActionCall | None = None
    implementation: str | None = None  # action profile / selector name
    direct_resources: list[str] = field(default_factory=list)  # direct counter / meter names
    idle_timeout: bool = False
    is_const_table: bool = False
    has_initial_entries: bool = False
    annotations: list[Annotation] = field(default_factory=list)


@dataclass
class Param:
    """An action parameter; bitwidth None for a plain enum (then type_name is set)."""

    name: str
    bitwidth: int | None
    annotations: list[Annotation] = field(default_factory=list)
    type_name: str | None = None


@dataclass
class Action:
    name: str
    params: list[Param] = field(default_factory=list)
    annotations: list[Annotation] = field(default_factory=list)


@dataclass
class ActionProfile:
    name: str
    tables: list[str] = field(default_factory=list)
    with_selector: bool = False
    size: int = 0
    max_group_size: int = 0
    annotations: list[Annotation] = field(default_factory=list)
    size_semantics: str = ""  # @selector_size_semantics: "", "sum_of_weights" or "sum_of_members"
    max_member_weight: int = 0  # @max_member_weight, with sum_of_members only


CounterUnit = Literal["unspecified", "bytes", "packets", "both"]
MeterUnit = Literal["unspecified", "bytes", "packets"]


@dataclass
class Counter:
    name: str
    unit: CounterUnit
    size: int
    index_type_name: str | None = None
    annotations: list[Annotation] = field(default_factory=list)


@dataclass
class DirectCounter:
    name: str
    unit: CounterUnit
    table: str
    annotations: list[Annotation] = field(default_factory=list)


@dataclass
class Meter:
    name: str
    unit: MeterUnit
    size: int
    index_type_name: str | None = None
    annotations: list[Annotation] = field(default_factory=list)


@dataclass
class DirectMeter:
    name: str
    unit: MeterUnit
    table: str
    annotations: list[Annotation] = field(default_factory=list)


@dataclass
class Register:
    name: str
    type_spec: TypeRef
    size: int
    index_type_name: str | None = None
    annotations: list[Annotation] = field(default_factory=list)


@dataclass
class Digest:
    """A `digest<T>(receiver, data)` call site; the name is T's name."""

    name: str
    type_spec: TypeRef
    annotations: list[Annotation] = field(default_factory=list)


@dataclass
class ValueSet:
    name: str
    match: list[MatchField]
    size: int
    annotations: list[Annotation] = field(default_factory=list)


@dataclass
class PacketMetadata:
    name: str
    bitwidth: int
    annotations: list[Annotation] = field(default_factory=list)
    type_name: str | None = None


@dataclass
class ControllerHeader:
    """A header type annotated `@controller_header("packet_in")`.

    name: the annotation's string (P4Info name and alias); type_name: the header
    type's name, which is what the id is hashed from.
    """

    name: str
    type_name: str
    metadata: list[PacketMetadata] = field(default_factory=list)
    annotations: list[Annotation] = field(default_factory=list)


@dataclass(frozen=True)
class Symbol:
    """A name that takes an id and counts for aliases without being printed (e.g. a @hidden table)."""

    kind: str  # one of ids.Kind's member names, lower case: "table", "action", ...
    name: str
    explicit_id: int | None = None


@dataclass
class P4InfoModel:
    """Everything P4Info says about a program, objects in the order P4Info lists them."""

    arch: str = "v1model"
    pkg_annotations: list[Annotation] = field(default_factory=list)
    pkg_info: dict[str, str] = field(default_factory=dict)  # @pkginfo keys: name, version, ...
    # @platform_property keys (multicast_group_table_size, ...); None without the annotation
    platform_properties: dict[str, int] | None = None
    tables: list[Table] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    action_profiles: list[ActionProfile] = field(default_factory=list)
    counters: list[Counter] = field(default_factory=list)
    direct_counters: list[DirectCounter] = field(default_factory=list)
    meters: list[Meter] = field(default_factory=list)
    direct_meters: list[DirectMeter] = field(default_factory=list)
    controller_headers: list[ControllerHeader] = field(default_factory=list)
    value_sets: list[ValueSet] = field(default_factory=list)
    registers: list[Register] = field(default_factory=list)
    digests: list[Digest] = field(default_factory=list)
    type_info: TypeInfo = field(default_factory=TypeInfo)
    # p4c writes a type_info (empty or not) once its serializer has looked at anything that may
    # carry a user type: a table, an action parameter, a packet-metadata field, an extern
    # instance, an extern function call in a control. Otherwise P4Info has no type_info at all.
    type_info_written: bool = False
    hidden_symbols: list[Symbol] = field(default_factory=list)
