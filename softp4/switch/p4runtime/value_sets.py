"""Parser value sets (ValueSetEntry) over the switch's parse_vset API.

A ValueSetEntry write is a MODIFY that replaces every member.  A member's
fields are joined the way a parser transition key is: each field padded to
whole bytes, in P4Info order; exact fields get a full mask, and a member
with only exact fields is added without a mask.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from finsy.proto import p4i, p4r

from softp4.switch.p4runtime.errors import invalid
from softp4.switch.p4runtime.values import decode

_MODIFY = p4r.Update.MODIFY
_EXACT, _TERNARY = p4i.MatchField.MatchType.EXACT, p4i.MatchField.MatchType.TERNARY


class ValueSets:
    """P4Runtime view of the parser value sets of one pipeline."""

    def __init__(self, switch: Any, p4info: p4i.P4Info) -> None:
        self.sw = switch
        self.specs = {vs.preamble.id: vs for vs in p4info.value_sets}
        self.members: dict[int, list[p4r.ValueSetMember]] = {}
        self._installed: dict[int, list[tuple[int, int | None]]] = {}

    def _member(self, spec: p4i.ValueSet, member: p4r.ValueSetMember, where: str) -> tuple[int, int | None]:
        fields = {f.id: f for f in spec.match}
        given: dict[int, tuple[int, int]] = {}
        for i, match in enumerate(member.match):
            here = f"{where}.match[{i}]"
            field = fields.get(match.field_id)
            if field is None:
                raise invalid(f"{here}.field_id {match.field_id}: no such field in value set '{spec.preamble.name}'")
            if match.field_id in given:
                raise invalid(f"{here}: field '{field.name}' given twice")
            full = (1 << field.bitwidth) - 1
            kind = match.WhichOneof("field_match_type")
            if kind == "exact" and field.match_type in (_EXACT, 0):
                given[field.id] = (decode(match.exact.value, field.bitwidth, f"{here}.exact.value"), full)
            elif kind == "ternary" and field.match_type == _TERNARY:
                value = decode(match.ternary.value, field.bitwidth, f"{here}.ternary.value")
                mask = decode(match.ternary.mask, field.bitwidth, f"{here}.ternary.mask")
                if value & ~mask:
                    raise invalid(f"{here}.ternary: value has bits set outside the mask")
                given[field.id] = (value, mask)
            else:
                raise invalid(f"{here}: field '{field.name}' cannot take a {kind or 'empty'} match")
        value = mask = 0
        exact_only = True
        for field in spec.match:
            nbits = (field.bitwidth + 7) // 8 * 8
            v, m = given.get(field.id, (0, 0))
            if field.id not in given and field.match_type != _TERNARY:
                raise invalid(f"{where}.match: field '{field.name}' of value set '{spec.preamble.name}' is missing")
            exact_only = exact_only and m == (1 << field.bitwidth) - 1
            value = (value << nbits) | v
            mask = (mask << nbits) | m
        return value, None if exact_only else mask

    def write(self, kind: int, entry: p4r.ValueSetEntry) -> None:
        where = "value_set_entry"
        spec = self.specs.get(entry.value_set_id)
        if spec is None:
            raise invalid(f"{where}.value_set_id {entry.value_set_id}: no such value set")
        if kind != _MODIFY:
            raise invalid(f"{where}: value sets can only be modified (value set '{spec.preamble.name}')")
        values = [self._member(spec, m, f"{where}.members[{i}]") for i, m in enumerate(entry.members)]
        if spec.size and len(set(values)) > spec.size:
            raise invalid(f"{where}: {len(values)} members exceed the size {spec.size} of '{spec.preamble.name}'")
        name = spec.preamble.name
        for value, mask in self._installed.get(spec.preamble.id, []):
            self.sw.parse_vset_delete(name, value, mask)
        self._installed[spec.preamble.id] = []
        for value, mask in dict.fromkeys(values):
            self.sw.parse_vset_add(name, value, mask)
            self._installed[spec.preamble.id].append((value, mask))
        self.members[spec.preamble.id] = list(entry.members)

    def read(self, entry: p4r.ValueSetEntry) -> Iterator[p4r.ValueSetEntry]:
        if entry.value_set_id and entry.value_set_id not in self.specs:
            raise invalid(f"value_set_entry.value_set_id {entry.value_set_id}: no such value set")
        for vs_id in self.specs:
            if entry.value_set_id in (0, vs_id):
                yield p4r.ValueSetEntry(value_set_id=vs_id, members=self.members.get(vs_id, []))
