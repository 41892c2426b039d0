"""p4c-compatible external names: the names P4Info and the BMv2 JSON give objects.

p4c generates P4Info after its front end, whose renaming passes decide every
control-plane name.  The rules below are those passes' effect, checked
against p4c's outputs (testdata/p4_16_samples_outputs/*.p4info.txtpb):

Blocks
    Only the parsers and controls instantiated for `main` (and what they
    instantiate) count.  The locals of such a top-level parser or control are
    prefixed with its *type* name (front-end pass HierarchicalNames):
    `control MyIngress { table ipv4_lpm ... }` gives `MyIngress.ipv4_lpm`.
    A control or parser instantiated inside another (`compute() c;`) is
    inlined: its locals are prefixed with the *instance* name, then with the
    enclosing block's prefix: `ingress.c.t`, `ingress.c.add`
    (default-action-arg-bmv2.p4, default_action-bmv2.p4: control `compute`
    instantiated as `c` in control `ingress`).

@name
    `@name("x")` replaces an object's own name and is still prefixed
    (`@name("x")` on a table in `MyIngress` gives `MyIngress.x`);
    `@name(".x")` is absolute: no prefix, and the leading dot is not part of
    the P4Info name.  An instance's `@name` is its prefix for the locals of an
    inlined control.

Actions
    An action declared inside a control is named like any local
    (`IngressI.drop`, action_profile-bmv2.p4).  An action declared at top
    level keeps its global name wherever it is used (p4c copies it into each
    control with an absolute name): `NoAction` (issue1049-bmv2.p4,
    action_profile-bmv2.p4).  Actions used by several tables or controls are
    one P4Info action.

Externs
    Instances declared in a block are named like tables (`MyIngress.cnt`);
    instances declared at top level by their own name.  An instance built in
    place in a table property (`implementation = action_profile(128)`) is
    named by the property's `@name`, exactly, without any prefix: `ap`,
    `ap_ws` (action_profile-bmv2.p4).

Key fields
    The key element's `@name` if present, else a name built from the key
    expression (front-end pass TableKeyNames): paths and members as written
    (`hdr.ipv4.dstAddr`, `meta.x`), a struct field's own `@name` replacing its
    name, `isValid()` as `$valid$` (`hdr.ipv4.$valid$`), stack indices
    `h[1]`, slices `e[7:0]`, masks `e & 0xff`; integer constants keep the base
    they were written in, printed in lower case (`0x`, `0b`, `0o` prefixes),
    without width.  Anything else needs an `@name`.  Key names are never
    prefixed (issue1049-bmv2.p4: `meta.mystruct1.hash1`).

Parameters, header fields
    Their own name, or their `@name`; never prefixed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from softp4.compiler import ast, consteval
from softp4.compiler.errors import CompileError, SourceLocation

__all__ = [
    "Block",
    "NamingError",
    "absolute",
    "action_name",
    "blocks",
    "declared_name",
    "direct_blocks",
    "direct_target",
    "key_expression_name",
    "key_name",
    "local_name",
    "main_instance",
    "nested_blocks",
    "property_instance_name",
    "qualify",
    "top_level_name",
    "type_decl",
]


class NamingError(CompileError):
    """An object p4c could not name for the control plane (a compile error, located)."""

    def __init__(self, message: str, loc: SourceLocation) -> None:
        super().__init__(message, loc)
        self.loc = loc


def declared_name(node: ast.Declaration | ast.TableProperty | ast.Instantiation) -> str:
    """The object's own name as written: its `@name` string, or its identifier.

    May start with a dot (absolute name).
    """
    ann = ast.find_annotation(node.annotations, "name")
    if ann is not None:
        text = ann.string_arg()
        if text is None:
            raise NamingError(f"@name on '{node.name}' needs one string argument", ann.loc)
        if text == "" or text == ".":
            raise NamingError(f"@name on '{node.name}' is empty", ann.loc)
        return text
    return node.name


def absolute(name: str) -> str:
    """A name as P4Info prints it: without its leading dot."""
    return name[1:] if name.startswith(".") else name


def qualify(prefix: str, name: str) -> str:
    """`name` inside a block whose names start with `prefix` ("" at top level)."""
    if name.startswith("."):
        return name[1:]
    return f"{prefix}.{name}" if prefix else name


def local_name(prefix: str, decl: ast.Declaration) -> str:
    """The external name of a table, action, extern instance or value set declared in a block."""
    return qualify(prefix, declared_name(decl))


class AnonymousDigests:
    """Names of digests whose data type has no name (a tuple, `digest(r, { x })`): p4c calls
    them `digest_0`, `digest_1`, ... in the order it meets the calls, one name per call."""

    def __init__(self) -> None:
        self._names: dict[int, str] = {}

    def name(self, call: ast.MethodCall) -> str:
        return self._names.setdefault(id(call), f"digest_{len(self._names)}")


def top_level_name(decl: ast.Declaration) -> str:
    """The external name of something declared at top level (an action, an extern instance)."""
    return absolute(declared_name(decl))


def action_name(prefix: str, action: ast.ActionDecl, top_level: bool) -> str:
    """An action's P4Info name: global for top-level actions, else prefixed."""
    return top_level_name(action) if top_level else local_name(prefix, action)


