"""STF table entries as match values and action data, the same for every target the runner drives.

`entry_key` turns the `field:value` pairs of an `add` into one Match per key field of the table
(fields left out become wildcards), `action_data` checks an action call against the action's
parameters, and `check_port` / `counter_failure` judge what came out. softp4's own switch and
real BMv2 (`softp4.stf.bmv2`) get their entries and verdicts from here, so both read an STF file
the same way.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence

from softp4.stf.program import ProgramNames, TableSpec, UnknownName
from softp4.stf.syntax import ActionCall, CheckCounter, Expect, KeyMatch
from softp4.switch.tables import Exact, Lpm, Match, Optional, Range, Ternary

COMPARE: dict[str, Callable[[int, int], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def action_data(names: ProgramNames, table: TableSpec, call: ActionCall) -> tuple[str, list[int]]:
    """The full action name and its parameter values in declaration order; UnknownName if a
    parameter is missing or not the action's."""
    action = names.action(table, call.name)
    given = dict(call.args)
    params = [name for name, _ in action.params]
    unknown = [name for name in given if name not in params]
    if unknown:
        raise UnknownName(
            f"action '{action.name}' has no parameter '{unknown[0]}' (its parameters: {', '.join(params) or 'none'})"
        )
    missing = [name for name in params if name not in given]
    if missing:
        raise UnknownName(f"action '{action.name}' needs a value for parameter '{missing[0]}'")
    return action.name, [given[name].value for name in params]


def entry_key(names: ProgramNames, table: TableSpec, keys: Sequence[KeyMatch]) -> list[Match]:
    """One Match per key field of `table`; fields the entry leaves out match anything."""
    matches: list[Match | None] = [None] * len(table.keys)
    for km in keys:
        index = names.key_index(table, km.field)
        matches[index] = match_value(table.keys[index].match_type, table.keys[index].width, km)
    out: list[Match] = []
    for spec, match in zip(table.keys, matches, strict=True):
        if match is not None:
            out.append(match)
        elif spec.match_type == "ternary":
            out.append(Ternary(0, 0))
        elif spec.match_type == "lpm":
            out.append(Lpm(0, 0))
        elif spec.match_type == "range":
            out.append(Range(0, (1 << spec.width) - 1 if spec.width else 0))
        elif spec.match_type == "optional":
            out.append(Optional(None))
        else:
            out.append(Exact(0))
    return out


def match_value(match_type: str, width: int, km: KeyMatch) -> Match:
    """One key field's value as the match kind of its field (ternary masks and LPM prefixes from
    the written digits, as p4c's BMv2 runner makes them)."""
    num = km.value
    full = (1 << width) - 1 if width else -1
    if match_type == "ternary":
        if km.prefix is not None:
            mask = ((1 << km.prefix) - 1) << (width - km.prefix) if width >= km.prefix else full
        else:
            mask = full if num.mask is None else num.mask & full
        return Ternary(num.value & mask, mask)
    if match_type == "lpm":
        if km.prefix is not None:
            plen = km.prefix
        elif num.digit_bits is not None:
            # p4c's runner: the written non-wildcard digits make the prefix
            bits_per_digit = num.digit_bits // max(1, len(num.text) - 2)
            plen = (len(num.text) - 2 - num.text.count("*")) * bits_per_digit
        else:
            plen = width
        plen = min(plen, width) if width else plen
        pmask = ((1 << plen) - 1) << (width - plen) if width else -1
        return Lpm(num.value & pmask, plen)
    if match_type == "range":
        if km.high is not None:
            return Range(num.value, km.high.value)
        low = num.value
        high = num.value if num.mask is None else num.value | (~num.mask & full)
        return Range(low, high)
    if match_type == "optional":
        if num.has_wildcards:
            if num.mask == 0:
                return Optional(None)  # all digits `*`: the field is left out (a don't-care)
            raise UnknownName(
                f"optional key '{km.field}' value {num.text}: write every digit or none ('*' for a don't-care)"
            )
        return Optional(num.value)
    return Exact(num.value)


def describe_match(match: Match) -> str:
    """A key value as BMv2's CLI writes it: 0x1, 0x0a00/8, 0x800&&&0xff00, 1->5, * for a wildcard."""
    if isinstance(match, Exact):
        return hex(match.value)
    if isinstance(match, Lpm):
        return f"{match.value:#x}/{match.prefix_len}"
    if isinstance(match, Ternary):
        return f"{match.value:#x}&&&{match.mask:#x}"
    if isinstance(match, Range):
        return f"{match.low:#x}->{match.high:#x}"
    return "*" if match.value is None else hex(match.value)


def counter_failure(command: CheckCounter, where: str, packets: int, nbytes: int) -> str | None:
    """The failure line of a `check_counter` whose counter reads (packets, bytes); None if it holds."""
    actual = packets if command.kind == "packets" else nbytes
    if COMPARE[command.op](actual, command.value):
        return None
    return (
        f"{where}: check_counter {command.counter}({command.index}) failed: "
        f"{command.kind} is {actual}, expected {command.op} {command.value}"
    )


def match_packet(pattern: str, exact: bool, received: bytes) -> list[int]:
    """Nibble positions where `received` differs from `pattern` (past-the-end counts as differing)."""
    got = received.hex().upper()
    bad = [i for i, ch in enumerate(pattern) if ch != "*" and (i >= len(got) or got[i] != ch)]
    if exact and len(got) > len(pattern):
        bad += list(range(len(pattern), len(got)))
    return bad


def _show(pattern: str, received: bytes, bad: list[int], exact: bool) -> list[str]:
    got = received.hex().upper()
    width = max(len(pattern), len(got))
    wrong = set(bad)
    marks = "".join("^" if i in wrong else " " for i in range(width)).rstrip()
    notes = []
    if len(got) < len(pattern):
        notes.append(f"received {len(received)} bytes, expected at least {(len(pattern) + 1) // 2}")
    if exact and len(got) > len(pattern):
        notes.append(f"received {len(received)} bytes, expected exactly {len(pattern) // 2} ($)")
    out = [f"    expected: {pattern}{'$' if exact else ''}", f"    received: {got}", f"              {marks}"]
    return out + [f"    ({note})" for note in notes]


def check_port(port: int, expected: Sequence[Expect], received: Sequence[bytes]) -> list[str]:
    """What is wrong with the packets one port received (p4c's rules: as many packets as expects,
    compared in order, `*` nibbles match anything, longer is fine unless `$`); [] when right."""
    problems: list[str] = []
    if len(expected) != len(received):
        problems.append(f"expected {len(expected)} packet(s) on port {port}, received {len(received)}")
    for i in range(max(len(expected), len(received))):
        if i >= len(expected):
            problems.append(f"#{i} unexpected packet:")
            problems.append(f"    received: {received[i].hex().upper()}")
            continue
        exp = expected[i]
        assert exp.pattern is not None
        if i >= len(received):
            problems.append(f"#{i} missing packet (expect at line {exp.line}):")
            problems.append(f"    expected: {exp.pattern}{'$' if exp.exact else ''}")
            continue
        bad = match_packet(exp.pattern, exp.exact, received[i])
        if bad:
            problems.append(f"#{i} differs (expect at line {exp.line}):")
            problems += _show(exp.pattern, received[i], bad, exp.exact)
    return problems
