"""The commands of p4c's STF packet-test format, as parsed from a file (one line each)."""

from __future__ import annotations

from dataclasses import dataclass, field


class StfSyntaxError(Exception):
    """A malformed STF line: `str(err)` is `file:line: error: message`."""

    def __init__(self, filename: str, line: int, message: str) -> None:
        super().__init__(f"{filename}:{line}: error: {message}")
        self.filename = filename
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Number:
    """An STF number: decimal, 0x hex, 0b binary or 0o octal; hex/binary/octal digits may be `*`.

    `value` has the wildcard digits as 0. `digit_bits` is the width the written digits cover
    (None for decimal), and `mask` has ones under the written non-wildcard digits (None for
    decimal), which is how p4c's BMv2 runner turns `0x0a**` into value and mask.
    """

    text: str
    value: int
    mask: int | None
    digit_bits: int | None

    @property
    def has_wildcards(self) -> bool:
        return "*" in self.text


@dataclass(frozen=True)
class KeyMatch:
    """`field:value`, `field:value/prefix`, or (softp4's extension for range keys) `field:low->high`."""

    field: str
    value: Number
    prefix: int | None = None
    high: Number | None = None


@dataclass(frozen=True)
class ActionCall:
    name: str
    args: tuple[tuple[str, Number], ...] = ()


@dataclass(frozen=True)
class Command:
    line: int


@dataclass(frozen=True)
class Add(Command):
    """`add`; for tables with an action profile the action may be `member(id:N)` or `group(id:N)`."""

    table: str
    priority: int | None
    keys: tuple[KeyMatch, ...]
    action: ActionCall
    entry_id: str | None = None


@dataclass(frozen=True)
class SetDefault(Command):
    table: str
    action: ActionCall


@dataclass(frozen=True)
class Packet(Command):
    port: int
    data: bytes


@dataclass(frozen=True)
class Expect(Command):
    """Expect a packet on `port`: `pattern` is upper-case hex nibbles with `*` wildcards, or None
    for "any number of packets, any content"; `exact` (a trailing `$`) forbids extra bytes."""

    port: int
    pattern: str | None
    exact: bool = False


@dataclass(frozen=True)
class Wait(Command):
    pass


@dataclass(frozen=True)
class RemoveAll(Command):
    pass


@dataclass(frozen=True)
class CheckCounter(Command):
    """`check_counter name(index) [packets|bytes <op> value]`; without a check, packets == 0."""

    counter: str
    index: int | str
    kind: str
    op: str
    value: int


@dataclass(frozen=True)
class MirroringAdd(Command):
    session: int
    port: int


@dataclass(frozen=True)
class MirroringAddMc(Command):
    session: int
    group: int


@dataclass(frozen=True)
class MirroringDelete(Command):
    session: int


@dataclass(frozen=True)
class McGroupCreate(Command):
    group: int


@dataclass(frozen=True)
class McNodeCreate(Command):
    rid: int
    ports: tuple[int, ...]


@dataclass(frozen=True)
class McNodeUpdate(Command):
    handle: int
    ports: tuple[int, ...]


@dataclass(frozen=True)
class McNodeAssociate(Command):
    group: int
    handle: int


@dataclass(frozen=True)
class CounterWrite(Command):
    counter: str
    index: int
    packets: int
    bytes: int


@dataclass(frozen=True)
class RegisterWrite(Command):
    register: str
    index: int
    value: int


@dataclass(frozen=True)
class RegisterReset(Command):
    register: str


@dataclass(frozen=True)
class MeterSetRates(Command):
    """`meter_set_rates name index r:b ...` (index set) or `meter_array_set_rates name r:b ...`."""

    meter: str
    index: int | None
    rates: tuple[tuple[float, int], ...]


@dataclass(frozen=True)
class ValueSetChange(Command):
    """`pvs_add name value[&&&mask]` / `pvs_remove ...` (BMv2 CLI names; a softp4 STF extension)."""

    value_set: str
    value: int
    mask: int | None
    add: bool


@dataclass(frozen=True)
class ProfileMember(Command):
    """`member <profile> <id> action(args)`: an action profile member (softp4 STF extension)."""

    profile: str
    member: int
    action: ActionCall


@dataclass(frozen=True)
class ProfileGroup(Command):
    """`group <profile> <id> <member ids...>`: an action selector group (softp4 STF extension)."""

    profile: str
    group: int
    members: tuple[int, ...]


@dataclass(frozen=True)
class Query(Command):
    """A command that only reads state (register_read, counter_read, mirroring_get, meter_get_rates)."""

    name: str
    args: tuple[str, ...] = field(default=())


COMMAND_NAMES = (
    "add",
    "setdefault",
    "packet",
    "expect",
    "no_packet",
    "wait",
    "remove",
    "check_counter",
    "mirroring_add",
    "mirroring_add_mc",
    "mirroring_delete",
    "mirroring_get",
    "mc_mgrp_create",
    "mc_node_create",
    "mc_node_update",
    "mc_node_associate",
    "counter_read",
    "counter_write",
    "register_read",
    "register_write",
    "register_reset",
    "meter_get_rates",
    "meter_set_rates",
    "meter_array_set_rates",
    "pvs_add",
    "pvs_remove",
    "member",
    "group",
)