def property_instance_name(table: ast.TableDecl, prop: ast.TableProperty) -> str:
    """The name of an extern built in place in a table property: the property's `@name`.

    p4c refuses such a property without `@name` (no control-plane name).
    """
    ann = ast.find_annotation(prop.annotations, "name")
    if ann is None:
        raise NamingError(
            f"table '{table.name}': the extern built in place in property '{prop.name}' needs a "
            f'@name("...") annotation to be visible to the control plane',
            prop.loc,
        )
    return absolute(declared_name(prop))


# ---------------------------------------------------------------- blocks


@dataclass(frozen=True, eq=False)
class Block:
    """One instance of a parser or control in the running program.

    prefix: what its locals' names start with (`MyIngress`, `ingress.c`).
    instance: the `Instantiation` that created it, None for `main`'s arguments.
    parent: the block it was instantiated in, None for `main`'s arguments.
    """

    decl: ast.ControlDecl | ast.ParserDecl
    prefix: str
    instance: ast.Instantiation | None = None
    parent: Block | None = None
    #: the constructor arguments it was created with (`main`'s argument or the instantiation's)
    arguments: list[ast.Argument] | None = None

    @property
    def depth(self) -> int:
        return 0 if self.parent is None else self.parent.depth + 1


def main_instance(program: ast.Program) -> ast.Instantiation:
    """The top-level `main` instantiation; NamingError if there is none."""
    for decl in program.declarations:
        if isinstance(decl, ast.Instantiation) and decl.name == "main":
            return decl
    raise NamingError("the program has no 'main' package instance: end it with one, e.g. "
                      "'V1Switch(MyParser(), ..., MyDeparser()) main;'", program.loc)


def type_decl(program: ast.Program, ref: ast.TypeRef) -> ast.Node | None:
    """The declaration a type reference names (resolved by the checker, else looked up)."""
    base = ref.base if isinstance(ref, ast.SpecializedTypeRef) else ref
    if not isinstance(base, ast.NamedTypeRef):
        return None
    if base.decl is not None:
        return base.decl
    for decl in program.declarations:
        if decl.name == base.name and not isinstance(decl, ast.Instantiation):
            return decl
    return None


def _top_level_instance(program: ast.Program, name: str) -> ast.Instantiation | None:
    for decl in program.declarations:
        if isinstance(decl, ast.Instantiation) and decl.name == name:
            return decl
    return None


def _argument_block(program: ast.Program, value: ast.Expression) -> ast.ControlDecl | ast.ParserDecl | None:
    """The parser or control a `main` argument (`MyIngress()` or a top-level instance) denotes."""
    if isinstance(value, ast.ConstructorCall):
        decl = type_decl(program, value.type_ref)
    elif isinstance(value, ast.PathExpr):
        target = value.decl if value.decl is not None else _top_level_instance(program, value.name)
        decl = type_decl(program, target.type_ref) if isinstance(target, ast.Instantiation) else None
    else:
        decl = None
    return decl if isinstance(decl, ast.ControlDecl | ast.ParserDecl) else None


