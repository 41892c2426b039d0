"""P4Info ids <-> switch names, and checked translation of P4Runtime entities.

`P4InfoIndex` is built once per pushed pipeline: for every table it precomputes
the match fields in switch key order, the don't-care value of each, the actions
allowed and whether a priority is required, so that translating an entry is a
few dictionary look-ups.  Every check raises `P4RuntimeError` with a message
that names the field path and the P4 object, e.g.
``table_entry.match[1].field_id 7: no such match field in table 'ingress.t'``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import grpc
from finsy.proto import p4i, p4r

from softp4.switch import Exact, Lpm, Optional, Range, Ternary
from softp4.switch.p4runtime.errors import P4RuntimeError, invalid
from softp4.switch.p4runtime.values import canonical, decode

MatchValue = Exact | Lpm | Ternary | Range | Optional

_MT = p4i.MatchField.MatchType
EXACT, LPM, TERNARY, RANGE, OPTIONAL = _MT.EXACT, _MT.LPM, _MT.TERNARY, _MT.RANGE, _MT.OPTIONAL
_MATCH_KIND_NAMES = {EXACT: "exact", LPM: "lpm", TERNARY: "ternary", RANGE: "range", OPTIONAL: "optional"}
_PRIORITY_KINDS = (TERNARY, RANGE, OPTIONAL)

_SCOPE = p4i.ActionRef.Scope
TABLE_ONLY, DEFAULT_ONLY = _SCOPE.TABLE_ONLY, _SCOPE.DEFAULT_ONLY


@dataclass(slots=True)
class FieldSpec:
    """One match field of a table."""

    id: int
    name: str
    bitwidth: int
    kind: int  # p4i.MatchField.MatchType
    position: int  # index in the switch key
    dont_care: MatchValue | None  # None for exact fields, which cannot be omitted
    translated: bool = False  # a @p4runtime_translation type: P4Info width is the controller's

    @property
    def kind_name(self) -> str:
        return _MATCH_KIND_NAMES.get(self.kind, str(self.kind))


@dataclass(slots=True)
class ParamSpec:
    id: int
    name: str
    bitwidth: int
    position: int


@dataclass(slots=True)
class ActionSpec:
    id: int
    name: str
    params: dict[int, ParamSpec]
    ordered: list[ParamSpec]


@dataclass(slots=True)
class TableSpec:
    """A table as P4Runtime sees it, bound to the switch table of the same name."""

    id: int
    name: str
    fields: dict[int, FieldSpec]
    ordered: list[FieldSpec]
    needs_priority: bool
    scopes: dict[int, int]  # action id -> p4i.ActionRef.Scope
    const: bool
    const_default_action_id: int
    size: int
    direct_counter_id: int = 0
    direct_counter_unit: int = 0
    direct_meter_id: int = 0
    profile_id: int = 0  # implementation: an action profile or selector (indirect table)
    idle_timeout: bool = False  # P4Info idle_timeout_behavior NOTIFY_CONTROL

    # -- match ---------------------------------------------------------------------------------------
    def key(self, matches: Sequence[p4r.FieldMatch], where: str) -> list[MatchValue]:
        """The switch key of a P4Runtime match; omitted fields get their don't-care value."""
        key: list[Any] = [f.dont_care for f in self.ordered]
        seen: set[int] = set()
        fields = self.fields
        for i, match in enumerate(matches):
            spec = fields.get(match.field_id)
            if spec is None:
                raise invalid(
                    f"{where}.match[{i}].field_id {match.field_id}: no such match field in table '{self.name}'"
                )
            if spec.id in seen:
                raise invalid(f"{where}.match[{i}]: match field '{spec.name}' given twice")
            seen.add(spec.id)
            key[spec.position] = _match_value(spec, match, f"{where}.match[{i}]")
        for spec in self.ordered:
            if spec.dont_care is None and spec.id not in seen:
                raise invalid(
                    f"{where}.match: exact match field '{spec.name}' (id {spec.id}) of table '{self.name}' is missing"
                )
        return key

    def match(self, key: Sequence[Any]) -> list[p4r.FieldMatch]:
        """The P4Runtime match of a switch key, don't-care fields omitted, values canonical."""
        out: list[p4r.FieldMatch] = []
        for spec, value in zip(self.ordered, key, strict=True):
            fm = _field_match(spec, value)
            if fm is not None:
                out.append(fm)
        return out

    def fill_match(self, key: Sequence[Any], into: Any) -> None:
        """`match(key)` added to the repeated field `into`, exact and LPM fields built in place (no copies)."""
        for spec, value in zip(self.ordered, key, strict=True):
            kind = spec.kind
            if kind == EXACT:
                into.add(field_id=spec.id).exact.value = canonical(value.value)
            elif kind == LPM:
                if value.prefix_len:
                    lpm = into.add(field_id=spec.id).lpm
                    lpm.value = canonical(value.value)
                    lpm.prefix_len = value.prefix_len
            else:
                fm = _field_match(spec, value)
                if fm is not None:
                    into.append(fm)

    def check_priority(self, priority: int, where: str) -> None:
        if self.needs_priority:
            if priority <= 0:
                raise invalid(
                    f"{where}.priority {priority}: table '{self.name}' has ternary, range or optional "
                    "match fields, so entries need a priority > 0"
                )
        elif priority != 0:
            raise invalid(
                f"{where}.priority {priority}: table '{self.name}' has no ternary, range or optional "
                "match fields, so the priority must be 0"
            )


