"""The abstract syntax tree of P4-16: dataclass nodes, one per construct.

Every node is a keyword-only dataclass deriving from `Node` and carries `loc`
(a `SourceLocation`, following `# line` markers back to the original files).
Nodes compare and hash by identity (``eq=False``), so they can be dict keys
(the type checker maps uses to declarations).  Fields are added only with
defaults, never removed or renamed: other stages build on these names.

Node families
-------------
Annotations
    `Annotation`: ``@name`` with its body kept exactly as written (`body`,
    the text between the parentheses or brackets, and `tokens`, the body's
    token texts) plus parsed `args` (unstructured expressions) or `kv`
    (``key=value`` pairs) where the body parses as such.  ``@pragma NAME
    rest-of-line`` is the annotation NAME with `pragma` set.  Every
    declaration, parameter, field, key element, action reference, table
    property and const entry has an `annotations` list.

Type references (`TypeRef`)
    Types as written in the source: `BaseTypeRef` (``bool``, ``bit<W>``,
    ``int<W>``, ``int``, ``varbit<W>``, ``string``, ``error``,
    ``match_kind``, ``void``), `NamedTypeRef` (a name, possibly
    ``.``-prefixed), `SpecializedTypeRef` (``register<bit<32>>``),
    `StackTypeRef` (``h_t[4]``), `TupleTypeRef`, `DontCareTypeRef` (``_``).
    The type checker stores the semantic type (`softp4.compiler.types.Type`)
    in each one's `resolved` slot.

Expressions (`Expression`)
    Literals (`IntLiteral`, `BoolLiteral`, `StringLiteral`), names
    (`PathExpr`, with `decl` filled by name resolution), `TypeNameExpr`
    (a type used as a value prefix: ``error.NoError``, ``E.A``,
    ``bit<8>``), `Member`, `Index`, `Slice`, `Unary`, `Binary` (including
    ``++``, ``|+|``, ``|-|``), `Mux` (``?:``), `Cast`, `MethodCall`
    (any call: actions, functions, extern methods, ``isValid``, ``apply``,
    ``extract`` ...; `callee` says what was called once checked),
    `ConstructorCall` (``T(args)`` in an expression), `ListExpr` (``{a, b}``),
    `StructExpr` (``{f = a}``), and the keyset-only forms `Mask` (``&&&``),
    `Range` (``..``), `DefaultExpr` (``default``) and `DontCareExpr` (``_``);
    `InvalidHeaderExpr` (``{#}``).
    Every expression has a `type` slot that the type checker fills, and
    `const_value` for expressions that fold to a compile-time constant.

Statements (`Statement`)
    `AssignmentStatement`, `MethodCallStatement`, `IfStatement`,
    `BlockStatement`, `SwitchStatement` with `SwitchCase`s, `ExitStatement`,
    `ReturnStatement`, `EmptyStatement`, `ForStatement`, `ForInStatement`,
    `BreakStatement`, `ContinueStatement`; `VariableDecl`, `ConstantDecl` and
    `Instantiation` may also stand in a block.

Declarations (`Declaration`, each with `name` and `annotations`)
    Types: `HeaderDecl`, `StructDecl`, `HeaderUnionDecl` (with `StructField`s),
    `EnumDecl` (plain or serializable, with `EnumMember`s), `ErrorDecl`,
    `MatchKindDecl` (members are `DeclId`s), `TypedefDecl`, `NewTypeDecl`
    (``type``), `ExternDecl` (with `MethodDecl`s: constructors, methods,
    abstract methods), `ParserTypeDecl`, `ControlTypeDecl`, `PackageTypeDecl`.
    Objects: `ConstantDecl`, `VariableDecl`, `Instantiation`, `ValueSetDecl`,
    `ExternFunctionDecl`, `FunctionDecl`, `ActionDecl`, `TableDecl`,
    `ParserDecl` (with `ParserState`s; a state's `transition` is a
    `PathExpr` or a `SelectExpr` of `SelectCase`s), `ControlDecl`.
    Parameters are `Param` (direction ``"in" | "out" | "inout" | ""``),
    generic parameters `TypeParam`.

Tables
    `TableDecl.properties` in source order: `KeyProperty` (`KeyElement`s:
    expression, match kind, annotations), `ActionsProperty` (`ActionRef`s:
    an action name or call with annotations), `EntriesProperty` (`Entry`s
    with keyset, action, optional priority), and `ValueProperty` for every
    other ``name = expr;`` (``default_action``, ``size``,
    ``implementation``, ``counters``, ``meters``, ...).  `TableDecl` has
    helpers to find each.

`Program` is the root: the top-level declarations in order.  `walk(node)`
yields a node and all nodes below it; `children(node)` the direct ones.

Semantic slots (filled by `typecheck.check_program`, skipped by `walk`):
`Expression.type` and `.const_value`, `TypeRef.resolved`, `decl` on
`PathExpr`/`Member`/`NamedTypeRef`, `MethodCall.callee`/`.param_decls`/
`.inferred_type_args`, `Instantiation.instance_type`/`.constructor`/
`.param_decls`, `ConstructorCall.constructor`/`.param_decls`,
`KeyElement.match_kind_decl`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from softp4.compiler.errors import BUILTIN, SourceLocation

if TYPE_CHECKING:
    from softp4.compiler.types import Type


@dataclass(eq=False, kw_only=True)
class Node:
    """Base of every AST node."""

    loc: SourceLocation = BUILTIN


# ---------------------------------------------------------------- annotations


@dataclass(eq=False, kw_only=True)
class Annotation(Node):
    """``@name``, ``@name(body)`` or ``@name[body]`` (structured).

    `body` is the text between the delimiters exactly as written (empty for a
    bare ``@name``); `tokens` the texts of its tokens.  `args` holds the body
    parsed as a comma-separated expression list when it parses so (for
    unstructured annotations, e.g. ``@name("x")`` -> [StringLiteral]);
    `kv` the ``key = value`` pairs of a body written so (``@pkginfo(name="x")``,
    ``@anno[k=1]``).
    """

    name: str
    body: str = ""
    tokens: list[str] = field(default_factory=list)
    args: list[Expression] | None = None
    kv: list[tuple[str, Expression]] | None = None
    structured: bool = False
    has_body: bool = False
    #: written as ``@pragma name body`` (the rest of the line): `name` is the word after @pragma
    pragma: bool = False

    @property
    def source(self) -> str:
        """The annotation as written: ``@name`` plus ``(body)`` or ``[body]``."""
        if not self.has_body:
            return "@" + self.name
        if self.structured:
            return f"@{self.name}[{self.body}]"
        return f"@{self.name}({self.body})"

    def string_arg(self) -> str | None:
        """The value of a single string argument (``@name("x")`` -> ``x``), else None."""
        if self.args and len(self.args) == 1 and isinstance(self.args[0], StringLiteral):
            return self.args[0].value
        return None

    def int_arg(self) -> int | None:
        """The value of a single integer argument (``@id(5)`` -> 5), else None."""
        if self.args and len(self.args) == 1 and isinstance(self.args[0], IntLiteral):
            return self.args[0].value
        return None


def find_annotation(annotations: list[Annotation], name: str) -> Annotation | None:
    """The last annotation called `name`, or None."""
    found = None
    for a in annotations:
        if a.name == name:
            found = a
    return found


# -------------------------------------------------------------- type references


@dataclass(eq=False, kw_only=True)
class TypeRef(Node):
    """A type as written.  `resolved` is the semantic type, set by the checker."""

    resolved: Type | None = None


@dataclass(eq=False, kw_only=True)
class BaseTypeRef(TypeRef):
    """``bool``, ``error``, ``match_kind``, ``string``, ``void``, ``int`` (no width:
    arbitrary precision), ``bit<W>``/``int<W>``/``varbit<W>`` (`width` an expression;
    ``bit`` alone is ``bit<1>``)."""

    name: str
    width: Expression | None = None


@dataclass(eq=False, kw_only=True)
class NamedTypeRef(TypeRef):
    """A type name (``ethernet_t``, ``.T``); `decl` is its declaration once resolved."""

    name: str
    dot_prefix: bool = False
    decl: Node | None = None


@dataclass(eq=False, kw_only=True)
class SpecializedTypeRef(TypeRef):
    """A generic type with arguments: ``register<bit<32>>``, ``Checksum16``-like."""

    base: NamedTypeRef
    args: list[TypeRef]


@dataclass(eq=False, kw_only=True)
class StackTypeRef(TypeRef):
    """A header stack ``element[size]``."""

    element: TypeRef
    size: Expression


@dataclass(eq=False, kw_only=True)
class TupleTypeRef(TypeRef):
    """``tuple<T1, T2>``."""

    elements: list[TypeRef]


@dataclass(eq=False, kw_only=True)
class DontCareTypeRef(TypeRef):
    """``_`` as a type argument: to be inferred."""


# ---------------------------------------------------------------- expressions


@dataclass(eq=False, kw_only=True)
class Expression(Node):
    """Base of expressions.  `type` is filled by the type checker; `const_value`
    is the folded value (int, bool, str, or an `EnumValue`-like object of the
    checker) when the expression is a compile-time constant."""

    type: Type | None = None
    const_value: Any = None


@dataclass(eq=False, kw_only=True)
class IntLiteral(Expression):
    """An integer literal.  `width`/`signed` from a ``8w5``/``4s3`` prefix (width None:
    arbitrary-precision ``int``).  `text` is the literal as written."""

    value: int
    width: int | None = None
    signed: bool = False
    text: str = ""


@dataclass(eq=False, kw_only=True)
class BoolLiteral(Expression):
    value: bool


@dataclass(eq=False, kw_only=True)
class StringLiteral(Expression):
    """A string literal; `value` has escapes processed, `text` is as written (with quotes)."""

    value: str
    text: str = ""


@dataclass(eq=False, kw_only=True)
class PathExpr(Expression):
    """A name used as a value.  `decl` is the declaration it refers to once resolved."""

    name: str
    dot_prefix: bool = False
    decl: Node | None = None


@dataclass(eq=False, kw_only=True)
class TypeNameExpr(Expression):
    """A type in expression position: the prefix of ``error.X``, ``E.X``, or a type
    argument-like operand (``bit<8>`` as in ``bit<8>.maxValue``)."""

    type_ref: TypeRef


@dataclass(eq=False, kw_only=True)
class Member(Expression):
    """``expr.member``.  `decl` is the field/member/method declaration once resolved."""

    expr: Expression
    member: str
    decl: Node | None = None


@dataclass(eq=False, kw_only=True)
class Index(Expression):
    """``expr[index]`` (header stacks, tuples)."""

    expr: Expression
    index: Expression


@dataclass(eq=False, kw_only=True)
class Slice(Expression):
    """``expr[hi:lo]``."""

    expr: Expression
    hi: Expression
    lo: Expression


@dataclass(eq=False, kw_only=True)
class Unary(Expression):
    """``!e``, ``~e``, ``-e``, ``+e``."""

    op: str
    operand: Expression


@dataclass(eq=False, kw_only=True)
class Binary(Expression):
    """A binary operator: ``* / % + - |+| |-| << >> <= >= < > != == & ^ | && || ++``."""

    op: str
    left: Expression
    right: Expression


@dataclass(eq=False, kw_only=True)
class Mux(Expression):
    """``cond ? then : else_``."""

    cond: Expression
    then: Expression
    else_: Expression


@dataclass(eq=False, kw_only=True)
class Cast(Expression):
    """``(to) expr``."""

    to: TypeRef
    expr: Expression


@dataclass(eq=False, kw_only=True)
class Argument(Node):
    """One argument of a call: positional (`name` None), named (``name = value``);
    `value` is a `DontCareExpr` for ``_``."""

    value: Expression
    name: str | None = None


@dataclass(eq=False, kw_only=True)
class MethodCall(Expression):
    """A call ``method<type_args>(args)``.  `method` is a `PathExpr` (action,
    function, extern function) or a `Member` (extern method, ``hdr.isValid``,
    ``t.apply``, ``pkt.extract``, ``stack.push_front`` ...).  The checker sets
    `callee` to the called declaration (`ActionDecl`, `FunctionDecl`,
    `ExternFunctionDecl`, `MethodDecl`, `TableDecl`, `ParserDecl`, `ControlDecl`,
    `Instantiation`...) or to a builtin name string (``"isValid"``, ``"setValid"``,
    ``"setInvalid"``, ``"push_front"``, ``"pop_front"``, ``"apply"``, ``"minSizeInBits"`` ...),
    `inferred_type_args` to the types of its generic parameters, and
    `param_decls` to the `Param`s matched to `args` (same order as `args`)."""

    method: Expression
    args: list[Argument] = field(default_factory=list)
    type_args: list[TypeRef] = field(default_factory=list)
    callee: Any = None
    inferred_type_args: list[Type] | None = None
    param_decls: list[Param] | None = None


@dataclass(eq=False, kw_only=True)
class ConstructorCall(Expression):
    """``T(args)`` used as a value (an anonymous instance), e.g. in ``main``'s arguments."""

    type_ref: TypeRef
    args: list[Argument] = field(default_factory=list)
    #: set by the checker: the extern constructor chosen (None for parsers, controls, packages)
    constructor: MethodDecl | None = None
    #: set by the checker: the parameter each argument binds, in argument order
    param_decls: list[Param] | None = None


