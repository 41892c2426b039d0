"""Parser for p4c's STF format: one command per line, `#` comments, case-insensitive keywords."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from softp4.stf.syntax import (
    COMMAND_NAMES,
    ActionCall,
    Add,
    CheckCounter,
    Command,
    CounterWrite,
    Expect,
    KeyMatch,
    McGroupCreate,
    McNodeAssociate,
    McNodeCreate,
    McNodeUpdate,
    MeterSetRates,
    MirroringAdd,
    MirroringAddMc,
    MirroringDelete,
    Number,
    Packet,
    ProfileGroup,
    ProfileMember,
    Query,
    RegisterReset,
    RegisterWrite,
    RemoveAll,
    SetDefault,
    StfSyntaxError,
    ValueSetChange,
    Wait,
)

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<float>[0-9]+\.[0-9]+)
  | (?P<number>(?:0[xX][0-9a-fA-F*]+|0[bB][01*]+|0[oO][0-7*]+|[0-9]+)(?![A-Za-z0-9_$*]))
  | (?P<bad>[0-9][A-Za-z0-9_$*]*)
  | (?P<ident>[A-Za-z_$][A-Za-z0-9_$]*)
  | (?P<op>&&&|==|!=|<=|>=|->|[:,()\[\].=/<>])
    """,
    re.VERBOSE,
)

_COMPARISONS = ("==", "!=", "<=", ">=", "<", ">")
_HEX_DIGITS = set("0123456789abcdefABCDEF")


@dataclass(frozen=True)
class _Token:
    kind: str  # number, float, ident, op, end
    text: str
    column: int


def parse_number(text: str) -> Number:
    """Turn an STF number (possibly with `*` digits) into a Number; ValueError if malformed."""
    lowered = text.lower()
    if lowered.startswith(("0x", "0b", "0o")):
        base_bits = {"x": 4, "b": 1, "o": 3}[lowered[1]]
        digits = lowered[2:]
        if not digits:
            raise ValueError(f"number '{text}' has no digits")
        value = 0
        mask = 0
        full = (1 << base_bits) - 1
        for ch in digits:
            value <<= base_bits
            mask <<= base_bits
            if ch == "*":
                continue
            digit = int(ch, 16)
            if digit > full:
                raise ValueError(f"digit '{ch}' out of range in '{text}'")
            value |= digit
            mask |= full
        return Number(text, value, mask, base_bits * len(digits))
    if "*" in text or not text.isdigit():
        raise ValueError(f"malformed number '{text}'")
    return Number(text, int(text), None, None)


