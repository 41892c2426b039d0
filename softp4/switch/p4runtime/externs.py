"""Indexed counters and meters over the switch API.

Writes are MODIFY of one index (a write without an index is UNIMPLEMENTED, as in PI);
reads take id 0 for every instance and an unset index for every cell.  Registers are
not here: simple_switch_grpc's P4Runtime server implements neither their reads nor
their writes, and softp4 answers as it does (device.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from finsy.proto import p4r

from softp4.switch.p4runtime.errors import invalid, pi_target_error, pi_unimplemented
from softp4.switch.p4runtime.tables import counter_data, meter_config, meter_rates
from softp4.switch.p4runtime.translate import ExternSpec, P4InfoIndex

_MODIFY = p4r.Update.MODIFY


def _lookup(specs: dict[int, ExternSpec], extern_id: int, where: str, kind: str) -> ExternSpec:
    spec = specs.get(extern_id)
    if spec is None:
        raise invalid(f"{where}.{kind}_id {extern_id}: no such {kind}")
    return spec


def _select(specs: dict[int, ExternSpec], extern_id: int, where: str, kind: str) -> list[ExternSpec]:
    if extern_id == 0:
        return list(specs.values())
    return [_lookup(specs, extern_id, where, kind)]


def _index(spec: ExternSpec, has_index: bool, index: int, where: str, kind: str) -> int:
    """The index of a write; one out of range passes PI and simple_switch refuses it."""
    if not has_index:
        raise pi_unimplemented(f"{kind}_wildcard_write")
    if index < 0 or index >= spec.size:
        raise pi_target_error(
            f"{kind}_write", f"{where}.index {index}: out of range for '{spec.name}' of size {spec.size}"
        )
    return index


def _indices(spec: ExternSpec, has_index: bool, index: int, where: str) -> range:
    if not has_index:
        return range(spec.size)
    if index < 0 or index >= spec.size:
        raise invalid(f"{where}.index {index}: out of range for '{spec.name}' of size {spec.size}")
    return range(index, index + 1)


class Externs:
    """P4Runtime view of the counters, meters and registers of one pipeline."""

    def __init__(self, switch: Any, index: P4InfoIndex) -> None:
        self.sw = switch
        self.index = index

    # counters
    def write_counter(self, kind: int, entry: p4r.CounterEntry) -> None:
        where = "counter_entry"
        spec = _lookup(self.index.counters, entry.counter_id, where, "counter")
        if kind != _MODIFY:
            raise invalid(f"{where}: counter entries can only be modified (counter '{spec.name}')")
        i = _index(spec, entry.HasField("index"), entry.index.index, where, "counter")
        self.sw.counter_write(spec.name, i, entry.data.byte_count, entry.data.packet_count)

    def read_counter(self, entry: p4r.CounterEntry) -> Iterator[p4r.CounterEntry]:
        where = "counter_entry"
        for spec in _select(self.index.counters, entry.counter_id, where, "counter"):
            for i in _indices(spec, entry.HasField("index"), entry.index.index, where):
                b, p = self.sw.counter_read(spec.name, i)
                yield p4r.CounterEntry(counter_id=spec.id, index=p4r.Index(index=i), data=counter_data(spec.unit, b, p))

    # meters
    def write_meter(self, kind: int, entry: p4r.MeterEntry) -> None:
        where = "meter_entry"
        spec = _lookup(self.index.meters, entry.meter_id, where, "meter")
        if kind != _MODIFY:
            raise invalid(f"{where}: meter entries can only be modified (meter '{spec.name}')")
        i = _index(spec, entry.HasField("index"), entry.index.index, where, "meter")
        if entry.HasField("counter_data"):
            raise invalid(f"{where}.counter_data: meter counters are not supported")
        rates = meter_rates(entry.config, f"{where}.config") if entry.HasField("config") else []
        self.sw.meter_set(spec.name, i, rates)

    def read_meter(self, entry: p4r.MeterEntry) -> Iterator[p4r.MeterEntry]:
        where = "meter_entry"
        for spec in _select(self.index.meters, entry.meter_id, where, "meter"):
            for i in _indices(spec, entry.HasField("index"), entry.index.index, where):
                message = p4r.MeterEntry(meter_id=spec.id, index=p4r.Index(index=i))
                config = meter_config(self.sw.meter_get(spec.name, i))
                if config is not None:
                    message.config.CopyFrom(config)
                yield message
