"""The compiled form of one BMv2 JSON program: everything the switch needs per packet."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from softp4.switch.externs import CounterArray, RegisterArray
from softp4.switch.layout import Layout
from softp4.switch.meters import MeterArray

if TYPE_CHECKING:
    from softp4.switch.calculations import Calculation
    from softp4.switch.control import Pipeline
    from softp4.switch.deparser import Deparser
    from softp4.switch.expressions import ExprCompiler
    from softp4.switch.parser import Parser
    from softp4.switch.tables import ActionDef, Table

# standard_metadata fields the v1model flow reads or writes
STANDARD_FIELDS = (
    "ingress_port",
    "egress_spec",
    "egress_port",
    "instance_type",
    "packet_length",
    "enq_timestamp",
    "enq_qdepth",
    "deq_timedelta",
    "deq_qdepth",
    "ingress_global_timestamp",
    "egress_global_timestamp",
    "mcast_grp",
    "egress_rid",
    "checksum_error",
    "parser_error",
    "priority",
)


class StdSlots:
    """PHV slots of the standard_metadata fields, as attributes (no per-packet name lookups)."""

    __slots__ = STANDARD_FIELDS

    def __init__(self, sm: dict[str, int]) -> None:
        for name in STANDARD_FIELDS:
            setattr(self, name, sm[name])

    ingress_port: int
    egress_spec: int
    egress_port: int
    instance_type: int
    packet_length: int
    enq_timestamp: int
    enq_qdepth: int
    deq_timedelta: int
    deq_qdepth: int
    ingress_global_timestamp: int
    egress_global_timestamp: int
    mcast_grp: int
    egress_rid: int
    checksum_error: int
    parser_error: int
    priority: int


@dataclass
class ParseVset:
    name: str
    bitwidth: int
    max_size: int
    values: list[tuple[int, int | None]] = field(default_factory=list)  # (value, mask)


@dataclass
class Program:
    layout: Layout
    exprs: ExprCompiler
    sm: dict[str, int]  # standard_metadata field -> PHV slot
    sm_widths: dict[str, int]
    registers: dict[str, RegisterArray] = field(default_factory=dict)
    counters: dict[str, CounterArray] = field(default_factory=dict)
    meters: dict[str, MeterArray] = field(default_factory=dict)
    calculations: dict[str, Calculation] = field(default_factory=dict)
    field_lists: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # id -> [(slot, valid_slot)]
    learn_lists: dict[int, tuple[str, list[tuple[int, int]]]] = field(default_factory=dict)
    actions: dict[int, ActionDef] = field(default_factory=dict)
    actions_by_name: dict[str, list[ActionDef]] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)
    vsets: dict[str, ParseVset] = field(default_factory=dict)
    profiles: dict[str, Any] = field(default_factory=dict)  # name -> ActionProfile
    parser: Parser | None = None
    deparser: Deparser | None = None
    ingress: Pipeline | None = None
    egress: Pipeline | None = None
    verify_checksums: list[tuple[Callable[[Any, Any], Any], int, Calculation]] = field(default_factory=list)
    update_checksums: list[tuple[Callable[[Any, Any], Any], int, int, Calculation]] = field(default_factory=list)
    meta_slots: list[int] = field(default_factory=list)  # every slot of metadata headers
    source: dict[str, Any] = field(default_factory=dict)
    std: StdSlots = field(init=False)
    egress_spec_start: int = field(init=False)  # BMv2: drop port + 1, masked to the field's width

    def __post_init__(self) -> None:
        self.std = StdSlots(self.sm)
        self.egress_spec_start = 512 & ((1 << self.sm_widths["egress_spec"]) - 1)