@dataclass(eq=False, kw_only=True)
class ListExpr(Expression):
    """``{e1, e2, ...}``: a tuple/list/struct initializer or a keyset tuple."""

    elements: list[Expression]


@dataclass(eq=False, kw_only=True)
class NamedExpr(Node):
    """``name = value`` inside a `StructExpr`."""

    name: str
    value: Expression


@dataclass(eq=False, kw_only=True)
class StructExpr(Expression):
    """``{f1 = e1, ...}``; `type_ref` set when written as ``(T){...}``-less typed form."""

    fields: list[NamedExpr]
    type_ref: TypeRef | None = None


@dataclass(eq=False, kw_only=True)
class Mask(Expression):
    """``value &&& mask`` in a keyset."""

    value: Expression
    mask: Expression


@dataclass(eq=False, kw_only=True)
class Range(Expression):
    """``lo .. hi`` in a keyset."""

    lo: Expression
    hi: Expression


@dataclass(eq=False, kw_only=True)
class DefaultExpr(Expression):
    """``default`` (keysets and switch labels)."""


@dataclass(eq=False, kw_only=True)
class InvalidHeaderExpr(Expression):
    """``{#}``: an invalid header (or header union) of the type the context expects."""


@dataclass(eq=False, kw_only=True)
class DontCareExpr(Expression):
    """``_`` (keysets, out arguments)."""


