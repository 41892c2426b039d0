"""The P4Runtime layer of the PTF suite: connection, arbitration, pipeline push, writes that undo themselves.

Test parameters (`ptf --test-params "k=v;k=v"`):
    grpcaddr   P4Runtime address of the switch under test (default 127.0.0.1:9559)
    device_id  P4Runtime device id (default 1)
    p4info     path of the program's P4Info text file
    config     path of the program's BMv2 JSON
    cpu_port   the switch's CPU port, for packet-in checks (default 255)

Every test connects as primary, pushes the pipeline if the switch does not already run it (same cookie),
and everything it writes is deleted again in tearDown, newest first, so tests do not leak state.
"""

from __future__ import annotations

import hashlib
import itertools
import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import ptf
from finsy.proto import p4i, p4r, p4r_grpc, rpc_status
from google.protobuf import text_format
from ptf import testutils
from ptf.base_tests import BaseTest

from controller.entries import Entry, McGroup
from controller.p4names import P4Names

# Each test arbitrates with a higher election id than the last, so it is primary even while the server
# is still closing the previous test's stream.
_ELECTION_IDS = itertools.count(1)


def encode(value: int, bitwidth: int) -> bytes:
    """The canonical P4Runtime bytestring of `value` (shortest form, at least one byte)."""
    if not 0 <= value < 1 << bitwidth:
        raise ValueError(f"{value:#x} does not fit in {bitwidth} bits")
    return value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")


def _unimplemented(exc: grpc.RpcError) -> bool:
    """Whether a failed call was refused as UNIMPLEMENTED: the status itself, or (a Write's batch status
    UNKNOWN) every per-update p4.v1.Error in its details, as simple_switch_grpc answers a register write."""
    if exc.code() == grpc.StatusCode.UNIMPLEMENTED:
        return True
    unimplemented = grpc.StatusCode.UNIMPLEMENTED.value[0]
    for key, value in exc.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = rpc_status.Status.FromString(value)
            codes = set()
            for detail in status.details:
                error = p4r.Error()
                if detail.Unpack(error) and error.canonical_code != 0:
                    codes.add(error.canonical_code)
            return codes == {unimplemented}
    return False


class StreamClient:
    """The StreamChannel of one client: arbitration, then packet-ins collected in a queue."""

    def __init__(self, stub: Any, device_id: int, election_id: Any) -> None:
        self._requests: queue.Queue[Any] = queue.Queue()
        self.packet_ins: queue.Queue[Any] = queue.Queue()
        self._arbitration: queue.Queue[Any] = queue.Queue()
        self.error: grpc.RpcError | None = None
        self._responses = stub.StreamChannel(self._generate())
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        update = p4r.MasterArbitrationUpdate(device_id=device_id, election_id=election_id)
        self._requests.put(p4r.StreamMessageRequest(arbitration=update))
        reply = self._arbitration.get(timeout=10)
        if reply is None:
            self.close()
            raise RuntimeError(f"StreamChannel failed: {self.error}")
        if reply.status.code != 0:
            self.close()
            raise RuntimeError(f"arbitration refused: code {reply.status.code} {reply.status.message}")

    def _generate(self) -> Iterator[Any]:
        while True:
            item = self._requests.get()
            if item is None:
                return
            yield item

    def _read(self) -> None:
        try:
            for response in self._responses:
                which = response.WhichOneof("update")
                if which == "arbitration":
                    self._arbitration.put(response.arbitration)
                elif which == "packet":
                    self.packet_ins.put(response.packet)
        except grpc.RpcError as exc:
            self.error = exc
            self._arbitration.put(None)

    def close(self) -> None:
        self._requests.put(None)
        self._responses.cancel()
        self._thread.join(timeout=5)


