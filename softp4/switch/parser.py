"""Compile a BMv2 JSON parser into state objects whose ops and selects are closures.

For an untraced packet, a parser whose states form no loop also runs as one generated Python
function (see `generate_parse`): the states in topological order, each a block of straight-line
code (fixed-size extracts inlined), and its select an if/elif on the key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from softp4.switch.errors import ConfigError
from softp4.switch.expressions import make_lookahead, parse_hexstr
from softp4.switch.packet import PHV, HeaderLayout, ParserException
from softp4.switch.primitives import PrimitiveCompiler, describe
from softp4.switch.program import ParseVset, Program

Op = Callable[[PHV, Any], Any]

# p4c's core.p4 order, used when a program does not list an error it raises
DEFAULT_ERRORS = {
    "NoError": 0,
    "PacketTooShort": 1,
    "NoMatch": 2,
    "StackOutOfBounds": 3,
    "HeaderTooShort": 4,
    "ParserTimeout": 5,
    "ParserInvalidArgument": 6,
}
MAX_STATES = 4096  # per packet; a parser looping longer fails with ParserTimeout


def _vset_padding(widths: list[int]) -> Callable[[int], int] | None:
    """BMv2 stores value set members compressed (fields back to back); the select key pads each
    field to whole bytes. The function converts a compressed value to the padded form."""
    if len(widths) < 2:
        return None
    frozen = tuple(widths)

    def pad(v: int) -> int:
        out = 0
        shift = sum(frozen)
        for w in frozen:
            shift -= w
            out = (out << (8 * ((w + 7) // 8))) | ((v >> shift) & ((1 << w) - 1))
        return out

    return pad


class ParseState:
    __slots__ = (
        "default",
        "dict_next",
        "extracts",
        "key_fn",
        "key_src",
        "key_width",
        "name",
        "ops",
        "transitions",
    )

    def __init__(self, name: str) -> None:
        self.name = name
        self.ops: list[tuple[Op, str]] = []
        # per op: the header of a plain fixed-size extract (inlined by generate_parse), else None
        self.extracts: list[HeaderLayout | None] = []
        self.key_src: str | None = None  # Python source of the key over p, when it is one field
        self.key_fn: Callable[[PHV], int] | None = None
        self.key_width = 0  # bytes
        # (value, mask or None, vset or None, vset value padding or None, next state)
        self.transitions: list[
            tuple[int, int | None, ParseVset | None, Callable[[int], int] | None, ParseState | None]
        ] = []
        self.dict_next: dict[int, ParseState | None] | None = None
        self.default: ParseState | None = None

    def next_state(self, key: int) -> ParseState | None:
        dn = self.dict_next
        if dn is not None:
            return dn.get(key, self.default)
        for value, mask, vset, pad, nxt in self.transitions:
            if vset is not None:
                for v, m in vset.values:
                    if pad is not None:
                        v = pad(v)
                        m = None if m is None else pad(m)
                    mm = m if m is not None else -1
                    if mask is not None:
                        mm &= mask
                    if key & mm == v & mm:
                        return nxt
            elif mask is None:
                if key == value:
                    return nxt
            elif key & mask == value & mask:
                return nxt
        return self.default


def _topological(init: ParseState) -> list[ParseState] | None:
    """The states reachable from init, each before its successors; None if they form a loop."""
    order: list[ParseState] = []
    mark: dict[int, int] = {}  # id -> 1 on the path, 2 done

    def successors(st: ParseState) -> list[ParseState]:
        nxt = [t[4] for t in st.transitions] + [st.default]
        return [n for n in nxt if n is not None]

    stack: list[tuple[ParseState, int]] = [(init, 0)]
    mark[id(init)] = 1
    while stack:
        st, i = stack.pop()
        succ = successors(st)
        if i < len(succ):
            stack.append((st, i + 1))
            n = succ[i]
            m = mark.get(id(n))
            if m == 1:
                return None
            if m is None:
                mark[id(n)] = 1
                stack.append((n, 0))
            continue
        mark[id(st)] = 2
        order.append(st)
    order.reverse()
    return order


def generate_parse(name: str, init: ParseState) -> Callable[[PHV], None] | None:
    """One function running the whole parser untraced (raises ParserException), or None when
    the states form a loop (header stacks parsed in a loop) or are more than MAX_STATES."""
    order = _topological(init)
    if order is None or len(order) > MAX_STATES:
        return None
    index: dict[ParseState | None, int] = {st: i for i, st in enumerate(order)}
    index[None] = -1
    namespace: dict[str, Any] = {"_PE": ParserException, "_index": index}
    lines = ["def parse(p):", "    pkt = p[0]", "    st = 0"]
    for i, st in enumerate(order):
        lines.append(f"    if st == {i}:  # state {st.name!r}")
        body: list[str] = []
        for j, ((op, _), h) in enumerate(zip(st.ops, st.extracts, strict=True)):
            if h is not None and h.extract is not None:
                namespace[f"_x{i}_{j}"] = h.extract
                body += [
                    "off = pkt.off",
                    "data = pkt.data",
                    f"if off + {h.nbytes} > len(data):",
                    "    raise _PE('PacketTooShort')",
                    f"_x{i}_{j}(p, data, off)",
                    f"pkt.off = off + {h.nbytes}",
                ]
            else:
                namespace[f"_o{i}_{j}"] = op
                body.append(f"_o{i}_{j}(p, None)")
        if st.key_fn is None:
            body.append(f"st = {index[st.default]}")
        else:
            if st.key_src is not None:
                body.append(f"k = {st.key_src}")
            else:
                namespace[f"_k{i}"] = st.key_fn
                body.append(f"k = _k{i}(p)")
            dn = st.dict_next
            if dn is not None and len(dn) <= 8:
                first = True
                for value, nxt in dn.items():
                    body.append(f"{'if' if first else 'elif'} k == {value}:")
                    body.append(f"    st = {index[nxt]}")
                    first = False
                if first:
                    body.append(f"st = {index[st.default]}")
                else:
                    body += ["else:", f"    st = {index[st.default]}"]
            elif dn is not None:
                namespace[f"_d{i}"] = {value: index[nxt] for value, nxt in dn.items()}
                body.append(f"st = _d{i}.get(k, {index[st.default]})")
            else:
                namespace[f"_s{i}"] = st
                body.append(f"st = _index[_s{i}.next_state(k)]")
        lines += ["        " + line for line in body]
    exec(compile("\n".join(lines) + "\n", f"<parser {name}>", "exec"), namespace)
    fn: Callable[[PHV], None] = namespace["parse"]
    return fn


class Parser:
    def __init__(self, name: str, init: ParseState) -> None:
        self.name = name
        self.init = init
        self.fast = generate_parse(name, init)

    def parse(self, p: PHV, tr: Callable[[str], None] | None) -> str | int | None:
        """Run the parser over p[0].data; returns the parser error (name or value) or None."""
        state: ParseState | None = self.init
        count = 0
        try:
            if tr is None:
                fast = self.fast
                if fast is not None:
                    fast(p)
                    return None
                while state is not None:
                    for op, _ in state.ops:
                        op(p, None)
                    kf = state.key_fn
                    if kf is None:
                        state = state.default
                    else:
                        state = state.next_state(kf(p))
                    count += 1
                    if count > MAX_STATES:
                        raise ParserException("ParserTimeout")
                return None
            tr(f"Parser '{self.name}': start")
            while state is not None:
                tr(f"Parser '{self.name}' entering state '{state.name}'")
                for op, desc in state.ops:
                    if desc:
                        tr(desc)
                    op(p, None)
                kf = state.key_fn
                if kf is None:
                    tr(f"Parser state '{state.name}' has no switch, going to default next state")
                    state = state.default
                else:
                    key = kf(p)
                    tr(f"Parser state '{state.name}': key is {key:0{2 * state.key_width}x}")
                    state = state.next_state(key)
                count += 1
                if count > MAX_STATES:
                    raise ParserException("ParserTimeout")
            tr(f"Bytes parsed: {p[0].off}")
            tr(f"Parser '{self.name}': end")
            return None
        except ParserException as e:
            if tr is not None:
                tr(f"Exception while parsing: {e.error}")
                tr(f"Parser '{self.name}': end")
            return e.error


def _extract_regular(h: HeaderLayout) -> Op:
    n = h.nbytes
    ex = h.extract
    if ex is None:
        raise ConfigError(f"header '{h.name}': cannot be extracted (metadata or varbit)")
    siblings = [o.base for o in h.union.headers if o is not h] if h.union is not None else []

    def extract(p: PHV, d: Any) -> None:
        pkt = p[0]
        off = pkt.off
        if off + n > len(pkt.data):
            raise ParserException("PacketTooShort")
        ex(p, pkt.data, off)
        pkt.off = off + n
        for b in siblings:
            p[b] = 0

    return extract


class ParserCompiler:
    def __init__(self, prog: Program) -> None:
        self.prog = prog
        self.prims = PrimitiveCompiler(prog)
        self._key_widths: list[int] = []
        self._plain: HeaderLayout | None = None  # set by _extract for a plain fixed-size header
        self._key_src: str | None = None  # set by _key for a one-field key

    def compile(self, pj: dict[str, Any]) -> Parser:
        name = str(pj.get("name", "parser"))
        where = f"parser '{name}'"
        states: dict[str, ParseState] = {}
        sjs = pj.get("parse_states", [])
        if not isinstance(sjs, list):
            raise ConfigError(f"{where}: parse_states must be a list")
        for sj in sjs:
            sname = sj.get("name") if isinstance(sj, dict) else None
            if not isinstance(sname, str):
                raise ConfigError(f"{where}: parse state without a name")
            states[sname] = ParseState(sname)
        for sj in sjs:
            self._state(sj, states[sj["name"]], states, f"{where}, state '{sj['name']}'")
        init = pj.get("init_state")
        if init not in states:
            raise ConfigError(f"{where}: unknown init_state '{init}'")
        return Parser(name, states[init])

    def _next(self, nxt: Any, states: dict[str, ParseState], where: str) -> ParseState | None:
        if nxt is None:
            return None
        if nxt not in states:
            raise ConfigError(f"{where}: unknown next state '{nxt}'")
        return states[nxt]

    def _state(self, sj: dict[str, Any], st: ParseState, states: dict[str, ParseState], where: str) -> None:
        for i, opj in enumerate(sj.get("parser_ops", [])):
            self._plain = None
            st.ops.append(self._op(opj, f"{where}, op {i}"))
            st.extracts.append(self._plain)
        key = sj.get("transition_key", [])
        if key:
            st.key_fn, st.key_width = self._key(key, where)
            st.key_src = self._key_src
        all_exact = True
        for tj in sj.get("transitions", []):
            if not isinstance(tj, dict):
                raise ConfigError(f"{where}: bad transition {tj!r}")
            t = tj.get("type", "hexstr")
            nxt = self._next(tj.get("next_state"), states, where)
            value = tj.get("value")
            if t == "default" or value == "default":
                st.default = nxt
                break
            mask = tj.get("mask")
            m = None if mask is None else parse_hexstr(mask, where)
            if t == "parse_vset":
                vs = self.prog.vsets.get(str(value))
                if vs is None:
                    raise ConfigError(f"{where}: unknown parse value set '{value}'")
                st.transitions.append((0, m, vs, _vset_padding(self._key_widths), nxt))
                all_exact = False
            else:
                st.transitions.append((parse_hexstr(value, where), m, None, None, nxt))
                if m is not None:
                    all_exact = False
        if all_exact and st.key_fn is not None:
            dn: dict[int, ParseState | None] = {}
            for value, _, _, _, nxt in st.transitions:
                dn.setdefault(value, nxt)
            st.dict_next = dn

    def _key(self, key: list[Any], where: str) -> tuple[Callable[[PHV], int], int]:
        parts: list[tuple[Callable[[PHV, Any], int], int]] = []
        widths: list[int] = []
        self._key_widths = widths
        self._key_src = None
        if len(key) == 1 and isinstance(key[0], dict) and key[0].get("type") == "field":
            slot, width, _ = self.prog.layout.field_slot(key[0].get("value"), where)
            self._key_src = f"p[{slot}] & {(1 << width) - 1:#x}"
        total = 0
        for kj in key:
            t = kj.get("type") if isinstance(kj, dict) else None
            v: Any = kj.get("value") if isinstance(kj, dict) else None
            if t == "field":
                slot, width, _ = self.prog.layout.field_slot(v, where)
                m = (1 << width) - 1
                parts.append(((lambda s, mm: lambda p, d: p[s] & mm)(slot, m), (width + 7) // 8))
                widths.append(width)
            elif t == "lookahead":
                if not isinstance(v, list) or len(v) != 2:
                    raise ConfigError(f"{where}: bad lookahead {v!r}")
                parts.append((make_lookahead(int(v[0]), int(v[1])), (int(v[1]) + 7) // 8))
                widths.append(int(v[1]))
            elif t in ("stack_field", "union_stack_field"):
                g = self.prog.exprs.compile(kj, where)
                st = self.prog.layout.stack(v[0], where)
                hs = st.headers or [u.by_member[v[1]] for u in st.unions]
                fname = v[-1]
                f = hs[0].by_name.get(fname) if hs else None
                if f is None:
                    raise ConfigError(f"{where}: bad {t} {v!r}")
                m = (1 << f.width) - 1
                parts.append(((lambda gg, mm: lambda p, d: gg(p, d) & mm)(g, m), (f.width + 7) // 8))
                widths.append(f.width)
            else:
                raise ConfigError(f"{where}: unsupported transition key {kj!r}")
            total += parts[-1][1]
        if len(parts) == 1:
            g0 = parts[0][0]
            return (lambda p: g0(p, None)), total
        frozen = tuple(parts)

        def key_fn(p: PHV) -> int:
            k = 0
            for g, nb in frozen:
                k = (k << (8 * nb)) | g(p, None)
            return k

        return key_fn, total

    def _op(self, opj: Any, where: str) -> tuple[Op, str]:
        if not isinstance(opj, dict):
            raise ConfigError(f"{where}: bad parser op {opj!r}")
        op = opj.get("op")
        params = opj.get("parameters", [])
        lay = self.prog.layout
        ex = self.prog.exprs
        if op == "extract":
            if not params:
                raise ConfigError(f"{where}: extract without a parameter")
            return self._extract(params[0], None, where)
        if op == "extract_VL":
            if len(params) != 2:
                raise ConfigError(f"{where}: extract_VL expects 2 parameters")
            return self._extract(params[0], ex.compile(params[1], where), where)
        if op == "set":
            if len(params) != 2:
                raise ConfigError(f"{where}: set expects 2 parameters")
            setter = ex.setter(params[0], where)
            val = ex.compile(params[1], where)
            return (lambda p, d: setter(p, d, val(p, d))), ""
        if op == "verify":
            if len(params) != 2:
                raise ConfigError(f"{where}: verify expects 2 parameters")
            cond = ex.compile(params[0], where)
            err = ex.compile(params[1], where)
            names = lay.error_names

            def verify(p: PHV, d: Any) -> None:
                if not cond(p, d):
                    code = err(p, d)
                    raise ParserException(names.get(code, str(code)))

            return verify, ""
        if op in ("advance", "shift"):
            if len(params) != 1:
                raise ConfigError(f"{where}: {op} expects 1 parameter")
            amount = ex.compile(params[0], where)
            unit = 8 if op == "advance" else 1

            def advance(p: PHV, d: Any) -> None:
                pkt = p[0]
                n = amount(p, d)
                if n < 0 or n % unit:
                    raise ParserException("ParserInvalidArgument")
                nbytes = n // unit
                if pkt.off + nbytes > len(pkt.data):
                    raise ParserException("PacketTooShort")
                pkt.off += nbytes

            return advance, ""
        if op == "primitive":
            if len(params) != 1:
                raise ConfigError(f"{where}: primitive op expects 1 parameter")
            fn = self.prims.compile(params[0], where)
            return fn, describe(params[0])
        raise ConfigError(f"{where}: unsupported parser op '{op}'")

    def _extract(self, target: Any, vl: Callable[[PHV, Any], Any] | None, where: str) -> tuple[Op, str]:
        lay = self.prog.layout
        if not isinstance(target, dict):
            raise ConfigError(f"{where}: bad extract target {target!r}")
        t = target.get("type")
        v = target.get("value")
        if t == "regular":
            h = lay.header(v, where)
            if vl is not None:
                return self._extract_vl(h, vl, where), f"Extracting header '{h.name}'"
            fn = _extract_regular(h)
            if h.union is None:
                self._plain = h
            return fn, f"Extracting header '{h.name}'"
        if t == "stack":
            st = lay.stack(v, where)
            fns = [self._extract_vl(h, vl, where) if vl else _extract_regular(h) for h in st.headers]
            ns = st.next_slot
            size = len(fns)

            def extract_stack(p: PHV, d: Any) -> None:
                i = p[ns]
                if i >= size:
                    raise ParserException("StackOutOfBounds")
                fns[i](p, d)
                p[ns] = i + 1

            return extract_stack, f"Extracting to header stack '{st.name}'"
        if t == "union_stack":
            if not isinstance(v, list) or len(v) != 2:
                raise ConfigError(f"{where}: bad union_stack target {v!r}")
            st = lay.stack(v[0], where)
            hs = []
            for u in st.unions:
                member = u.by_member.get(v[1])
                if member is None:
                    raise ConfigError(f"{where}: union stack '{st.name}' has no member '{v[1]}'")
                hs.append(member)
            ufns = [_extract_regular(h) for h in hs]
            ns = st.next_slot
            size = len(ufns)

            def extract_union_stack(p: PHV, d: Any) -> None:
                i = p[ns]
                if i >= size:
                    raise ParserException("StackOutOfBounds")
                ufns[i](p, d)
                p[ns] = i + 1

            return extract_union_stack, f"Extracting to header union stack '{st.name}'"
        raise ConfigError(f"{where}: unsupported extract type '{t}'")

    def _extract_vl(self, h: HeaderLayout, vl: Callable[[PHV, Any], Any] | None, where: str) -> Op:
        if h.varbit is None or vl is None:
            raise ConfigError(f"{where}: header '{h.name}' has no varbit field")
        from softp4.switch.packet import make_varbit_extract

        ex = make_varbit_extract(h)
        fixed = h.nbits
        maxbits = h.varbit.width

        def extract_vl(p: PHV, d: Any) -> None:
            # BMv2's order: a width not in bytes, then too few bytes, then more than the header holds
            pkt = p[0]
            vbits = vl(p, d)
            if vbits < 0 or vbits % 8:
                raise ParserException("ParserInvalidArgument")
            n = (fixed + vbits) // 8
            if pkt.off + n > len(pkt.data):
                raise ParserException("PacketTooShort")
            if vbits > maxbits:
                raise ParserException("HeaderTooShort")
            ex(p, pkt.data, pkt.off, vbits)
            pkt.off += n

        return extract_vl