@dataclass(eq=False, kw_only=True)
class SelectCase(Node):
    """``keyset : state;``; `keyset` may be a `ListExpr` for tuple keys."""

    keyset: Expression
    state: PathExpr
    annotations: list[Annotation] = field(default_factory=list)


@dataclass(eq=False, kw_only=True)
class SelectExpr(Expression):
    """``select(keys) { cases }``."""

    keys: list[Expression]
    cases: list[SelectCase]


# ---------------------------------------------------------------- statements


@dataclass(eq=False, kw_only=True)
class Statement(Node):
    """Base of statements."""


@dataclass(eq=False, kw_only=True)
class AssignmentStatement(Statement):
    """``left = right``.  A compound assignment ``left op= e`` has `op` set and `right` the
    ``Binary(op, left, e)`` whose `left` is the very node `left` (evaluated once: P4-16 1.2.4)."""

    left: Expression
    right: Expression
    op: str | None = None


@dataclass(eq=False, kw_only=True)
class MethodCallStatement(Statement):
    call: MethodCall


@dataclass(eq=False, kw_only=True)
class BlockStatement(Statement):
    """``{ ... }``: statements and local declarations, in order."""

    statements: list[Node] = field(default_factory=list)
    annotations: list[Annotation] = field(default_factory=list)