def _specialized(program: ast.Program, value: ast.Expression) -> bool:
    """Whether p4c specializes the control/parser a `main` argument instantiates.

    Front-end pass SpecializeAll copies a parser or control instantiated with
    constant constructor arguments or type arguments into a new declaration with a
    fresh name (`C_0`), and that name is the prefix of its locals.
    """
    if isinstance(value, ast.ConstructorCall):
        ref, args = value.type_ref, value.args
    elif isinstance(value, ast.PathExpr):
        target = value.decl if value.decl is not None else _top_level_instance(program, value.name)
        if not isinstance(target, ast.Instantiation):
            return False
        ref, args = target.type_ref, target.args
    else:
        return False
    if not args and not isinstance(ref, ast.SpecializedTypeRef):
        return False
    return all(isinstance(a.value, ast.IntLiteral | ast.BoolLiteral) or a.value.const_value is not None for a in args)


def _fresh_name(program: ast.Program, base: str, taken: set[str]) -> str:
    used = {d.name for d in program.declarations} | taken
    i = 0
    while f"{base}_{i}" in used:
        i += 1
    taken.add(f"{base}_{i}")
    return f"{base}_{i}"


def nested_blocks(program: ast.Program, block: Block) -> Iterator[Block]:
    """The controls/parsers instantiated in `block`'s locals, as blocks of their own."""
    for local in block.decl.locals:
        if isinstance(local, ast.Instantiation):
            decl = type_decl(program, local.type_ref)
            if isinstance(decl, ast.ControlDecl | ast.ParserDecl):
                yield Block(decl, qualify(block.prefix, declared_name(local)), local, block)


def direct_target(program: ast.Program, block: Block, call: ast.MethodCall) -> ast.ControlDecl | ast.ParserDecl | None:
    """The control/parser type `call` applies directly (`C.apply(...)`), or None."""
    method = call.method
    if not (isinstance(method, ast.Member) and method.member == "apply"):
        return None
    target_expr = method.expr
    target: ast.Node | None = None
    if isinstance(target_expr, ast.TypeNameExpr):
        target = type_decl(program, target_expr.type_ref)
    elif isinstance(target_expr, ast.PathExpr):
        target = target_expr.decl
        if target is None and all(d.name != target_expr.name for d in block.decl.locals):
            target = next(
                (
                    d
                    for d in program.declarations
                    if d.name == target_expr.name and isinstance(d, ast.ControlDecl | ast.ParserDecl)
                ),
                None,
            )
    return target if isinstance(target, ast.ControlDecl | ast.ParserDecl) else None


def direct_blocks(program: ast.Program, block: Block) -> list[Block]:
    """Controls/parsers applied by their type name (`C.apply(...)`, no instance) in `block`.

    p4c instantiates each one at the end of the block's locals and names the instance
    after the type, so its locals are `<prefix>.C.x` (issue1566-bmv2.p4:
    `cIngress.E.c1.stats`; actions-almost-duplicate-names1-frontend.p4: `ingressImpl.c1.t2`).
    """
    nodes: list[ast.Node] = [block.decl.body] if isinstance(block.decl, ast.ControlDecl) else list(block.decl.states)
    found: dict[int, Block] = {}
    for node in nodes:
        for n in ast.walk(node):
            if isinstance(n, ast.MethodCall):
                target = direct_target(program, block, n)
                if target is not None and id(target) not in found:
                    found[id(target)] = Block(target, qualify(block.prefix, declared_name(target)), None, block)
    return list(found.values())


def _in_parameter_order(program: ast.Program, main: ast.Instantiation) -> list[ast.Argument]:
    """`main`'s arguments in the package's parameter order (p4c orders named arguments so)."""
    if not any(arg.name for arg in main.args):
        return list(main.args)
    package = type_decl(program, main.type_ref)
    if not isinstance(package, ast.PackageTypeDecl):
        return list(main.args)
    position = {p.name: i for i, p in enumerate(package.params)}
    return sorted(main.args, key=lambda a: position.get(a.name or "", len(position)))


def blocks(program: ast.Program) -> list[Block]:
    """Every parser/control instance reachable from `main`, each top-level block followed by
    the blocks inlined into it (depth first, in declaration order).  Top-level blocks come in
    the package's parameter order, also when `main` names its arguments in another order."""
    main = main_instance(program)
    out: list[Block] = []

    def visit(block: Block) -> None:
        out.append(block)
        for child in nested_blocks(program, block):
            visit(child)
        for child in direct_blocks(program, block):
            visit(child)

    fresh: set[str] = set()
    for arg in _in_parameter_order(program, main):
        decl = _argument_block(program, arg.value)
        if decl is not None:
            prefix = _fresh_name(program, decl.name, fresh) if _specialized(program, arg.value) else decl.name
            visit(Block(decl, prefix, arguments=_argument_constructor_args(program, arg.value)))
    return out


