"""Everything that lives as long as one committed pipeline, and the dispatch of entities to it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import grpc
from finsy.proto import p4r

from softp4.switch.p4runtime.action_profiles import ActionProfiles
from softp4.switch.p4runtime.digests import DigestEngine
from softp4.switch.p4runtime.errors import P4RuntimeError, pi_unimplemented
from softp4.switch.p4runtime.externs import Externs
from softp4.switch.p4runtime.idle_timeouts import SWEEP_INTERVAL, IdleTimeouts
from softp4.switch.p4runtime.pipeline import Pipeline
from softp4.switch.p4runtime.replication import Replication
from softp4.switch.p4runtime.tables import TableEntries


class Device:
    """Everything that lives as long as one committed pipeline."""

    def __init__(
        self,
        switch: Any,
        pipeline: Pipeline,
        send_primary: Callable[[p4r.StreamMessageResponse], bool],
        lock: threading.RLock,
        *,
        sweep_interval: float | None = SWEEP_INTERVAL,
    ) -> None:
        self.pipeline = pipeline
        self.index = pipeline.index
        self.profiles = ActionProfiles(switch, pipeline.index)
        self.tables = TableEntries(switch, pipeline.index, self.profiles)
        self.externs = Externs(switch, pipeline.index)
        self.replication = Replication(switch)
        self.digests = DigestEngine(pipeline.index, send_primary)
        self.idle_timeouts = IdleTimeouts(
            switch, pipeline.index, self.tables.entry_timeout, send_primary, lock, interval=sweep_interval
        )

    def write(self, kind: int, entity: p4r.Entity) -> None:
        which = entity.WhichOneof("entity")
        if which == "table_entry":
            self.tables.write(kind, entity.table_entry)
        elif which == "counter_entry":
            self.externs.write_counter(kind, entity.counter_entry)
        elif which == "direct_counter_entry":
            self.tables.write_direct_counter(kind, entity.direct_counter_entry)
        elif which == "meter_entry":
            self.externs.write_meter(kind, entity.meter_entry)
        elif which == "direct_meter_entry":
            self.tables.write_direct_meter(kind, entity.direct_meter_entry)
        elif which == "register_entry":
            raise pi_unimplemented("register_write")
        elif which == "packet_replication_engine_entry":
            self.replication.write(kind, entity.packet_replication_engine_entry)
        elif which == "digest_entry":
            self.digests.write(kind, entity.digest_entry)
        elif which == "value_set_entry":
            raise pi_unimplemented("value_set_write")
        elif which == "action_profile_member":
            self.profiles.write_member(kind, entity.action_profile_member)
        elif which == "action_profile_group":
            self.profiles.write_group(kind, entity.action_profile_group)
        elif which == "extern_entry":
            raise pi_unimplemented("extern_write")
        else:
            raise P4RuntimeError(grpc.StatusCode.UNKNOWN, "Incorrect entity type")

    def read(self, entity: p4r.Entity) -> Iterator[p4r.Entity]:
        which = entity.WhichOneof("entity")
        if which == "table_entry":
            yield from self.tables.read(entity.table_entry)
        elif which == "counter_entry":
            for ce in self.externs.read_counter(entity.counter_entry):
                yield p4r.Entity(counter_entry=ce)
        elif which == "direct_counter_entry":
            for dce in self.tables.read_direct_counter(entity.direct_counter_entry):
                yield p4r.Entity(direct_counter_entry=dce)
        elif which == "meter_entry":
            for me in self.externs.read_meter(entity.meter_entry):
                yield p4r.Entity(meter_entry=me)
        elif which == "direct_meter_entry":
            for dme in self.tables.read_direct_meter(entity.direct_meter_entry):
                yield p4r.Entity(direct_meter_entry=dme)
        elif which == "register_entry":
            raise pi_unimplemented("register_read")
        elif which == "packet_replication_engine_entry":
            for pre in self.replication.read(entity.packet_replication_engine_entry):
                yield p4r.Entity(packet_replication_engine_entry=pre)
        elif which == "digest_entry":
            for de in self.digests.read(entity.digest_entry):
                yield p4r.Entity(digest_entry=de)
        elif which == "value_set_entry":
            raise pi_unimplemented("value_set_read")
        elif which == "action_profile_member":
            for apm in self.profiles.read_members(entity.action_profile_member):
                yield p4r.Entity(action_profile_member=apm)
        elif which == "action_profile_group":
            for apg in self.profiles.read_groups(entity.action_profile_group):
                yield p4r.Entity(action_profile_group=apg)
        else:
            raise P4RuntimeError(grpc.StatusCode.UNKNOWN, "Incorrect entity type")

    def close(self) -> None:
        self.digests.stop()
        self.idle_timeouts.stop()