@dataclass(eq=False, kw_only=True)
class IfStatement(Statement):
    cond: Expression
    then: Statement
    else_: Statement | None = None


@dataclass(eq=False, kw_only=True)
class SwitchCase(Node):
    """``label: body`` (`label` a `DefaultExpr` for ``default``); `body` None is a
    fall-through label (``a: b: { ... }``)."""

    label: Expression
    body: BlockStatement | None = None


@dataclass(eq=False, kw_only=True)
class SwitchStatement(Statement):
    """``switch (expr) { cases }``: on ``t.apply().action_run`` or on a value."""

    expr: Expression
    cases: list[SwitchCase]


@dataclass(eq=False, kw_only=True)
class ExitStatement(Statement):
    pass


@dataclass(eq=False, kw_only=True)
class ReturnStatement(Statement):
    value: Expression | None = None


@dataclass(eq=False, kw_only=True)
class ForStatement(Statement):
    """``for (init; cond; update) body`` (P4-16 1.2.4): `init` holds variable declarations,
    assignments and calls; `update` assignments and calls; `cond` None loops until ``break``."""

    body: Statement
    init: list[Node] = field(default_factory=list)
    cond: Expression | None = None
    update: list[Statement] = field(default_factory=list)


@dataclass(eq=False, kw_only=True)
class ForInStatement(Statement):
    """``for (T x in collection) body``: `collection` is a `Range` (``lo .. hi``, both ends
    included) or a header stack; `var` declares ``x``."""

    var: VariableDecl
    collection: Expression
    body: Statement