class _LineParser:
    """Parses the tokens of one command line (not packet data)."""

    def __init__(self, filename: str, line: int, text: str, start: int) -> None:
        self.filename = filename
        self.line = line
        self.tokens: list[_Token] = []
        pos = start
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if m is None:
                raise self.error(f"unexpected character '{text[pos]}'")
            kind = m.lastgroup or ""
            if kind == "bad":
                raise self.error(f"malformed number '{m.group()}'")
            if kind != "ws":
                self.tokens.append(_Token(kind, m.group(), pos + 1))
            pos = m.end()
        self.tokens.append(_Token("end", "", len(text) + 1))
        self.pos = 0

    def error(self, message: str) -> StfSyntaxError:
        return StfSyntaxError(self.filename, self.line, message)

    def peek(self, offset: int = 0) -> _Token:
        return self.tokens[min(self.pos + offset, len(self.tokens) - 1)]

    def next(self) -> _Token:
        tok = self.peek()
        if tok.kind != "end":
            self.pos += 1
        return tok

    def describe(self, tok: _Token) -> str:
        return "end of line" if tok.kind == "end" else f"'{tok.text}'"

    def expect_op(self, op: str, what: str) -> None:
        tok = self.next()
        if tok.kind != "op" or tok.text != op:
            raise self.error(f"expected '{op}' {what}, found {self.describe(tok)}")

    def at_op(self, op: str) -> bool:
        tok = self.peek()
        return tok.kind == "op" and tok.text == op

    def done(self) -> None:
        tok = self.peek()
        if tok.kind != "end":
            raise self.error(f"unexpected {self.describe(tok)} at the end of the command")

    def number(self, what: str) -> Number:
        tok = self.next()
        if tok.kind != "number":
            raise self.error(f"expected a number for {what}, found {self.describe(tok)}")
        try:
            return parse_number(tok.text)
        except ValueError as exc:
            raise self.error(str(exc)) from None

    def integer(self, what: str) -> int:
        num = self.number(what)
        if num.has_wildcards:
            raise self.error(f"{what} cannot have '*' digits ('{num.text}')")
        return num.value

    def name(self, what: str) -> str:
        """A qualified name: ident ('[' n ']')? ('.' ident ('[' n ']')?)*."""
        tok = self.next()
        if tok.kind != "ident":
            raise self.error(f"expected {what}, found {self.describe(tok)}")
        parts = [tok.text]
        while True:
            if self.at_op("["):
                self.next()
                index = self.next()
                if index.kind != "number" or not index.text.isdigit():
                    raise self.error(f"expected a decimal index after '[' in {what}")
                self.expect_op("]", f"after the index in {what}")
                parts.append(f"[{index.text}]")
            elif self.at_op(".") and self.peek(1).kind in ("ident", "number"):
                self.next()
                parts.append("." + self.next().text)
            else:
                break
        return "".join(parts)

    def action(self) -> ActionCall:
        name = self.name("an action name")
        self.expect_op("(", f"after action '{name}'")
        args: list[tuple[str, Number]] = []
        if not self.at_op(")"):
            while True:
                arg = self.next()
                if arg.kind != "ident":
                    raise self.error(
                        f"expected a parameter name in the arguments of '{name}', found {self.describe(arg)}"
                    )
                self.expect_op(":", f"after parameter '{arg.text}'")
                args.append((arg.text, self.number(f"parameter '{arg.text}'")))
                if self.at_op(","):
                    self.next()
                    continue
                break
        self.expect_op(")", f"to close the arguments of '{name}'")
        return ActionCall(name, tuple(args))


def _parse_add(p: _LineParser) -> Add:
    table = p.name("a table name after 'add'")
    priority: int | None = None
    if p.peek().kind == "number":
        priority = p.integer("the priority")
    keys: list[KeyMatch] = []
    while True:
        tok = p.peek()
        if tok.kind == "end":
            raise p.error(f"'add {table}' has no action (expected 'action(args)' after the key)")
        if tok.kind != "ident":
            raise p.error(f"expected a key field or an action, found {p.describe(tok)}")
        # a name followed by '(' is the action; otherwise a key field
        save = p.pos
        field = p.name("a key field")
        if p.at_op("("):
            p.pos = save
            break
        p.expect_op(":", f"after key field '{field}'")
        value = p.number(f"key field '{field}'")
        prefix = None
        high = None
        if p.at_op("/"):
            p.next()
            prefix = p.integer(f"the prefix length of '{field}'")
        elif p.at_op("->"):
            p.next()
            high = p.number(f"the upper bound of '{field}'")
        keys.append(KeyMatch(field, value, prefix, high))
    action = p.action()
    entry_id = None
    if p.at_op("="):
        p.next()
        tok = p.next()
        if tok.kind not in ("ident", "number"):
            raise p.error(f"expected an entry id after '=', found {p.describe(tok)}")
        entry_id = tok.text
    p.done()
    return Add(p.line, table, priority, tuple(keys), action, entry_id)