def _match_value(spec: FieldSpec, match: p4r.FieldMatch, where: str) -> MatchValue:
    given = match.WhichOneof("field_match_type")
    expected = spec.kind_name
    if given != expected:
        raise invalid(f"{where}: match field '{spec.name}' is {expected}, but the match given is {given or 'empty'}")
    width = spec.bitwidth
    if given == "exact":
        return Exact(decode(match.exact.value, width, f"{where}.exact.value"))
    if given == "lpm":
        plen = match.lpm.prefix_len
        value = decode(match.lpm.value, width, f"{where}.lpm.value")
        if plen < 0 or plen > width:
            raise invalid(f"{where}.lpm.prefix_len {plen}: out of range 1..{width} for '{spec.name}'")
        if plen == 0:
            raise invalid(f"{where}.lpm.prefix_len 0: a don't-care match on '{spec.name}' must be omitted")
        # PI counts the zeros after the prefix over whole bytes, not the field's width: on a field whose
        # width is not a multiple of 8 it also wants the lowest (8 - width % 8) bits zero; BMv2 refuses so too
        host_bits = 8 * ((width + 7) // 8) - plen
        if value & ((1 << host_bits) - 1):
            whole_bytes = f" (counted over whole bytes, as BMv2 does: the last {host_bits} bits)" if width % 8 else ""
            raise invalid(
                f"{where}.lpm.value 0x{match.lpm.value.hex()}: bits beyond the prefix length {plen} must be zero"
                + whole_bytes
            )
        return Lpm(value, plen)
    if given == "ternary":
        value = decode(match.ternary.value, width, f"{where}.ternary.value")
        mask = decode(match.ternary.mask, width, f"{where}.ternary.mask")
        if mask == 0:
            raise invalid(f"{where}.ternary.mask is 0: a don't-care match on '{spec.name}' must be omitted")
        if value & ~mask:
            raise invalid(
                f"{where}.ternary: value 0x{match.ternary.value.hex()} has bits set outside mask "
                f"0x{match.ternary.mask.hex()}"
            )
        return Ternary(value, mask)
    if given == "range":
        low = decode(match.range.low, width, f"{where}.range.low")
        high = decode(match.range.high, width, f"{where}.range.high")
        if low > high:
            raise invalid(f"{where}.range: low {low} is greater than high {high}")
        if range_is_dont_care(low, high, width):
            raise invalid(f"{where}.range covers every value: a don't-care match on '{spec.name}' must be omitted")
        return Range(low, high)
    return Optional(decode(match.optional.value, width, f"{where}.optional.value"))


def range_is_dont_care(low: int, high: int, width: int) -> bool:
    """Whether PI takes range [low, high] of a `width`-bit field as a don't-care: when it spans the field's
    whole bytes, so on a field whose width is not a multiple of 8 no range is one (PI's quirk: a full range
    is a legal entry there, and an omitted range reads back as the full range)."""
    return low == 0 and high == (1 << (8 * ((width + 7) // 8))) - 1


def _field_match(spec: FieldSpec, value: Any) -> p4r.FieldMatch | None:
    kind = spec.kind
    if kind == EXACT:
        return p4r.FieldMatch(field_id=spec.id, exact=p4r.FieldMatch.Exact(value=canonical(value.value)))
    if kind == LPM:
        if value.prefix_len == 0:
            return None
        return p4r.FieldMatch(
            field_id=spec.id, lpm=p4r.FieldMatch.LPM(value=canonical(value.value), prefix_len=value.prefix_len)
        )
    if kind == TERNARY:
        if value.mask == 0:
            return None
        return p4r.FieldMatch(
            field_id=spec.id,
            ternary=p4r.FieldMatch.Ternary(value=canonical(value.value), mask=canonical(value.mask)),
        )
    if kind == RANGE:
        if range_is_dont_care(value.low, value.high, spec.bitwidth):
            return None
        return p4r.FieldMatch(
            field_id=spec.id, range=p4r.FieldMatch.Range(low=canonical(value.low), high=canonical(value.high))
        )
    if isinstance(value, Ternary):  # an optional field that the device config matches as ternary
        if value.mask == 0:
            return None
        return p4r.FieldMatch(field_id=spec.id, optional=p4r.FieldMatch.Optional(value=canonical(value.value)))
    if value.value is None:
        return None
    return p4r.FieldMatch(field_id=spec.id, optional=p4r.FieldMatch.Optional(value=canonical(value.value)))


def _dont_care(kind: int, width: int) -> MatchValue | None:
    if kind == LPM:
        return Lpm(0, 0)
    if kind == TERNARY:
        return Ternary(0, 0)
    if kind == RANGE:
        return Range(0, (1 << width) - 1)
    if kind == OPTIONAL:
        return Optional(None)
    return None


@dataclass(slots=True)
class ExternSpec:
    """An indexed extern (counter, meter, register) or a direct one."""

    id: int
    name: str
    size: int
    unit: int = 0  # counter or meter unit
    bitwidth: int = 0  # registers
    table_id: int = 0  # direct resources


@dataclass(slots=True)
class DigestSpec:
    id: int
    name: str
    widths: list[int]
    kind: str  # "struct", "tuple" or "bitstring": the shape of each sample's P4Data


@dataclass(slots=True)
class ProfileSpec:
    """An action profile (with_selector: an action selector) and the tables it implements."""

    id: int
    name: str
    table_ids: list[int]
    with_selector: bool
    size: int
    max_group_size: int


@dataclass(slots=True)
class ControllerHeader:
    """A @controller_header: metadata ids, names and widths in P4Info order."""

    name: str
    ids: list[int]
    names: list[str]
    widths: list[int]
    nbytes: int = field(init=False)

    def __post_init__(self) -> None:
        self.nbytes = (sum(self.widths) + 7) // 8


class P4InfoIndex:
    """Every P4Info object by id, with the precomputed specs above."""

    def __init__(self, p4info: p4i.P4Info) -> None:
        self.p4info = p4info
        _check_ids(p4info)
        self.actions: dict[int, ActionSpec] = {}
        for action in p4info.actions:
            ordered = [ParamSpec(p.id, p.name, p.bitwidth, i) for i, p in enumerate(action.params)]
            self.actions[action.preamble.id] = ActionSpec(
                action.preamble.id, action.preamble.name, {p.id: p for p in ordered}, ordered
            )
        self.action_ids_by_name = {a.name: a.id for a in self.actions.values()}
        # for reads: each action's id and its parameters' ids in switch order
        self._action_ids = {a.name: (a.id, tuple(ps.id for ps in a.ordered)) for a in self.actions.values()}

        self.counters = {
            c.preamble.id: ExternSpec(c.preamble.id, c.preamble.name, c.size, unit=c.spec.unit) for c in p4info.counters
        }
        self.direct_counters = {
            c.preamble.id: ExternSpec(c.preamble.id, c.preamble.name, 0, unit=c.spec.unit, table_id=c.direct_table_id)
            for c in p4info.direct_counters
        }
        self.meters = {
            m.preamble.id: ExternSpec(m.preamble.id, m.preamble.name, m.size, unit=m.spec.unit) for m in p4info.meters
        }
        self.direct_meters = {
            m.preamble.id: ExternSpec(m.preamble.id, m.preamble.name, 0, unit=m.spec.unit, table_id=m.direct_table_id)
            for m in p4info.direct_meters
        }
        self.registers = {
            r.preamble.id: ExternSpec(
                r.preamble.id, r.preamble.name, r.size, bitwidth=_bitstring_width(r.type_spec, r.preamble.name)
            )
            for r in p4info.registers
        }
        self.digests = {
            d.preamble.id: DigestSpec(
                d.preamble.id,
                d.preamble.name,
                _digest_widths(p4info, d),
                d.type_spec.WhichOneof("type_spec") or "bitstring",
            )
            for d in p4info.digests
        }
        self.digest_ids_by_name = {d.name: d.id for d in self.digests.values()}

        self.tables: dict[int, TableSpec] = {}
        for table in p4info.tables:
            for ref in table.action_refs:
                if ref.id not in self.actions:
                    raise invalid(
                        f"config.p4info: table '{table.preamble.name}' refers to action id {ref.id}, "
                        "which is not in the P4Info"
                    )
            self.tables[table.preamble.id] = self._table_spec(table)
        for dc in self.direct_counters.values():
            if dc.table_id in self.tables:
                self.tables[dc.table_id].direct_counter_id = dc.id
                self.tables[dc.table_id].direct_counter_unit = dc.unit
        for dm in self.direct_meters.values():
            if dm.table_id in self.tables:
                self.tables[dm.table_id].direct_meter_id = dm.id
        self.table_ids_by_name = {t.name: t.id for t in self.tables.values()}
        self.profiles = {
            ap.preamble.id: ProfileSpec(
                ap.preamble.id, ap.preamble.name, list(ap.table_ids), ap.with_selector, ap.size, ap.max_group_size
            )
            for ap in p4info.action_profiles
        }
        for table in self.tables.values():
            if table.profile_id and table.profile_id not in self.profiles:
                raise invalid(
                    f"config.p4info: table '{table.name}' is implemented by action profile id {table.profile_id}, "
                    "which is not in the P4Info"
                )
        for profile in self.profiles.values():
            for table_id in profile.table_ids:
                if table_id not in self.tables:
                    raise invalid(
                        f"config.p4info: action profile '{profile.name}' lists table id {table_id}, "
                        "which is not in the P4Info"
                    )

        self.packet_in: ControllerHeader | None = None
        self.packet_out: ControllerHeader | None = None
        for header in p4info.controller_packet_metadata:
            ch = ControllerHeader(
                header.preamble.name,
                [m.id for m in header.metadata],
                [m.name for m in header.metadata],
                [m.bitwidth for m in header.metadata],
            )
            if header.preamble.name == "packet_in":
                self.packet_in = ch
            elif header.preamble.name == "packet_out":
                self.packet_out = ch

    def _table_spec(self, table: p4i.Table) -> TableSpec:
        ordered = [
            FieldSpec(
                m.id, m.name, m.bitwidth, m.match_type, i, _dont_care(m.match_type, m.bitwidth), bool(m.type_name.name)
            )
            for i, m in enumerate(table.match_fields)
        ]
        for spec in ordered:
            if spec.kind not in _MATCH_KIND_NAMES:
                raise invalid(
                    f"p4info: table '{table.preamble.name}' match field '{spec.name}' has an unsupported "
                    f"match type {spec.kind}"
                )
        return TableSpec(
            id=table.preamble.id,
            name=table.preamble.name,
            fields={f.id: f for f in ordered},
            ordered=ordered,
            needs_priority=any(f.kind in _PRIORITY_KINDS for f in ordered),
            scopes={ref.id: ref.scope for ref in table.action_refs},
            const=table.is_const_table,
            const_default_action_id=table.const_default_action_id,
            size=table.size,
            profile_id=table.implementation_id,
            idle_timeout=table.idle_timeout_behavior == p4i.Table.IdleTimeoutBehavior.NOTIFY_CONTROL,
        )

    # -- look-ups ------------------------------------------------------------------------------------
    def table(self, table_id: int, where: str) -> TableSpec:
        spec = self.tables.get(table_id)
        if spec is None:
            raise invalid(f"{where}.table_id {table_id}: no such table")
        return spec

    def action(
        self, table: TableSpec, action: p4r.Action, where: str, *, default: bool | None
    ) -> tuple[str, list[int]]:
        """The switch action name and parameter values of a P4Runtime action, checked for `table`: as
        its default action (`default` True), in an entry (False), or in either (None: action profile
        members, whose actions PI does not check against the tables' scopes)."""
        spec = self.actions.get(action.action_id)
        if spec is None:
            raise invalid(f"{where}.action_id {action.action_id}: no such action")
        scope = table.scopes.get(spec.id)
        if scope is None:
            raise invalid(f"{where}.action_id {spec.id}: action '{spec.name}' is not an action of table '{table.name}'")
        # PERMISSION_DENIED, as PI answers (the P4Runtime specification leaves the code open)
        if default is True and scope == TABLE_ONLY:
            raise P4RuntimeError(
                grpc.StatusCode.PERMISSION_DENIED,
                f"{where}: action '{spec.name}' is @tableonly in table '{table.name}' and cannot be the default",
            )
        if default is False and scope == DEFAULT_ONLY:  # PERMISSION_DENIED, as PI answers it
            raise P4RuntimeError(
                grpc.StatusCode.PERMISSION_DENIED,
                f"{where}: action '{spec.name}' is @defaultonly in table '{table.name}' and cannot be in an entry",
            )
        return spec.name, self.params(spec, action.params, where)

    def params(self, spec: ActionSpec, params: Iterable[p4r.Action.Param], where: str) -> list[int]:
        values: list[int | None] = [None] * len(spec.ordered)
        for i, param in enumerate(params):
            ps = spec.params.get(param.param_id)
            if ps is None:
                raise invalid(
                    f"{where}.params[{i}].param_id {param.param_id}: no such parameter in action '{spec.name}'"
                )
            if values[ps.position] is not None:
                raise invalid(f"{where}.params[{i}]: parameter '{ps.name}' of action '{spec.name}' given twice")
            values[ps.position] = decode(param.value, ps.bitwidth, f"{where}.params[{i}] ('{ps.name}')")
        for ps, value in zip(spec.ordered, values, strict=True):
            if value is None:
                raise invalid(f"{where}.params: parameter '{ps.name}' (id {ps.id}) of action '{spec.name}' is missing")
        return values  # type: ignore[return-value]

    def action_message(self, name: str, params: Sequence[int]) -> p4r.Action:
        """The P4Runtime action for a switch action name and parameter values, canonical."""
        action_id = self.action_ids_by_name.get(name)
        if action_id is None:
            raise P4RuntimeError(grpc.StatusCode.INTERNAL, f"switch action '{name}' is not in the P4Info")
        spec = self.actions[action_id]
        return p4r.Action(
            action_id=action_id,
            params=[
                p4r.Action.Param(param_id=ps.id, value=canonical(v)) for ps, v in zip(spec.ordered, params, strict=True)
            ],
        )

    def fill_action(self, name: str, params: Sequence[int], into: p4r.Action) -> None:
        """`action_message(name, params)` written into `into`, built in place."""
        ids = self._action_ids.get(name)
        if ids is None:
            raise P4RuntimeError(grpc.StatusCode.INTERNAL, f"switch action '{name}' is not in the P4Info")
        into.action_id = ids[0]
        add = into.params.add
        for param_id, v in zip(ids[1], params, strict=True):
            add(param_id=param_id, value=v.to_bytes((v.bit_length() + 7) // 8 or 1, "big"))  # canonical(v)

    def table_action(
        self, table: TableSpec, entry_action: p4r.TableAction, where: str, *, default: bool
    ) -> tuple[str, list[int]]:
        """The action of an entry of a direct table (or of any table's default entry)."""
        kind = entry_action.WhichOneof("type")
        if kind == "action":
            return self.action(table, entry_action.action, f"{where}.action", default=default)
        if kind is None:
            raise invalid(f"{where}: the action is missing")
        raise invalid(f"{where}.{kind}: table '{table.name}' is not an indirect table: give an action")


def _check_ids(p4info: p4i.P4Info) -> None:
    """Every object has a non-zero id no other object has; names are unique per kind."""
    seen: dict[int, str] = {}
    kinds = (
        "tables", "actions", "action_profiles", "counters", "direct_counters", "meters", "direct_meters",
        "controller_packet_metadata", "value_sets", "registers", "digests",
    )  # fmt: skip
    for kind in kinds:
        names: set[str] = set()
        for obj in getattr(p4info, kind):
            pid, name = obj.preamble.id, obj.preamble.name
            if pid == 0:
                raise invalid(f"config.p4info: {kind} '{name}' has id 0")
            if pid in seen:
                raise invalid(f"config.p4info: id {pid} is used by both '{seen[pid]}' and '{name}'")
            if name in names:
                raise invalid(f"config.p4info: two {kind} are named '{name}'")
            seen[pid] = name
            names.add(name)


def _bitstring_width(type_spec: Any, name: str) -> int:
    kind = type_spec.WhichOneof("type_spec")
    if kind == "bitstring":
        bits = type_spec.bitstring
        which = bits.WhichOneof("type_spec")
        if which == "bit":
            return int(bits.bit.bitwidth)
        if which == "int":
            return int(bits.int.bitwidth)
    if kind == "bool":
        return 1
    raise invalid(f"p4info: '{name}' has a type that is not a bit string ({kind})")


def _digest_widths(p4info: p4i.P4Info, digest: p4i.Digest) -> list[int]:
    spec = digest.type_spec
    if spec.WhichOneof("type_spec") == "struct":
        struct_name = spec.struct.name
        if struct_name not in p4info.type_info.structs:
            raise invalid(f"p4info: digest '{digest.preamble.name}' uses struct '{struct_name}' missing from type_info")
        members = p4info.type_info.structs[struct_name].members
        return [_bitstring_width(m.type_spec, f"{digest.preamble.name}.{m.name}") for m in members]
    if spec.WhichOneof("type_spec") == "tuple":
        return [_bitstring_width(m, f"{digest.preamble.name}[{i}]") for i, m in enumerate(spec.tuple.members)]
    return [_bitstring_width(spec, digest.preamble.name)]
