"""The P4-16 parser: tokens -> `ast.Program`, by hand-written recursive descent.

`parse(text, file)` lexes and parses a preprocessed program; `Parser` does the
work.  The grammar follows the P4-16 language specification.  P4 needs to
know whether an identifier names a type (``T(x) y;`` declares an instance,
``f(x);`` calls a function), so the parser keeps the set of type names
declared so far (headers, structs, unions, enums, typedefs, new types,
externs, parsers, controls, packages) and a stack of generic type parameters
in scope; that is the "lexer feedback" of the specification.

Expressions are parsed by precedence climbing with P4's table (from lowest):
``?:``, ``||``, ``&&``, ``== !=``, ``< > <= >=``, ``|``, ``^``, ``&``,
``<< >>``, ``++ + - |+| |-|``, ``* / %``, prefix ``! ~ - +``, and postfix
``.``, ``[]``, ``()``.  Keyset expressions add ``&&&``, ``..``, ``default``
and ``_``.

A syntax error raises `CompileError` at the offending token:
``prog.p4:3:9: error: expected ';' but found 'x'``.
"""

from __future__ import annotations

from softp4.compiler import ast
from softp4.compiler import types as T
from softp4.compiler.errors import CompileError, SourceLocation, deep_recursion, unsupported
from softp4.compiler.lexer import Token, tokenize

_BASE_TYPE_KW = frozenset({"bit", "int", "varbit", "bool", "error", "string", "void", "match_kind", "tuple"})

_COMPOUND = frozenset({"+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", "|+|=", "|-|="})

_BINARY_PREC = {
    "||": 1, "&&": 2, "==": 3, "!=": 3, "<": 4, ">": 4, "<=": 4, ">=": 4,
    "|": 5, "^": 6, "&": 7, "<<": 8, ">>": 8,
    "++": 9, "+": 9, "-": 9, "|+|": 9, "|-|": 9, "*": 10, "/": 10, "%": 10,
}  # fmt: skip

_DIRECTIONS = frozenset({"in", "out", "inout"})


def _type_literal(e: ast.Expression) -> None:
    """Annotation arguments are not type checked; literals among them get their type
    and value here, so every literal in the tree is typed."""
    for n in ast.walk(e):
        if isinstance(n, ast.StringLiteral):
            n.type, n.const_value = T.STRING, n.value
        elif isinstance(n, ast.BoolLiteral):
            n.type, n.const_value = T.BOOL, n.value
        elif isinstance(n, ast.IntLiteral):
            n.type = T.INT if n.width is None else T.BitsType(n.width, n.signed)
            n.const_value = n.value


def _describe(tok: Token) -> str:
    if tok.kind == "EOF":
        return "end of file"
    return f"'{tok.text}'"