@dataclass(eq=False, kw_only=True)
class BreakStatement(Statement):
    pass


@dataclass(eq=False, kw_only=True)
class ContinueStatement(Statement):
    pass


@dataclass(eq=False, kw_only=True)
class EmptyStatement(Statement):
    pass


# ---------------------------------------------------------------- declarations


@dataclass(eq=False, kw_only=True)
class Declaration(Node):
    """Base of everything with a name."""

    name: str
    annotations: list[Annotation] = field(default_factory=list)

    def annotation(self, name: str) -> Annotation | None:
        return find_annotation(self.annotations, name)

    @property
    def name_annotation(self) -> str | None:
        """The string of an ``@name("...")`` annotation, if any."""
        a = self.annotation("name")
        return a.string_arg() if a is not None else None


@dataclass(eq=False, kw_only=True)
class DeclId(Declaration):
    """A bare declared identifier: a member of ``error`` or ``match_kind``."""


@dataclass(eq=False, kw_only=True)
class TypeParam(Declaration):
    """A generic type parameter ``T`` of an extern, method, parser, control, function..."""


@dataclass(eq=False, kw_only=True)
class Param(Declaration):
    """A parameter: ``@ann direction type name [= default]``; direction "" is directionless."""

    direction: str
    type_ref: TypeRef
    default: Expression | None = None

    @property
    def optional(self) -> bool:
        return self.annotation("optional") is not None


@dataclass(eq=False, kw_only=True)
class StructField(Declaration):
    type_ref: TypeRef


@dataclass(eq=False, kw_only=True)
class StructLikeDecl(Declaration):
    """Common base of header, struct and header union declarations."""

    fields: list[StructField] = field(default_factory=list)
    type_params: list[TypeParam] = field(default_factory=list)

    def field_named(self, name: str) -> StructField | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None


@dataclass(eq=False, kw_only=True)
class HeaderDecl(StructLikeDecl):
    pass


@dataclass(eq=False, kw_only=True)
class StructDecl(StructLikeDecl):
    pass


@dataclass(eq=False, kw_only=True)
class HeaderUnionDecl(StructLikeDecl):
    pass


@dataclass(eq=False, kw_only=True)
class EnumMember(Declaration):
    """A member of an enum; `value` is its initializer in a serializable enum."""

    value: Expression | None = None


@dataclass(eq=False, kw_only=True)
class EnumDecl(Declaration):
    """``enum [bit<W>] Name { A [= v], ... }``; `underlying` set for serializable enums."""

    members: list[EnumMember] = field(default_factory=list)
    underlying: TypeRef | None = None


@dataclass(eq=False, kw_only=True)
class ErrorDecl(Declaration):
    """``error { A, B }`` (name ``"error"``); several merge into one type."""

    members: list[DeclId] = field(default_factory=list)


@dataclass(eq=False, kw_only=True)
class MatchKindDecl(Declaration):
    """``match_kind { exact, ... }`` (name ``"match_kind"``)."""

    members: list[DeclId] = field(default_factory=list)


@dataclass(eq=False, kw_only=True)
class TypedefDecl(Declaration):
    """``typedef T Name;``: Name is an alias of T."""

    type_ref: TypeRef


@dataclass(eq=False, kw_only=True)
class NewTypeDecl(Declaration):
    """``type T Name;``: Name is a new type represented as T."""

    type_ref: TypeRef


@dataclass(eq=False, kw_only=True)
class MethodDecl(Declaration):
    """A method of an extern.  A constructor has `is_constructor` and `return_type` None;
    an ``abstract`` method has `is_abstract`."""

    params: list[Param] = field(default_factory=list)
    type_params: list[TypeParam] = field(default_factory=list)
    return_type: TypeRef | None = None
    is_constructor: bool = False
    is_abstract: bool = False