def _parse_check_counter(p: _LineParser) -> CheckCounter:
    tok = p.next()
    if tok.kind != "ident":
        raise p.error(f"expected a counter name after 'check_counter', found {p.describe(tok)}")
    counter = tok.text
    while p.at_op(".") and p.peek(1).kind == "ident":
        p.next()
        counter += "." + p.next().text
    p.expect_op("(", f"after counter '{counter}'")
    idx = p.next()
    index: int | str
    if idx.kind == "number":
        try:
            index = parse_number(idx.text).value
        except ValueError as exc:
            raise p.error(str(exc)) from None
    elif idx.kind == "ident":
        index = idx.text
    else:
        raise p.error(f"expected an index or entry id in check_counter, found {p.describe(idx)}")
    p.expect_op(")", "after the counter index")
    kind, op, value = "packets", "==", 0
    if p.peek().kind != "end":
        kind_tok = p.next()
        if kind_tok.kind != "ident" or kind_tok.text.lower() not in ("packets", "bytes"):
            raise p.error(f"expected 'packets' or 'bytes', found {p.describe(kind_tok)}")
        kind = kind_tok.text.lower()
        op_tok = p.next()
        if op_tok.kind != "op" or op_tok.text not in _COMPARISONS:
            raise p.error(f"expected a comparison ({' '.join(_COMPARISONS)}), found {p.describe(op_tok)}")
        op = op_tok.text
        value = p.integer("the expected count")
    p.done()
    return CheckCounter(p.line, counter, index, kind, op, value)


def _parse_rates(p: _LineParser) -> tuple[tuple[float, int], ...]:
    rates: list[tuple[float, int]] = []
    while p.peek().kind != "end":
        tok = p.next()
        if tok.kind not in ("number", "float"):
            raise p.error(f"expected a rate 'rate:burst', found {p.describe(tok)}")
        try:
            rate = float(tok.text) if tok.kind == "float" else float(parse_number(tok.text).value)
        except ValueError as exc:
            raise p.error(str(exc)) from None
        p.expect_op(":", "between rate and burst")
        rates.append((rate, p.integer("the burst size")))
    if not rates:
        raise p.error("expected at least one 'rate:burst'")
    return tuple(rates)


def _port(p: _LineParser, what: str) -> int:
    value = p.integer(what)
    if value > 511:
        raise p.error(f"{what} {value} is out of range (0..511)")
    return value


def _parse_data(filename: str, line: int, keyword: str, text: str) -> Command:
    words = text.split()
    if not words:
        raise StfSyntaxError(filename, line, f"'{keyword}' needs a port number")
    port_text = words[0]
    if not port_text.isdigit():
        raise StfSyntaxError(filename, line, f"expected a port number after '{keyword}', found '{port_text}'")
    port = int(port_text)
    if port > 511:
        raise StfSyntaxError(filename, line, f"port {port} is out of range (0..511)")
    data = "".join(words[1:])
    if keyword == "packet":
        bad = next((ch for ch in data if ch not in _HEX_DIGITS), None)
        if bad is not None:
            raise StfSyntaxError(filename, line, f"packet data may hold only hex digits, found '{bad}'")
        if len(data) % 2:
            raise StfSyntaxError(
                filename, line, f"packet data has an odd number of hex digits ({len(data)})"
            )
        return Packet(line, port, bytes.fromhex(data))
    if not data:
        return Expect(line, port, None)
    exact = data.endswith("$")
    if exact:
        data = data[:-1]
    bad = next((ch for ch in data if ch not in _HEX_DIGITS and ch != "*"), None)
    if bad is not None:
        where = "only at the end" if bad == "$" else "hex digits and '*'"
        raise StfSyntaxError(filename, line, f"expected packet data may hold {where}, found '{bad}'")
    return Expect(line, port, data.upper(), exact)