class Parser:
    """Recursive-descent parser over a token list."""

    def __init__(self, tokens: list[Token], text: str, type_names: set[str] | None = None) -> None:
        self.toks = tokens
        self.text = text
        self.pos = 0
        self.type_names: set[str] = type_names if type_names is not None else set()
        self.type_scopes: list[set[str]] = []
        #: declarations found inside another one (typedef of an inline type), placed before it
        self.pending: list[ast.Declaration] = []
        #: names of parameters and locals in the open scopes that hide a type name, and counts
        self.value_scopes: list[list[str]] = []
        self.shadowed: dict[str, int] = {}

    # ------------------------------------------------------------ token helpers

    @property
    def tok(self) -> Token:
        return self.toks[self.pos]

    def peek(self, k: int = 1) -> Token:
        i = self.pos + k
        return self.toks[i] if i < len(self.toks) else self.toks[-1]

    def advance(self) -> Token:
        t = self.toks[self.pos]
        if t.kind != "EOF":
            self.pos += 1
        return t

    def at(self, kind: str) -> bool:
        return self.toks[self.pos].kind == kind

    def at_word(self, word: str) -> bool:
        t = self.toks[self.pos]
        return t.kind == "ID" and t.text == word

    def accept(self, kind: str) -> Token | None:
        t = self.toks[self.pos]
        if t.kind == kind:
            self.pos += 1
            return t
        return None

    def expect(self, kind: str, what: str | None = None) -> Token:
        t = self.toks[self.pos]
        if t.kind == kind:
            self.pos += 1
            return t
        raise self.error_expected(what or f"'{kind}'" if kind != "ID" else what or "an identifier")

    def unknown_type_or_expected(self, what: str) -> CompileError:
        """At a declaration: "unknown type 'T'" when the tokens read like ``T x`` or
        ``T(args)`` with an undeclared T, else "expected <what>"."""
        t = self.tok
        if t.kind == "ID" and self.peek().kind in ("ID", "(", "<"):
            return CompileError(f"unknown type '{t.text}'", t.loc)
        return self.error_expected(what)

    def error_expected(self, what: str) -> CompileError:
        return CompileError(f"expected {what} but found {_describe(self.tok)}", self.tok.loc)

    def expect_name(self, what: str = "a name") -> Token:
        """An identifier (type names and contextual keywords included)."""
        t = self.tok
        if t.kind == "ID":
            self.pos += 1
            return t
        raise self.error_expected(what)

    # ------------------------------------------------------------ type names

    def is_type_name(self, name: str) -> bool:
        if self.type_scopes and any(name in scope for scope in self.type_scopes):
            return True
        if self.shadowed.get(name):
            return False  # a parameter or local of that name hides the type, as in p4c
        return name in self.type_names

    def open_values(self) -> None:
        """Start a scope of parameters and locals (they may hide type names)."""
        self.value_scopes.append([])

    def close_values(self) -> None:
        for name in self.value_scopes.pop():
            self.shadowed[name] -= 1

    def declare_value(self, name: str) -> None:
        """A parameter or local named `name`: inside its scope, `name` is not a type."""
        if self.value_scopes and name in self.type_names:
            self.value_scopes[-1].append(name)
            self.shadowed[name] = self.shadowed.get(name, 0) + 1

    def declare_type(self, name: str) -> None:
        self.type_names.add(name)

    def starts_type(self, k: int = 0) -> bool:
        t = self.peek(k) if k else self.tok
        if t.kind in _BASE_TYPE_KW:
            return True
        if t.kind == "ID":
            return self.is_type_name(t.text)
        if t.kind == ".":
            n = self.peek(k + 1)
            return n.kind == "ID" and self.is_type_name(n.text)
        return False

    def push_type_params(self, params: list[ast.TypeParam]) -> None:
        self.type_scopes.append({p.name for p in params})

    # ------------------------------------------------------------ program

    def parse_program(self) -> ast.Program:
        decls: list[ast.Declaration] = []
        while not self.at("EOF"):
            d = self.top_declaration()
            if self.pending:
                decls.extend(self.pending)
                self.pending.clear()
            if d is not None:
                decls.append(d)
        # the program's place is the end of the user's file (its first token may be in an #include)
        return ast.Program(loc=self.tok.loc, declarations=decls)

    def top_declaration(self) -> ast.Declaration | None:
        if self.accept(";"):
            return None
        annos = self.annotations()
        t = self.tok
        k = t.kind
        if k == "const":
            return self.constant_decl(annos)
        if k == "extern":
            return self.extern_decl(annos)
        if k == "action":
            return self.action_decl(annos)
        if k == "parser":
            return self.parser_decl(annos)
        if k == "control":
            return self.control_decl(annos)
        if k == "package":
            return self.package_decl(annos)
        if k in ("header", "struct", "header_union"):
            return self.struct_like_decl(annos)
        if k == "enum":
            return self.enum_decl(annos)
        if k == "error" and self.peek().kind == "{":
            return self.error_decl(annos)
        if k == "match_kind" and self.peek().kind == "{":
            return self.match_kind_decl(annos)
        if k == "typedef":
            return self.typedef_decl(annos)
        if t.kind == "ID" and t.text == "type" and self.starts_type(1):
            return self.newtype_decl(annos)
        if k == "ID" and not self.is_type_name(t.text) and self.peek().kind == "ID" \
                and self.peek(2).kind in ("(", "<"):
            # R f<R>(...) { } with a generic return type declared after it
            return self.function_decl(annos)
        if k == "void":
            return self.function_decl(annos)
        if self.starts_type():
            return self.typed_declaration(annos, top=True)
        if k == "table":
            raise CompileError("a table must be declared inside a control", t.loc)
        if k in ("for", "this"):
            raise unsupported(f"'{k}'", t.loc)
        raise self.unknown_type_or_expected("a declaration")

    def typed_declaration(self, annos: list[ast.Annotation], top: bool = False) -> ast.Declaration:
        """A declaration that starts with a type: variable, instantiation or (top level) function."""
        loc = self.tok.loc
        type_ref = self.type_ref()
        if self.at("("):
            return self.instantiation(annos, type_ref, loc)
        name = self.expect_name()
        if top and self.tok.kind in ("(", "<"):
            self.pos -= 1
            return self.function_rest(annos, type_ref, loc)
        init = None
        if self.accept("="):
            init = self.expression()
        self.expect(";")
        self.declare_value(name.text)
        return ast.VariableDecl(loc=name.loc, name=name.text, annotations=annos, type_ref=type_ref, init=init)

    def instantiation(self, annos: list[ast.Annotation], type_ref: ast.TypeRef,
                      loc: SourceLocation) -> ast.Instantiation:
        args = self.arguments()
        name = self.expect_name("an instance name")
        self.declare_value(name.text)
        initializer: list[ast.Declaration] | None = None
        if self.accept("="):
            self.expect("{")
            initializer = []
            while not self.accept("}"):
                if self.at("EOF"):
                    raise self.error_expected("'}'")
                a = self.annotations()
                if self.starts_type() or self.at("ID"):
                    initializer.append(self.function_decl(a))
                else:
                    raise self.error_expected("a method implementation")
        self.expect(";")
        return ast.Instantiation(loc=name.loc, name=name.text, annotations=annos, type_ref=type_ref, args=args,
                                 initializer=initializer)

    # ------------------------------------------------------------ annotations

    def annotations(self) -> list[ast.Annotation]:
        if not self.at("@"):
            return []
        out: list[ast.Annotation] = []
        while self.at("@"):
            out.append(self.annotation())
        return out

    def annotation(self) -> ast.Annotation:
        at = self.advance()
        t = self.tok
        if t.kind != "ID" and not t.kind.isalpha() and t.kind not in ("int", "bit"):
            raise self.error_expected("an annotation name")
        if t.kind in ("EOF", "STRING", "INT"):
            raise self.error_expected("an annotation name")
        self.advance()
        name = t.text
        if name == "pragma" and not self.at("("):
            # "@pragma name args..." (the rest of the line) is the annotation @name(args...)
            line_toks: list[Token] = []
            while self.tok.kind != "EOF" and self.tok.loc.line == t.loc.line and self.tok.loc.file == t.loc.file:
                line_toks.append(self.advance())
            if not line_toks:
                raise CompileError("@pragma needs a name", t.loc)
            pname = line_toks[0]
            body_toks: list[Token] = line_toks[1:]
            body = self.text[body_toks[0].start:body_toks[-1].end] if body_toks else ""
            return ast.Annotation(loc=at.loc, name=pname.text, body=body, tokens=[x.text for x in body_toks],
                                  has_body=bool(body_toks), pragma=True)
        if self.at("(") or self.at("["):
            open_tok = self.advance()
            close = ")" if open_tok.kind == "(" else "]"
            depth = 0
            body_toks = []
            while True:
                c = self.tok
                if c.kind == "EOF":
                    raise CompileError(f"unterminated annotation @{name}: missing '{close}'", open_tok.loc)
                if c.kind in ("(", "[", "{"):
                    depth += 1
                elif c.kind in (")", "]", "}"):
                    if depth == 0:
                        if c.kind != close:
                            raise self.error_expected(f"'{close}'")
                        break
                    depth -= 1
                body_toks.append(c)
                self.advance()
            close_tok = self.advance()
            body = self.text[open_tok.end:close_tok.start]
            ann = ast.Annotation(loc=at.loc, name=name, body=body, tokens=[x.text for x in body_toks],
                                 structured=close == "]", has_body=True)
            if body_toks:
                self.parse_annotation_args(ann, body_toks)
            else:
                ann.args = []
                if close == "]":
                    ann.kv = []
            return ann
        return ast.Annotation(loc=at.loc, name=name)

    def parse_annotation_args(self, ann: ast.Annotation, body: list[Token]) -> None:
        last = body[-1]
        eof = Token("EOF", "end of file", last.loc, last.end, last.end)
        sub = Parser([*body, eof], self.text, self.type_names)
        sub.type_scopes = self.type_scopes
        try:
            if sub.at("ID") and sub.peek().kind == "=":
                # key=value pairs: structured [k=v], and unstructured bodies such as @pkginfo(k=v)
                kv: list[tuple[str, ast.Expression]] = []
                while True:
                    key = sub.expect_name()
                    sub.expect("=")
                    kv.append((key.text, sub.expression()))
                    if not sub.accept(","):
                        break
                if sub.at("EOF"):
                    ann.kv = kv
                    for _, v in kv:
                        _type_literal(v)
                return
            args = [sub.expression()]
            while sub.accept(","):
                args.append(sub.expression())
            if sub.at("EOF"):
                ann.args = args
                for a in args:
                    _type_literal(a)
        except CompileError:
            pass

    # ------------------------------------------------------------ types

    def type_ref(self, allow_void: bool = False) -> ast.TypeRef:
        t = self.tok
        k = t.kind
        loc = t.loc
        if k in ("bit", "int", "varbit"):
            self.advance()
            width: ast.Expression | None = None
            if self.at("<"):
                self.advance()
                width = self.width_expression()
                self.expect_close_angle()
            elif k == "varbit":
                raise self.error_expected("'<'")
            elif k == "bit":
                width = ast.IntLiteral(loc=loc, value=1, text="1")
            ref: ast.TypeRef = ast.BaseTypeRef(loc=loc, name=k, width=width)
        elif k in ("bool", "error", "string", "match_kind"):
            self.advance()
            ref = ast.BaseTypeRef(loc=loc, name=k)
        elif k == "void":
            self.advance()
            if not allow_void:
                raise CompileError("'void' is not allowed here", loc)
            return ast.BaseTypeRef(loc=loc, name="void")
        elif k == "tuple":
            self.advance()
            self.expect("<")
            elems = self.type_args_rest()
            ref = ast.TupleTypeRef(loc=loc, elements=elems)
        elif k == "ID" and t.text == "_":
            self.advance()
            return ast.DontCareTypeRef(loc=loc)
        elif k == "ID" or k == ".":
            dot = self.accept(".") is not None
            name = self.expect_name("a type name")
            named = ast.NamedTypeRef(loc=loc, name=name.text, dot_prefix=dot)
            if self.at("<") and self.starts_type_arg(1):
                self.advance()
                args = self.type_args_rest()
                ref = ast.SpecializedTypeRef(loc=loc, base=named, args=args)
            else:
                ref = named
        else:
            raise self.error_expected("a type")
        while self.at("[") and not self.peek().kind == "]":
            self.advance()
            size = self.expression()
            self.expect("]")
            ref = ast.StackTypeRef(loc=loc, element=ref, size=size)
        return ref

    def starts_type_arg(self, k: int) -> bool:
        t = self.peek(k)
        return self.starts_type(k) or (t.kind == "ID" and t.text == "_") or t.kind == "void" \
            or t.kind == "INT"

    def type_args_rest(self) -> list[ast.TypeRef]:
        """After '<': types separated by ',' and the closing '>'."""
        args: list[ast.TypeRef] = []
        if self.accept(">"):
            return args
        while True:
            if self.at("INT"):
                raise unsupported("an integer as a type argument", self.tok.loc)
            args.append(self.type_ref(allow_void=True))
            if not self.accept(","):
                break
        self.expect_close_angle()
        return args

    def expect_close_angle(self) -> None:
        self.expect(">", "'>'")

    def width_expression(self) -> ast.Expression:
        t = self.tok
        if t.kind == "INT":
            self.advance()
            value, width, signed = t.value
            return ast.IntLiteral(loc=t.loc, value=value, width=width, signed=signed, text=t.text)
        if t.kind == "(":
            self.advance()
            e = self.expression()
            self.expect(")")
            return e
        if t.kind == "ID":
            self.advance()
            return ast.PathExpr(loc=t.loc, name=t.text)
        raise self.error_expected("a width")

    def type_params(self) -> list[ast.TypeParam]:
        if not self.accept("<"):
            return []
        params: list[ast.TypeParam] = []
        while True:
            n = self.expect_name("a type parameter")
            params.append(ast.TypeParam(loc=n.loc, name=n.text))
            if not self.accept(","):
                break
        self.expect_close_angle()
        return params

    # ------------------------------------------------------------ parameters

    def params(self) -> list[ast.Param]:
        self.expect("(")
        out: list[ast.Param] = []
        if self.accept(")"):
            return out
        while True:
            annos = self.annotations()
            direction = ""
            if self.tok.kind in _DIRECTIONS:
                direction = self.advance().kind
            type_ref = self.type_ref()
            name = self.expect_name("a parameter name")
            default = None
            if self.accept("="):
                default = self.expression()
            self.declare_value(name.text)
            out.append(ast.Param(loc=name.loc, name=name.text, annotations=annos,
                                 direction=direction, type_ref=type_ref, default=default))
            if not self.accept(","):
                break
        self.expect(")", "',' or ')'")
        return out

    # ------------------------------------------------------------ declarations

    def constant_decl(self, annos: list[ast.Annotation]) -> ast.ConstantDecl:
        self.expect("const")
        type_ref = self.type_ref()
        name = self.expect_name("a constant name")
        self.expect("=")
        value = self.expression()
        self.expect(";")
        self.declare_value(name.text)
        return ast.ConstantDecl(loc=name.loc, name=name.text, annotations=annos, type_ref=type_ref, value=value)

    def struct_like_decl(self, annos: list[ast.Annotation]) -> ast.StructLikeDecl:
        kw = self.advance()
        name = self.expect_name(f"a {kw.text} name")
        self.declare_type(name.text)
        tparams = self.type_params()
        self.push_type_params(tparams)
        try:
            self.expect("{")
            fields: list[ast.StructField] = []
            while not self.accept("}"):
                if self.at("EOF"):
                    raise self.error_expected("'}'")
                fa = self.annotations()
                ftype = self.type_ref()
                fname = self.expect_name("a field name")
                self.expect(";")
                fields.append(ast.StructField(loc=fname.loc, name=fname.text, annotations=fa, type_ref=ftype))
        finally:
            self.type_scopes.pop()
        cls = {"header": ast.HeaderDecl, "struct": ast.StructDecl, "header_union": ast.HeaderUnionDecl}[kw.kind]
        return cls(loc=name.loc, name=name.text, annotations=annos, fields=fields, type_params=tparams)

    def enum_decl(self, annos: list[ast.Annotation]) -> ast.EnumDecl:
        self.expect("enum")
        underlying = None
        if self.tok.kind in ("bit", "int") or (self.at("ID") and self.peek().kind == "ID"):
            underlying = self.type_ref()
        name = self.expect_name("an enum name")
        self.declare_type(name.text)
        self.expect("{")
        members: list[ast.EnumMember] = []
        while True:
            ma = self.annotations()
            m = self.expect_name("an enum member")
            value = None
            if self.accept("="):
                value = self.expression()
            members.append(ast.EnumMember(loc=m.loc, name=m.text, annotations=ma, value=value))
            if not self.accept(","):
                break
            if self.at("}"):
                break
        self.expect("}", "',' or '}'")
        return ast.EnumDecl(loc=name.loc, name=name.text, annotations=annos, members=members,
                            underlying=underlying)

    def id_list_decl(self) -> list[ast.DeclId]:
        self.expect("{")
        members: list[ast.DeclId] = []
        if self.accept("}"):
            return members
        while True:
            m = self.expect_name("a member name")
            members.append(ast.DeclId(loc=m.loc, name=m.text))
            if not self.accept(","):
                break
            if self.at("}"):
                break
        self.expect("}", "',' or '}'")
        return members

    def error_decl(self, annos: list[ast.Annotation]) -> ast.ErrorDecl:
        t = self.advance()
        return ast.ErrorDecl(loc=t.loc, name="error", annotations=annos, members=self.id_list_decl())

    def match_kind_decl(self, annos: list[ast.Annotation]) -> ast.MatchKindDecl:
        t = self.advance()
        return ast.MatchKindDecl(loc=t.loc, name="match_kind", annotations=annos, members=self.id_list_decl())

    def typedef_decl(self, annos: list[ast.Annotation]) -> ast.TypedefDecl:
        self.advance()
        if self.tok.kind in ("header", "struct", "header_union", "enum"):
            # typedef header h_t { ... } alias_t;  declares h_t, then the alias
            inner: ast.Declaration = (self.enum_decl([]) if self.at("enum") else self.struct_like_decl([]))
            self.pending.append(inner)
            type_ref: ast.TypeRef = ast.NamedTypeRef(loc=inner.loc, name=inner.name)
        else:
            type_ref = self.type_ref()
        name = self.expect_name("a type name")
        self.expect(";")
        self.declare_type(name.text)
        return ast.TypedefDecl(loc=name.loc, name=name.text, annotations=annos, type_ref=type_ref)

    def newtype_decl(self, annos: list[ast.Annotation]) -> ast.NewTypeDecl:
        self.advance()
        type_ref = self.type_ref()
        name = self.expect_name("a type name")
        self.expect(";")
        self.declare_type(name.text)
        return ast.NewTypeDecl(loc=name.loc, name=name.text, annotations=annos, type_ref=type_ref)

    def return_type(self) -> ast.TypeRef:
        t = self.tok
        if t.kind == "ID" and not self.is_type_name(t.text) and t.text != "_" and self.peek().kind == "ID":
            # a generic parameter used before its declaration: T f<T>(...)
            self.advance()
            return ast.NamedTypeRef(loc=t.loc, name=t.text)
        return self.type_ref(allow_void=True)

    def extern_decl(self, annos: list[ast.Annotation]) -> ast.Declaration | None:
        kw = self.advance()
        t = self.tok
        if t.kind == "ID" and self.peek().kind == ";":
            # forward declaration "extern Name;": only makes Name a type name
            self.advance()
            self.advance()
            self.declare_type(t.text)
            return None
        is_object = False
        if t.kind == "ID" and self.peek().kind == "{":
            is_object = True
        elif t.kind == "ID" and self.peek().kind == "<":
            # extern Name<T> { ... }  versus  extern R<T> f(...);
            depth = 0
            i = self.pos + 1
            while i < len(self.toks):
                kind = self.toks[i].kind
                if kind == "<":
                    depth += 1
                elif kind == ">":
                    depth -= 1
                    if depth == 0:
                        break
                elif kind in (";", "{", "EOF"):
                    break
                i += 1
            is_object = i + 1 < len(self.toks) and self.toks[i + 1].kind == "{"
        if not is_object:
            loc = self.tok.loc
            ret = self.return_type()
            name = self.expect_name("a function name")
            tparams = self.type_params()
            self.push_type_params(tparams)
            try:
                params = self.params()
            finally:
                self.type_scopes.pop()
            self.expect(";")
            del loc
            return ast.ExternFunctionDecl(loc=name.loc, name=name.text, annotations=annos, return_type=ret,
                                          params=params, type_params=tparams)
        name = self.advance()
        self.declare_type(name.text)
        tparams = self.type_params()
        self.push_type_params(tparams)
        methods: list[ast.MethodDecl] = []
        try:
            self.expect("{")
            while not self.accept("}"):
                if self.at("EOF"):
                    raise self.error_expected("'}'")
                ma = self.annotations()
                abstract = self.accept("abstract") is not None
                if self.at("ID") and self.tok.text == name.text and self.peek().kind == "(":
                    c = self.advance()
                    params = self.params()
                    self.expect(";")
                    methods.append(ast.MethodDecl(loc=c.loc, name=c.text, annotations=ma, params=params,
                                                  is_constructor=True))
                    continue
                ret = self.return_type()
                mname = self.expect_name("a method name")
                mtparams = self.type_params()
                self.push_type_params(mtparams)
                try:
                    params = self.params()
                finally:
                    self.type_scopes.pop()
                self.expect(";")
                methods.append(ast.MethodDecl(loc=mname.loc, name=mname.text, annotations=ma, params=params,
                                              type_params=mtparams, return_type=ret, is_abstract=abstract))
        finally:
            self.type_scopes.pop()
        del kw
        return ast.ExternDecl(loc=name.loc, name=name.text, annotations=annos, type_params=tparams,
                              methods=methods)

    def package_decl(self, annos: list[ast.Annotation]) -> ast.PackageTypeDecl:
        self.advance()
        name = self.expect_name("a package name")
        self.declare_type(name.text)
        tparams = self.type_params()
        self.push_type_params(tparams)
        try:
            params = self.params()
        finally:
            self.type_scopes.pop()
        self.expect(";")
        return ast.PackageTypeDecl(loc=name.loc, name=name.text, annotations=annos, params=params,
                                   type_params=tparams)

    def function_decl(self, annos: list[ast.Annotation]) -> ast.FunctionDecl:
        loc = self.tok.loc
        ret = self.return_type()
        return self.function_rest(annos, ret, loc)

    def function_rest(self, annos: list[ast.Annotation], ret: ast.TypeRef,
                      loc: SourceLocation) -> ast.FunctionDecl:
        name = self.expect_name("a function name")
        tparams = self.type_params()
        self.push_type_params(tparams)
        self.open_values()
        try:
            params = self.params()
            body = self.block()
        finally:
            self.close_values()
            self.type_scopes.pop()
        return ast.FunctionDecl(loc=name.loc, name=name.text, annotations=annos, return_type=ret, body=body,
                                params=params, type_params=tparams)

    def action_decl(self, annos: list[ast.Annotation]) -> ast.ActionDecl:
        self.advance()
        name = self.expect_name("an action name")
        self.open_values()
        try:
            params = self.params()
            body = self.block()
        finally:
            self.close_values()
        return ast.ActionDecl(loc=name.loc, name=name.text, annotations=annos, params=params, body=body)

    def parser_decl(self, annos: list[ast.Annotation]) -> ast.Declaration:
        self.advance()
        name = self.expect_name("a parser name")
        self.declare_type(name.text)
        tparams = self.type_params()
        self.push_type_params(tparams)
        self.open_values()
        try:
            params = self.params()
            if self.accept(";"):
                return ast.ParserTypeDecl(loc=name.loc, name=name.text, annotations=annos, params=params,
                                          type_params=tparams)
            ctor_params = self.params() if self.at("(") else []
            self.expect("{", "'{' or ';'")
            locals_: list[ast.Declaration] = []
            states: list[ast.ParserState] = []
            while not self.accept("}"):
                if self.at("EOF"):
                    raise self.error_expected("'}'")
                if self.accept(";"):
                    continue
                la = self.annotations()
                if self.at_word("state") and self.peek().kind == "ID":
                    states.append(self.parser_state(la))
                elif self.at("const"):
                    locals_.append(self.constant_decl(la))
                elif self.at("value_set"):
                    locals_.append(self.value_set_decl(la))
                elif self.starts_type():
                    locals_.append(self.typed_declaration(la))
                else:
                    raise self.unknown_type_or_expected("a state or a declaration")
        finally:
            self.close_values()
            self.type_scopes.pop()
        return ast.ParserDecl(loc=name.loc, name=name.text, annotations=annos, params=params, type_params=tparams,
                              ctor_params=ctor_params, locals=locals_, states=states)

    def value_set_decl(self, annos: list[ast.Annotation]) -> ast.ValueSetDecl:
        self.advance()
        self.expect("<")
        elems = self.type_args_rest()
        if len(elems) != 1:
            raise CompileError("value_set takes exactly one type argument", self.tok.loc)
        self.expect("(")
        size = self.expression()
        self.expect(")")
        name = self.expect_name("a value set name")
        self.expect(";")
        return ast.ValueSetDecl(loc=name.loc, name=name.text, annotations=annos, element_type=elems[0], size=size)

    def parser_state(self, annos: list[ast.Annotation]) -> ast.ParserState:
        self.open_values()
        try:
            return self.parser_state_body(annos)
        finally:
            self.close_values()

    def parser_state_body(self, annos: list[ast.Annotation]) -> ast.ParserState:
        self.advance()
        name = self.expect_name("a state name")
        self.expect("{")
        stmts: list[ast.Node] = []
        transition: ast.Expression | None = None
        while not self.accept("}"):
            if self.at("EOF"):
                raise self.error_expected("'}'")
            if self.at("transition"):
                t = self.advance()
                if self.at("select"):
                    transition = self.select_expression()
                else:
                    s = self.expect_name("a state name or 'select'")
                    transition = ast.PathExpr(loc=s.loc, name=s.text)
                    self.expect(";")
                del t
                self.expect("}", "'}' after the transition")
                break
            stmts.append(self.statement_or_declaration())
        return ast.ParserState(loc=name.loc, name=name.text, annotations=annos, statements=stmts,
                               transition=transition)

    def select_expression(self) -> ast.SelectExpr:
        sel = self.advance()
        self.expect("(")
        keys: list[ast.Expression] = []
        if not self.at(")"):
            keys.append(self.expression())
            while self.accept(","):
                keys.append(self.expression())
        self.expect(")", "',' or ')'")
        self.expect("{")
        cases: list[ast.SelectCase] = []
        while not self.accept("}"):
            if self.at("EOF"):
                raise self.error_expected("'}'")
            ca = self.annotations()
            loc = self.tok.loc
            keyset = self.keyset_expression()
            self.expect(":")
            st = self.expect_name("a state name")
            self.expect(";")
            cases.append(ast.SelectCase(loc=loc, keyset=keyset, state=ast.PathExpr(loc=st.loc, name=st.text),
                                        annotations=ca))
        return ast.SelectExpr(loc=sel.loc, keys=keys, cases=cases)

    def simple_keyset(self) -> ast.Expression:
        t = self.tok
        if t.kind == "default":
            self.advance()
            return ast.DefaultExpr(loc=t.loc)
        if t.kind == "ID" and t.text == "_" and self.peek().kind in (",", ")", ":", ";"):
            self.advance()
            return ast.DontCareExpr(loc=t.loc)
        e = self.expression()
        if self.at("&&&"):
            self.advance()
            return ast.Mask(loc=t.loc, value=e, mask=self.expression())
        if self.at(".."):
            self.advance()
            return ast.Range(loc=t.loc, lo=e, hi=self.expression())
        return e

    def keyset_expression(self) -> ast.Expression:
        t = self.tok
        if t.kind == "(":
            save = self.pos
            self.advance()
            elems = [self.simple_keyset()]
            while self.accept(","):
                elems.append(self.simple_keyset())
            if self.accept(")") and (len(elems) > 1 or self.at(":")):
                if len(elems) == 1:
                    return elems[0]
                return ast.ListExpr(loc=t.loc, elements=elems)
            self.pos = save
        return self.simple_keyset()

    def control_decl(self, annos: list[ast.Annotation]) -> ast.Declaration:
        self.advance()
        name = self.expect_name("a control name")
        self.declare_type(name.text)
        tparams = self.type_params()
        self.push_type_params(tparams)
        self.open_values()
        try:
            params = self.params()
            if self.accept(";"):
                return ast.ControlTypeDecl(loc=name.loc, name=name.text, annotations=annos, params=params,
                                           type_params=tparams)
            ctor_params = self.params() if self.at("(") else []
            self.expect("{", "'{' or ';'")
            locals_: list[ast.Declaration] = []
            body: ast.BlockStatement | None = None
            while not self.accept("}"):
                if self.at("EOF"):
                    raise self.error_expected("'}'")
                if self.accept(";"):
                    continue
                la = self.annotations()
                t = self.tok
                if t.kind == "ID" and t.text == "apply" and self.peek().kind == "{":
                    if body is not None:
                        raise CompileError(f"control {name.text} has more than one apply block", t.loc)
                    self.advance()
                    body = self.block()
                elif t.kind == "action":
                    locals_.append(self.action_decl(la))
                elif t.kind == "table":
                    locals_.append(self.table_decl(la))
                elif t.kind == "const":
                    locals_.append(self.constant_decl(la))
                elif self.starts_type():
                    locals_.append(self.typed_declaration(la))
                else:
                    raise self.unknown_type_or_expected("a declaration or 'apply'")
            if body is None:
                raise CompileError(f"control {name.text} has no apply block", name.loc)
        finally:
            self.close_values()
            self.type_scopes.pop()
        return ast.ControlDecl(loc=name.loc, name=name.text, annotations=annos, params=params,
                               type_params=tparams, ctor_params=ctor_params, locals=locals_, body=body)

    # ------------------------------------------------------------ tables

    def table_decl(self, annos: list[ast.Annotation]) -> ast.TableDecl:
        self.advance()
        name = self.expect_name("a table name")
        if self.at("(") and self.peek().kind == ")":
            # "table t() { ... }": an old form p4c still accepts
            self.advance()
            self.advance()
        self.expect("{")
        props: list[ast.TableProperty] = []
        while not self.accept("}"):
            if self.at("EOF"):
                raise self.error_expected("'}'")
            pa = self.annotations()
            is_const = self.accept("const") is not None
            pn = self.expect_name("a table property")
            if pn.text == "key" and self.at("="):
                self.advance()
                props.append(self.key_property(pn, pa, is_const))
            elif pn.text == "actions" and self.at("="):
                self.advance()
                props.append(self.actions_property(pn, pa, is_const))
            elif pn.text == "entries" and self.at("="):
                self.advance()
                props.append(self.entries_property(pn, pa, is_const))
            else:
                self.expect("=")
                value = self.expression()
                self.expect(";")
                props.append(ast.ValueProperty(loc=pn.loc, name=pn.text, annotations=pa, is_const=is_const,
                                               value=value))
        return ast.TableDecl(loc=name.loc, name=name.text, annotations=annos, properties=props)

    def key_property(self, pn: Token, pa: list[ast.Annotation], is_const: bool) -> ast.KeyProperty:
        self.expect("{")
        elems: list[ast.KeyElement] = []
        while not self.accept("}"):
            if self.at("EOF"):
                raise self.error_expected("'}'")
            loc = self.tok.loc
            e = self.expression()
            self.expect(":")
            mk = self.expect_name("a match kind")
            ka = self.annotations()
            self.expect(";")
            elems.append(ast.KeyElement(loc=loc, expr=e, match_kind=mk.text, annotations=ka,
                                        match_kind_loc=mk.loc))
        return ast.KeyProperty(loc=pn.loc, name="key", annotations=pa, is_const=is_const, elements=elems)

    def action_ref(self) -> ast.ActionRef:
        aa = self.annotations()
        loc = self.tok.loc
        dot = self.accept(".") is not None
        n = self.expect_name("an action name")
        expr: ast.Expression = ast.PathExpr(loc=n.loc, name=n.text, dot_prefix=dot)
        if self.at("("):
            expr = ast.MethodCall(loc=n.loc, method=expr, args=self.arguments())
        return ast.ActionRef(loc=loc, expr=expr, annotations=aa)

    def actions_property(self, pn: Token, pa: list[ast.Annotation], is_const: bool) -> ast.ActionsProperty:
        self.expect("{")
        refs: list[ast.ActionRef] = []
        while not self.accept("}"):
            if self.at("EOF"):
                raise self.error_expected("'}'")
            refs.append(self.action_ref())
            self.expect(";")
        return ast.ActionsProperty(loc=pn.loc, name="actions", annotations=pa, is_const=is_const, actions=refs)

    def entries_property(self, pn: Token, pa: list[ast.Annotation], is_const: bool) -> ast.EntriesProperty:
        self.expect("{")
        entries: list[ast.Entry] = []
        while not self.accept("}"):
            if self.at("EOF"):
                raise self.error_expected("'}'")
            ea = self.annotations()
            loc = self.tok.loc
            e_const = self.accept("const") is not None
            priority = None
            if self.at_word("priority") and self.peek().kind == "=":
                self.advance()
                self.advance()
                priority = self.expression()
                self.expect(":")
            keyset = self.keyset_expression()
            self.expect(":")
            action = self.action_ref()
            ea2 = self.annotations()
            self.expect(";")
            entries.append(ast.Entry(loc=loc, keyset=keyset, action=action, priority=priority,
                                     annotations=ea + ea2, is_const=e_const))
        return ast.EntriesProperty(loc=pn.loc, name="entries", annotations=pa, is_const=is_const,
                                   entries=entries)

    # ------------------------------------------------------------ statements

    def block(self) -> ast.BlockStatement:
        annos = self.annotations()
        open_ = self.expect("{")
        stmts: list[ast.Node] = []
        self.open_values()
        try:
            while not self.accept("}"):
                if self.at("EOF"):
                    raise self.error_expected("'}'")
                stmts.append(self.statement_or_declaration())
        finally:
            self.close_values()
        return ast.BlockStatement(loc=open_.loc, statements=stmts, annotations=annos)

    def statement_or_declaration(self) -> ast.Node:
        annos = self.annotations()
        t = self.tok
        k = t.kind
        if k == "const":
            return self.constant_decl(annos)
        if k == "{":
            b = self.block()
            b.annotations = annos
            return b
        if self.starts_type() and not (self.peek().kind == "." and t.kind in ("ID", "error")):
            return self.typed_declaration(annos)
        return self.statement()

    def statement(self) -> ast.Statement:
        t = self.tok
        k = t.kind
        loc = t.loc
        if k == "{":
            return self.block()
        if k == ";":
            self.advance()
            return ast.EmptyStatement(loc=loc)
        if k == "if":
            self.advance()
            self.expect("(")
            cond = self.expression()
            self.expect(")")
            then = self.statement_nodecl()
            else_ = None
            if self.accept("else"):
                else_ = self.statement_nodecl()
            return ast.IfStatement(loc=loc, cond=cond, then=then, else_=else_)
        if k == "switch":
            return self.switch_statement()
        if k == "exit":
            self.advance()
            self.expect(";")
            return ast.ExitStatement(loc=loc)
        if k == "return":
            self.advance()
            value = None
            if not self.at(";"):
                value = self.expression()
            self.expect(";")
            return ast.ReturnStatement(loc=loc, value=value)
        if k == "for":
            return self.for_statement()
        if k in ("break", "continue"):
            self.advance()
            self.expect(";")
            return ast.BreakStatement(loc=loc) if k == "break" else ast.ContinueStatement(loc=loc)
        if k == "transition":
            raise CompileError("a transition must be the last statement of a parser state", loc)
        if k in ("action", "table", "state"):
            raise CompileError(f"'{t.text}' is not allowed here", loc)
        target = self.expression()
        if isinstance(target, ast.PathExpr) and self.at("ID"):
            # "T x;" where T names no type declared so far
            raise CompileError(f"unknown type '{target.name}'", target.loc)
        assignment = self.assignment_rest(target)
        if assignment is not None:
            self.expect(";")
            return assignment
        if isinstance(target, ast.MethodCall):
            self.expect(";")
            return ast.MethodCallStatement(loc=target.loc, call=target)
        raise self.error_expected("'=' or '(' in a statement" if self.at(";") else "';'")

    def assignment_rest(self, target: ast.Expression) -> ast.AssignmentStatement | None:
        """`= e` or a compound `op= e` after an lvalue; None when neither follows."""
        if self.at("="):
            eq = self.advance()
            return ast.AssignmentStatement(loc=eq.loc, left=target, right=self.expression())
        t = self.tok
        op: str | None = None
        if t.kind in _COMPOUND:
            op = t.kind[:-1]
            self.advance()
        elif t.kind == ">" and self.peek().kind == ">=" and self.peek().start == t.end:
            op = ">>"  # `>>=` arrives as `>` `>=` (`>>` is two tokens, for nested type arguments)
            self.pos += 2
        if op is None:
            return None
        right = self.expression()
        return ast.AssignmentStatement(
            loc=t.loc, left=target, right=ast.Binary(loc=t.loc, op=op, left=target, right=right), op=op
        )

    def for_statement(self) -> ast.Statement:
        """``for (init; cond; update) body`` or ``for (T x in collection) body``."""
        loc = self.advance().loc
        self.expect("(")
        self.open_values()
        try:
            var = self._for_in_variable()
            if var is not None:
                lo = self.expression()
                collection = lo
                if self.at(".."):
                    self.advance()
                    collection = ast.Range(loc=lo.loc, lo=lo, hi=self.expression())
                self.expect(")")
                self.declare_value(var.name)
                return ast.ForInStatement(loc=loc, var=var, collection=collection, body=self.statement_nodecl())
            init: list[ast.Node] = []
            if not self.accept(";"):
                if self.starts_type() and not (self.peek().kind == "." and self.tok.kind in ("ID", "error")):
                    init.append(self.typed_declaration([]))
                else:
                    init.append(self.statement())
            cond = None
            if not self.at(";"):
                cond = self.expression()
            self.expect(";")
            update: list[ast.Statement] = []
            while not self.at(")"):
                target = self.expression()
                assignment = self.assignment_rest(target)
                if assignment is not None:
                    update.append(assignment)
                elif isinstance(target, ast.MethodCall):
                    update.append(ast.MethodCallStatement(loc=target.loc, call=target))
                else:
                    raise self.error_expected("an assignment or a call in the update of 'for'")
                if not self.accept(","):
                    break
            self.expect(")")
            body = self.statement_nodecl()
            return ast.ForStatement(loc=loc, init=init, cond=cond, update=update, body=body)
        finally:
            self.close_values()

    def _for_in_variable(self) -> ast.VariableDecl | None:
        """`T x in`: the loop variable of a for-in loop (consumed), else None (nothing consumed)."""
        start = self.pos
        if not self.starts_type():
            return None
        try:
            type_ref = self.type_ref()
            name = self.expect_name()
        except CompileError:
            self.pos = start
            return None
        if not self.at("in"):
            self.pos = start
            return None
        self.advance()
        return ast.VariableDecl(loc=name.loc, name=name.text, type_ref=type_ref)

    def statement_nodecl(self) -> ast.Statement:
        annos = self.annotations()
        s = self.statement()
        if annos and isinstance(s, ast.BlockStatement):
            s.annotations = annos
        return s

    def switch_statement(self) -> ast.SwitchStatement:
        sw = self.advance()
        self.expect("(")
        expr = self.expression()
        self.expect(")")
        self.expect("{")
        cases: list[ast.SwitchCase] = []
        while not self.accept("}"):
            if self.at("EOF"):
                raise self.error_expected("'}'")
            t = self.tok
            if t.kind == "default":
                self.advance()
                label: ast.Expression = ast.DefaultExpr(loc=t.loc)
            else:
                label = self.expression()
            self.expect(":")
            body = self.block() if self.at("{") or self.at("@") else None
            cases.append(ast.SwitchCase(loc=t.loc, label=label, body=body))
        return ast.SwitchStatement(loc=sw.loc, expr=expr, cases=cases)

    # ------------------------------------------------------------ expressions

    def expression(self) -> ast.Expression:
        cond = self.binary(1)
        if self.at("?"):
            q = self.advance()
            then = self.expression()
            self.expect(":")
            else_ = self.expression()
            return ast.Mux(loc=q.loc, cond=cond, then=then, else_=else_)
        return cond

    def binary_op(self) -> tuple[str, int] | None:
        t = self.tok
        op = t.kind
        if op == ">":
            n = self.peek()
            if n.kind == ">" and n.start == t.end:
                return ">>", 2
            if n.kind == ">=" and n.start == t.end:
                return None  # `>>=`: a compound assignment follows the expression
        elif op == ">=":
            pass
        prec = _BINARY_PREC.get(op)
        if prec is None:
            return None
        return op, 1

    def binary(self, min_prec: int) -> ast.Expression:
        left = self.unary()
        while True:
            r = self.binary_op()
            if r is None:
                break
            op, ntoks = r
            prec = _BINARY_PREC[op]
            if prec < min_prec:
                break
            t = self.tok
            self.pos += ntoks
            right = self.binary(prec + 1)
            left = ast.Binary(loc=t.loc, op=op, left=left, right=right)
        return left

    def unary(self) -> ast.Expression:
        t = self.tok
        if t.kind in ("!", "~", "-", "+"):
            self.advance()
            operand = self.unary()
            return ast.Unary(loc=t.loc, op=t.kind, operand=operand)
        return self.postfix(self.primary())

    def primary(self) -> ast.Expression:
        t = self.tok
        k = t.kind
        loc = t.loc
        if k == "INT":
            self.advance()
            value, width, signed = t.value
            return ast.IntLiteral(loc=loc, value=value, width=width, signed=signed, text=t.text)
        if k == "STRING":
            self.advance()
            return ast.StringLiteral(loc=loc, value=str(t.value), text=t.text)
        if k == "true" or k == "false":
            self.advance()
            return ast.BoolLiteral(loc=loc, value=k == "true")
        if k == "(":
            if self.starts_type(1) and not (self.peek(2).kind == "." and self.peek(1).kind in ("ID", "error")):
                self.advance()
                to = self.type_ref()
                self.expect(")")
                operand = self.unary()
                return ast.Cast(loc=loc, to=to, expr=operand)
            self.advance()
            e = self.expression()
            self.expect(")")
            return e
        if k == "{":
            return self.brace_expression()
        if k == "ID":
            if t.text == "_":
                self.advance()
                return ast.DontCareExpr(loc=loc)
            if not self.is_type_name(t.text):
                self.advance()
                return ast.PathExpr(loc=loc, name=t.text)
        if k == "." and self.peek().kind == "ID" and not self.is_type_name(self.peek().text):
            self.advance()
            n = self.advance()
            return ast.PathExpr(loc=loc, name=n.text, dot_prefix=True)
        if self.starts_type():
            type_ref = self.type_ref()
            if self.at("("):
                return ast.ConstructorCall(loc=loc, type_ref=type_ref, args=self.arguments())
            return ast.TypeNameExpr(loc=loc, type_ref=type_ref)
        if k == "this":
            raise unsupported("'this'", loc)
        if k == "...":
            raise unsupported("'...' in an expression", loc)
        raise self.error_expected("an expression")

    def brace_expression(self) -> ast.Expression:
        open_ = self.advance()
        if self.at("#"):
            self.advance()
            self.expect("}")
            return ast.InvalidHeaderExpr(loc=open_.loc)
        if self.at("ID") and self.peek().kind == "=":
            fields: list[ast.NamedExpr] = []
            while True:
                n = self.expect_name("a field name")
                self.expect("=")
                fields.append(ast.NamedExpr(loc=n.loc, name=n.text, value=self.expression()))
                if not self.accept(","):
                    break
                if self.at("}"):
                    break
            self.expect("}", "',' or '}'")
            return ast.StructExpr(loc=open_.loc, fields=fields)
        elems: list[ast.Expression] = []
        if not self.at("}"):
            while True:
                elems.append(self.expression())
                if not self.accept(","):
                    break
                if self.at("}"):
                    break
        self.expect("}", "',' or '}'")
        return ast.ListExpr(loc=open_.loc, elements=elems)

    def postfix(self, e: ast.Expression) -> ast.Expression:
        while True:
            t = self.tok
            k = t.kind
            if k == ".":
                self.advance()
                n = self.tok
                if n.kind == "ID" or (n.kind.isalpha() and n.kind not in ("EOF", "INT", "STRING")):
                    self.advance()
                else:
                    raise self.error_expected("a member name")
                e = ast.Member(loc=n.loc, expr=e, member=n.text)
            elif k == "[":
                self.advance()
                first = self.expression()
                if self.accept(":"):
                    lo = self.expression()
                    self.expect("]")
                    e = ast.Slice(loc=t.loc, expr=e, hi=first, lo=lo)
                else:
                    self.expect("]", "']' or ':'")
                    e = ast.Index(loc=t.loc, expr=e, index=first)
            elif k == "(":
                e = ast.MethodCall(loc=e.loc, method=e, args=self.arguments())
            elif k == "<" and self.starts_type_arg(1):
                save = self.pos
                try:
                    self.advance()
                    targs = self.type_args_rest()
                    if not self.at("("):
                        raise self.error_expected("'('")
                except CompileError:
                    self.pos = save
                    return e
                e = ast.MethodCall(loc=e.loc, method=e, type_args=targs, args=self.arguments())
            else:
                return e

    def arguments(self) -> list[ast.Argument]:
        self.expect("(")
        args: list[ast.Argument] = []
        if self.accept(")"):
            return args
        while True:
            t = self.tok
            if t.kind == "ID" and self.peek().kind == "=":
                self.advance()
                self.advance()
                args.append(ast.Argument(loc=t.loc, name=t.text, value=self.expression()))
            elif t.kind == "ID" and t.text == "_" and self.peek().kind in (",", ")"):
                self.advance()
                args.append(ast.Argument(loc=t.loc, value=ast.DontCareExpr(loc=t.loc)))
            else:
                args.append(ast.Argument(loc=t.loc, value=self.expression()))
            if not self.accept(","):
                break
        self.expect(")", "',' or ')'")
        return args


def parse_tokens(tokens: list[Token], text: str, type_names: set[str] | None = None) -> ast.Program:
    """Parse a token list from `tokenize(text)`.  Every problem is a `CompileError`:
    nesting too deep for the recursive descent, and defects of the parser itself,
    are reported at the token where they happened."""
    parser = Parser(tokens, text, type_names)
    try:
        with deep_recursion():
            return parser.parse_program()
    except CompileError:
        raise
    except RecursionError:
        raise CompileError("expression or statement nested too deeply", parser.tok.loc) from None
    except Exception as exc:  # a parser defect: report it where it happened
        raise CompileError(f"internal error in softp4's parser ({type(exc).__name__}: {exc}); "
                           "please report it with this program", parser.tok.loc) from None


def parse(text: str, file: str = "<input>") -> ast.Program:
    """Lex and parse preprocessed P4-16 source text into a `Program`."""
    program = parse_tokens(tokenize(text, file), text)
    if program.loc.file != file:  # the file ends inside an #include: the program is the file itself
        program.loc = SourceLocation(file, 1, 1)
    return program