@dataclass(eq=False, kw_only=True)
class ExternDecl(Declaration):
    """``extern Name<T...> { constructors; methods; }``."""

    type_params: list[TypeParam] = field(default_factory=list)
    methods: list[MethodDecl] = field(default_factory=list)

    @property
    def constructors(self) -> list[MethodDecl]:
        return [m for m in self.methods if m.is_constructor]

    def methods_named(self, name: str) -> list[MethodDecl]:
        return [m for m in self.methods if m.name == name and not m.is_constructor]


@dataclass(eq=False, kw_only=True)
class ExternFunctionDecl(Declaration):
    """``extern R name<T...>(params);`` at top level."""

    return_type: TypeRef
    params: list[Param] = field(default_factory=list)
    type_params: list[TypeParam] = field(default_factory=list)


@dataclass(eq=False, kw_only=True)
class ParserTypeDecl(Declaration):
    """``parser Name<T...>(params);``."""

    params: list[Param] = field(default_factory=list)
    type_params: list[TypeParam] = field(default_factory=list)


@dataclass(eq=False, kw_only=True)
class ControlTypeDecl(Declaration):
    """``control Name<T...>(params);``."""

    params: list[Param] = field(default_factory=list)
    type_params: list[TypeParam] = field(default_factory=list)


@dataclass(eq=False, kw_only=True)
class PackageTypeDecl(Declaration):
    """``package Name<T...>(params);`` (the params are constructor parameters)."""

    params: list[Param] = field(default_factory=list)
    type_params: list[TypeParam] = field(default_factory=list)


@dataclass(eq=False, kw_only=True)
class ConstantDecl(Declaration):
    """``const T name = value;`` (top level or local)."""

    type_ref: TypeRef
    value: Expression


@dataclass(eq=False, kw_only=True)
class VariableDecl(Declaration):
    """``T name [= init];``."""

    type_ref: TypeRef
    init: Expression | None = None


@dataclass(eq=False, kw_only=True)
class Instantiation(Declaration):
    """``T(args) name [= { abstract method implementations }];``."""

    type_ref: TypeRef
    args: list[Argument] = field(default_factory=list)
    initializer: list[Declaration] | None = None
    #: set by the checker: the type of the instance (type arguments inferred where not written)
    instance_type: Type | None = None
    #: set by the checker: the extern constructor chosen (None for parsers, controls, packages)
    constructor: MethodDecl | None = None
    #: set by the checker: the parameter each argument binds, in argument order
    param_decls: list[Param] | None = None


@dataclass(eq=False, kw_only=True)
class ValueSetDecl(Declaration):
    """``value_set<T>(size) name;`` in a parser."""

    element_type: TypeRef
    size: Expression


@dataclass(eq=False, kw_only=True)
class FunctionDecl(Declaration):
    """``R name<T...>(params) { body }``."""

    return_type: TypeRef
    body: BlockStatement
    params: list[Param] = field(default_factory=list)
    type_params: list[TypeParam] = field(default_factory=list)


@dataclass(eq=False, kw_only=True)
class ActionDecl(Declaration):
    """``action name(params) { body }``; directionless params are control-plane data."""

    body: BlockStatement
    params: list[Param] = field(default_factory=list)


@dataclass(eq=False, kw_only=True)
class KeyElement(Node):
    """``expr : match_kind @annotations;``."""

    expr: Expression
    match_kind: str
    annotations: list[Annotation] = field(default_factory=list)
    match_kind_loc: SourceLocation = BUILTIN
    #: set by the checker: the match_kind member declaration
    match_kind_decl: DeclId | None = None

    @property
    def name_annotation(self) -> str | None:
        a = find_annotation(self.annotations, "name")
        return a.string_arg() if a is not None else None


@dataclass(eq=False, kw_only=True)
class ActionRef(Node):
    """An entry of ``actions = { ... }`` or an entry's action: a name (`expr` a
    `PathExpr`) or a call with arguments (`expr` a `MethodCall`)."""

    expr: Expression
    annotations: list[Annotation] = field(default_factory=list)

    @property
    def name(self) -> str:
        e = self.expr.method if isinstance(self.expr, MethodCall) else self.expr
        return e.name if isinstance(e, PathExpr) else ""

    @property
    def args(self) -> list[Argument]:
        return self.expr.args if isinstance(self.expr, MethodCall) else []


@dataclass(eq=False, kw_only=True)
class TableProperty(Node):
    """Base of table properties."""

    name: str
    annotations: list[Annotation] = field(default_factory=list)
    is_const: bool = False