class P4RuntimeTest(BaseTest):
    """Owns the P4Runtime connection of one test; tests write through `insert` and `set_group`."""

    def setUp(self) -> None:
        BaseTest.setUp(self)
        self.dataplane = ptf.dataplane_instance
        self.dataplane.flush()
        params = testutils.test_params_get()
        self.device_id = int(params.get("device_id", 1))
        self.cpu_port = int(params.get("cpu_port", 255))
        self.channel = grpc.insecure_channel(params.get("grpcaddr", "127.0.0.1:9559"))
        self.stub = p4r_grpc.P4RuntimeStub(self.channel)
        self.election_id = p4r.Uint128(high=0, low=next(_ELECTION_IDS))
        self._undo: list[Any] = []
        self.p4info = p4i.P4Info()
        text_format.Parse(Path(params["p4info"]).read_text(), self.p4info)
        self.names = P4Names(self.p4info)
        self.stream = StreamClient(self.stub, self.device_id, self.election_id)
        try:
            self.device_config = Path(params["config"]).read_bytes()
            self._push_pipeline()
        except BaseException:
            self.stream.close()
            raise

    def tearDown(self) -> None:
        try:
            for entity in reversed(self._undo):
                self._write(p4r.Update.DELETE, entity)
        finally:
            self.stream.close()
            self.channel.close()
            BaseTest.tearDown(self)

    # --- pipeline ----------------------------------------------------------------------------
    def _device_cookie(self) -> int | None:
        """The cookie of the pipeline the device runs, or None when it runs none."""
        try:
            current = self.stub.GetForwardingPipelineConfig(
                p4r.GetForwardingPipelineConfigRequest(
                    device_id=self.device_id,
                    response_type=p4r.GetForwardingPipelineConfigRequest.COOKIE_ONLY,
                )
            )
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.FAILED_PRECONDITION:  # no pipeline yet
                return None
            raise
        return int(current.config.cookie.cookie) if current.config.HasField("cookie") else None

    def _push_pipeline(self, force: bool = False) -> None:
        """Push the program unless the device already runs it (same cookie); `force` pushes anyway,
        which also clears every table, register and counter."""
        device_config = self.device_config
        digest = hashlib.sha256(self.p4info.SerializeToString() + device_config).digest()
        cookie = int.from_bytes(digest[:8], "big")
        if not force and self._device_cookie() == cookie:
            return
        config = p4r.ForwardingPipelineConfig(
            p4info=self.p4info,
            p4_device_config=device_config,
            cookie=p4r.ForwardingPipelineConfig.Cookie(cookie=cookie),
        )
        self.stub.SetForwardingPipelineConfig(
            p4r.SetForwardingPipelineConfigRequest(
                device_id=self.device_id,
                election_id=self.election_id,
                action=p4r.SetForwardingPipelineConfigRequest.VERIFY_AND_COMMIT,
                config=config,
            )
        )

    # --- writes -------------------------------------------------------------------------------
    def _write(self, kind: int, entity: Any) -> None:
        request = p4r.WriteRequest(device_id=self.device_id, election_id=self.election_id)
        request.updates.add(type=kind, entity=entity)
        self.stub.Write(request)

    def insert(self, entry: Entry) -> None:
        """Insert a table entry named as P4Info names it; it is deleted after the test."""
        resolved = self.names.resolve_entry(entry)
        table_entry = p4r.TableEntry(table_id=resolved.table_id, priority=resolved.priority)
        for m in resolved.match:
            field = table_entry.match.add(field_id=m.field_id)
            if m.prefix_len is None:
                field.exact.value = encode(m.value, m.bitwidth)
            elif m.prefix_len > 0:  # a /0 prefix is a don't-care: the field is omitted
                field.lpm.value = encode(m.value, m.bitwidth)
                field.lpm.prefix_len = m.prefix_len
            else:
                del table_entry.match[-1]
        action = table_entry.action.action
        action.action_id = resolved.action_id
        for param_id, bitwidth, value in resolved.params:
            action.params.add(param_id=param_id, value=encode(value, bitwidth))
        entity = p4r.Entity(table_entry=table_entry)
        self._write(p4r.Update.INSERT, entity)
        self._undo.append(entity)

    def set_group(self, group: McGroup) -> None:
        """Create a multicast group; it is deleted after the test."""
        entry = p4r.MulticastGroupEntry(multicast_group_id=group.group_id)
        for port, rid in group.replicas:
            entry.replicas.add(egress_port=port, instance=rid)
        pre = p4r.PacketReplicationEngineEntry(multicast_group_entry=entry)
        entity = p4r.Entity(packet_replication_engine_entry=pre)
        self._write(p4r.Update.INSERT, entity)
        self._undo.append(entity)

    def zero_registers(self, cells: list[tuple[str, int]]) -> None:
        """Set register cells to 0. BMv2's P4Runtime server cannot write registers (UNIMPLEMENTED): there the
        pipeline is pushed again instead, which zeroes every register (and must come before any write)."""
        try:
            for name, index in cells:
                self.register_write(name, index, 0)
        except grpc.RpcError as exc:
            if not _unimplemented(exc):
                raise
            self._push_pipeline(force=True)

    def register_write(self, name: str, index: int, value: int) -> None:
        """Set one cell of a register array (not undone: tests that use registers set them first)."""
        register = self.names.get("registers", name)
        width = register.type_spec.bitstring.bit.bitwidth or 32
        entry = p4r.RegisterEntry(register_id=register.preamble.id, index=p4r.Index(index=index))
        entry.data.bitstring = encode(value, width)
        self._write(p4r.Update.MODIFY, p4r.Entity(register_entry=entry))

    # --- reads ---------------------------------------------------------------------------------
    def counter(self, name: str, index: int) -> tuple[int, int]:
        """(bytes, packets) of one cell of an indirect counter."""
        counter_id = self.names.get("counters", name).preamble.id
        request = p4r.ReadRequest(device_id=self.device_id)
        request.entities.add(counter_entry=p4r.CounterEntry(counter_id=counter_id, index=p4r.Index(index=index)))
        for response in self.stub.Read(request):
            for entity in response.entities:
                data = entity.counter_entry.data
                return data.byte_count, data.packet_count
        raise AssertionError(f"counter {name}[{index}] was not returned")

    def packet_in(self, timeout: float = 2.0) -> Any | None:
        try:
            return self.stream.packet_ins.get(timeout=timeout)
        except queue.Empty:
            return None