def parse_line(filename: str, line: int, text: str) -> Command | None:
    """Parse one line; None for blank lines and comments."""
    text = text.split("#", 1)[0]
    stripped = text.strip()
    if not stripped:
        return None
    m = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)", text)
    if m is None:
        raise StfSyntaxError(filename, line, f"expected a command, found '{stripped.split()[0]}'")
    keyword = m.group(1).lower()
    rest_start = m.end()
    if keyword in ("packet", "expect"):
        return _parse_data(filename, line, keyword, text[rest_start:])
    if keyword not in COMMAND_NAMES:
        raise StfSyntaxError(filename, line, f"unknown command '{m.group(1)}'")
    p = _LineParser(filename, line, text, rest_start)
    command: Command
    if keyword == "add":
        return _parse_add(p)
    if keyword == "setdefault":
        table = p.name("a table name after 'setdefault'")
        command = SetDefault(line, table, p.action())
    elif keyword in ("wait", "no_packet"):
        command = Wait(line)
    elif keyword == "remove":
        tok = p.next()
        if tok.kind != "ident" or tok.text.lower() != "all":
            raise p.error("only 'remove all' is supported")
        command = RemoveAll(line)
    elif keyword == "check_counter":
        return _parse_check_counter(p)
    elif keyword == "mirroring_add":
        session = p.integer("the mirroring session")
        command = MirroringAdd(line, session, _port(p, "the mirroring port"))
    elif keyword == "mirroring_add_mc":
        session = p.integer("the mirroring session")
        command = MirroringAddMc(line, session, p.integer("the multicast group"))
    elif keyword == "mirroring_delete":
        command = MirroringDelete(line, p.integer("the mirroring session"))
    elif keyword == "mc_mgrp_create":
        command = McGroupCreate(line, p.integer("the multicast group"))
    elif keyword in ("mc_node_create", "mc_node_update"):
        first = p.integer("the replication id" if keyword == "mc_node_create" else "the node handle")
        ports: list[int] = []
        while p.peek().kind != "end":
            ports.append(_port(p, "a port"))
        if keyword == "mc_node_create":
            command = McNodeCreate(line, first, tuple(ports))
        else:
            command = McNodeUpdate(line, first, tuple(ports))
    elif keyword == "mc_node_associate":
        group = p.integer("the multicast group")
        command = McNodeAssociate(line, group, p.integer("the node handle"))
    elif keyword == "counter_write":
        name = p.name("a counter name")
        index = p.integer("the counter index")
        packets = p.integer("the packet count")
        command = CounterWrite(line, name, index, packets, p.integer("the byte count"))
    elif keyword == "register_write":
        name = p.name("a register name")
        index = p.integer("the register index")
        command = RegisterWrite(line, name, index, p.integer("the register value"))
    elif keyword == "register_reset":
        command = RegisterReset(line, p.name("a register name"))
    elif keyword == "meter_set_rates":
        name = p.name("a meter name")
        index = p.integer("the meter index")
        command = MeterSetRates(line, name, index, _parse_rates(p))
    elif keyword == "member":
        profile = p.name("an action profile name")
        member = p.integer("the member id")
        command = ProfileMember(line, profile, member, p.action())
    elif keyword == "group":
        profile = p.name("an action profile name")
        group = p.integer("the group id")
        members: list[int] = []
        while p.peek().kind != "end":
            members.append(p.integer("a member id"))
        command = ProfileGroup(line, profile, group, tuple(members))
    elif keyword in ("pvs_add", "pvs_remove"):
        name = p.name("a value set name")
        value = p.integer("the value")
        mask = None
        if p.at_op("&&&"):
            p.next()
            mask = p.integer("the mask")
        command = ValueSetChange(line, name, value, mask, keyword == "pvs_add")
    elif keyword == "meter_array_set_rates":
        name = p.name("a meter name")
        command = MeterSetRates(line, name, None, _parse_rates(p))
    else:  # register_read, counter_read, mirroring_get, meter_get_rates
        args: list[str] = [] if keyword == "mirroring_get" else [p.name(f"a name after '{keyword}'")]
        while p.peek().kind != "end":
            args.append(p.next().text)
        command = Query(line, keyword, tuple(args))
    p.done()
    return command


def parse_stf(text: str, filename: str = "<stf>") -> list[Command]:
    """Parse a whole STF text; raises StfSyntaxError at the first bad line."""
    commands: list[Command] = []
    for number, line in enumerate(text.splitlines(), start=1):
        command = parse_line(filename, number, line)
        if command is not None:
            commands.append(command)
    return commands


def parse_stf_file(path: str | Path) -> list[Command]:
    try:
        text = Path(path).read_text()
    except UnicodeDecodeError as exc:
        raise StfSyntaxError(str(path), 1, f"not a text file ({exc.reason})") from None
    return parse_stf(text, str(path))