@dataclass(eq=False, kw_only=True)
class KeyProperty(TableProperty):
    elements: list[KeyElement] = field(default_factory=list)


@dataclass(eq=False, kw_only=True)
class ActionsProperty(TableProperty):
    actions: list[ActionRef] = field(default_factory=list)


@dataclass(eq=False, kw_only=True)
class Entry(Node):
    """A const entry: ``[priority = p :] keyset : action;``."""

    keyset: Expression
    action: ActionRef
    priority: Expression | None = None
    annotations: list[Annotation] = field(default_factory=list)
    is_const: bool = False


@dataclass(eq=False, kw_only=True)
class EntriesProperty(TableProperty):
    """``[const] entries = { ... }``."""

    entries: list[Entry] = field(default_factory=list)


@dataclass(eq=False, kw_only=True)
class ValueProperty(TableProperty):
    """``[const] name = value;`` (default_action, size, implementation, counters, ...)."""

    value: Expression


@dataclass(eq=False, kw_only=True)
class TableDecl(Declaration):
    properties: list[TableProperty] = field(default_factory=list)

    def get_property(self, name: str) -> TableProperty | None:
        for p in self.properties:
            if p.name == name:
                return p
        return None

    @property
    def key(self) -> list[KeyElement]:
        p = self.get_property("key")
        return p.elements if isinstance(p, KeyProperty) else []

    @property
    def actions(self) -> list[ActionRef]:
        p = self.get_property("actions")
        return p.actions if isinstance(p, ActionsProperty) else []

    @property
    def entries(self) -> EntriesProperty | None:
        p = self.get_property("entries")
        return p if isinstance(p, EntriesProperty) else None

    @property
    def default_action(self) -> ValueProperty | None:
        p = self.get_property("default_action")
        return p if isinstance(p, ValueProperty) else None

    def value(self, name: str) -> Expression | None:
        """The value of ``name = value;`` (e.g. ``size``), or None."""
        p = self.get_property(name)
        return p.value if isinstance(p, ValueProperty) else None


@dataclass(eq=False, kw_only=True)
class ParserState(Declaration):
    """``state name { statements transition ...; }``; `transition` is a `PathExpr`,
    a `SelectExpr`, or None (no transition: reject)."""

    statements: list[Node] = field(default_factory=list)
    transition: Expression | None = None


@dataclass(eq=False, kw_only=True)
class ParserDecl(Declaration):
    """``parser Name(params)(ctor_params) { locals states }``."""

    params: list[Param] = field(default_factory=list)
    type_params: list[TypeParam] = field(default_factory=list)
    ctor_params: list[Param] = field(default_factory=list)
    locals: list[Declaration] = field(default_factory=list)
    states: list[ParserState] = field(default_factory=list)


@dataclass(eq=False, kw_only=True)
class ControlDecl(Declaration):
    """``control Name(params)(ctor_params) { locals apply { body } }``."""

    body: BlockStatement
    params: list[Param] = field(default_factory=list)
    type_params: list[TypeParam] = field(default_factory=list)
    ctor_params: list[Param] = field(default_factory=list)
    locals: list[Declaration] = field(default_factory=list)


@dataclass(eq=False, kw_only=True)
class Program(Node):
    """The root: top-level declarations in source order."""

    declarations: list[Declaration] = field(default_factory=list)


# ---------------------------------------------------------------- traversal

_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}
_NOT_CHILDREN = frozenset({"loc", "type", "resolved", "decl", "callee", "const_value", "inferred_type_args",
                           "param_decls", "constructor", "match_kind_decl", "instance_type"})


def _child_fields(cls: type) -> tuple[str, ...]:
    names = _CHILD_FIELDS.get(cls)
    if names is None:
        names = tuple(f.name for f in fields(cls) if f.name not in _NOT_CHILDREN)
        _CHILD_FIELDS[cls] = names
    return names


def children(node: Node) -> Iterator[Node]:
    """The nodes directly below `node`, in field order (semantic slots excluded)."""
    for name in _child_fields(type(node)):
        value = getattr(node, name)
        if isinstance(value, Node):
            yield value
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, Node):
                    yield item
                elif isinstance(item, tuple):
                    for sub in item:
                        if isinstance(sub, Node):
                            yield sub


def walk(node: Node) -> Iterator[Node]:
    """`node` and every node below it, depth first, in source order."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(list(children(n))))