def _argument_constructor_args(program: ast.Program, value: ast.Expression) -> list[ast.Argument]:
    if isinstance(value, ast.ConstructorCall):
        return list(value.args)
    if isinstance(value, ast.PathExpr):
        target = value.decl if value.decl is not None else _top_level_instance(program, value.name)
        if isinstance(target, ast.Instantiation):
            return list(target.args)
    return []


def constructor_value(block: Block, expr: ast.Expression) -> int | bool | None:
    """The compile-time value of `expr` written in `block`, where the block's constructor
    parameters stand for the arguments it was created with (following enclosing blocks)."""

    def lookup(p: ast.PathExpr) -> int | bool | None:
        decl = p.decl
        if not isinstance(decl, ast.Param) or decl not in block.decl.ctor_params:
            return None
        args = block.instance.args if block.instance is not None else (block.arguments or [])
        named = {a.name: a.value for a in args if a.name is not None}
        index = block.decl.ctor_params.index(decl)
        if decl.name in named:
            arg = named[decl.name]
        elif not named and index < len(args):
            arg = args[index].value
        elif decl.default is not None:
            return constructor_value(block, decl.default)
        else:
            return None
        if block.parent is None:
            return consteval.evaluate(arg, lambda _p: None)
        return constructor_value(block.parent, arg)

    return consteval.evaluate(expr, lookup)


# ---------------------------------------------------------------- key names


def _int_text(lit: ast.IntLiteral) -> str:
    """An integer constant as p4c prints it in a key name: its base kept, no width."""
    text = lit.text.replace("_", "")
    for sep in ("w", "s"):
        head, found, tail = text.partition(sep)
        if found and head.isdigit():
            text = tail
            break
    lowered = text.lower()
    value = lit.value
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    if lowered.startswith("0x"):
        return f"{sign}0x{magnitude:x}"
    if lowered.startswith("0b"):
        return f"{sign}0b{magnitude:b}"
    if lowered.startswith("0o"):
        return f"{sign}0o{magnitude:o}"
    return f"{sign}{magnitude}"


def _field_name(member: ast.Member) -> str:
    decl = member.decl
    if isinstance(decl, ast.StructField):
        return declared_name(decl)
    return member.member


def key_expression_name(expr: ast.Expression) -> str | None:
    """The name p4c derives from a key expression, or None if it needs an `@name`."""
    if isinstance(expr, ast.PathExpr):
        return ("." if expr.dot_prefix else "") + expr.name
    if isinstance(expr, ast.Member):
        fname = _field_name(expr)
        if fname.startswith("."):
            return fname[1:]
        left = key_expression_name(expr.expr)
        return None if left is None else f"{left}.{fname}"
    if isinstance(expr, ast.Index):
        left = key_expression_name(expr.expr)
        right = key_expression_name(expr.index)
        return None if left is None or right is None else f"{left}[{right}]"
    if isinstance(expr, ast.IntLiteral):
        return _int_text(expr)
    if isinstance(expr, ast.Slice):
        e0 = key_expression_name(expr.expr)
        hi = key_expression_name(expr.hi)
        lo = key_expression_name(expr.lo)
        return None if e0 is None or hi is None or lo is None else f"{e0}[{hi}:{lo}]"
    if isinstance(expr, ast.Binary) and expr.op == "&":
        left = key_expression_name(expr.left)
        right = key_expression_name(expr.right)
        return None if left is None or right is None else f"{left} & {right}"
    if isinstance(expr, ast.MethodCall):
        method = expr.method
        if isinstance(method, ast.Member) and method.member == "isValid" and not expr.args:
            left = key_expression_name(method.expr)
            return None if left is None else f"{left}.$valid$"
    return None


def key_name(element: ast.KeyElement) -> str:
    """A key field's P4Info name; NamingError for a complex expression without `@name`."""
    ann = ast.find_annotation(element.annotations, "name")
    if ann is not None:
        text = ann.string_arg()
        if text is None:
            raise NamingError("@name on a key element needs one string argument", ann.loc)
        return text
    name = key_expression_name(element.expr)
    if name is None:
        raise NamingError("complex key expression requires a @name annotation", element.expr.loc)
    return name
