"""P4Runtime parity: one sequence of P4Runtime calls, every answer recorded, for softp4 and simple_switch_grpc.

    python tests/p4runtime/parity/parity.py --target softp4 --record answers.json
    python tests/p4runtime/parity/parity.py --target bmv2 --bmv2 /opt/p4ref/bin/simple_switch_grpc \\
        --record tests/p4runtime/parity/bmv2_answers.json
    python tests/p4runtime/parity/parity.py --target softp4 --compare tests/p4runtime/parity/bmv2_answers.json

The program is parity.p4 compiled by softp4 (its P4Info is p4c's, and simple_switch loads its
JSON). Each step records the gRPC status code and message, the code and message of every
per-update `p4.v1.Error` of a failed Write, and the entities a Read returned (as text, sorted).
`compare` reports every difference in codes, per-update codes and read results, and in
messages where softp4 promises BMv2's exact words (UNIMPLEMENTED answers); other messages
differ on purpose (softp4 names the field path), see docs/softp4.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import queue
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
from finsy.proto import p4d, p4i, p4r, p4r_grpc, rpc_status
from google.protobuf import text_format

HERE = Path(__file__).parent
PROGRAM = HERE / "parity.p4"
GOLDEN = HERE / "bmv2_answers.json"
DEVICE_ID = 1
DETAILS_KEY = "grpc-status-details-bin"

Answer = dict[str, Any]
Update = p4r.Update


def compile_program() -> tuple[p4i.P4Info, bytes]:
    """parity.p4 compiled by softp4: (P4Info, BMv2 JSON bytes)."""
    from softp4.compiler import compile_file

    result = compile_file(str(PROGRAM))
    return result.p4info, json.dumps(result.bmv2_json).encode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# -- the targets ------------------------------------------------------------------------------------------
@contextlib.contextmanager
def softp4_target() -> Iterator[str]:
    """An in-process softp4 switch and P4Runtime server without a program; yields its address."""
    from softp4.switch import Switch
    from softp4.switch.p4runtime import P4RuntimeServer

    switch = Switch(None, device_id=DEVICE_ID)
    server = P4RuntimeServer(switch, address="127.0.0.1:0", device_id=DEVICE_ID, cpu_port=0)
    server.start()
    try:
        yield f"127.0.0.1:{server.port}"
    finally:
        server.stop(grace=None)


class Bmv2:
    """One simple_switch_grpc --no-p4 with no interfaces, gRPC on 127.0.0.1 only, restartable."""

    def __init__(self, binary: str, tmp: str) -> None:
        self.binary = binary
        self.tmp = tmp
        self.runs = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.address = ""

    def start(self) -> str:
        """Start the switch (a fresh one each time); its gRPC address."""
        self.runs += 1
        grpc_port, thrift_port = free_port(), free_port()
        run = f"{self.tmp}/run{self.runs}"
        command = [
            self.binary,
            "--no-p4",
            "--device-id", str(DEVICE_ID),
            "--thrift-port", str(thrift_port),
            "--notifications-addr", f"ipc://{run}-notifications.ipc",
            "--log-file", f"{run}-switch",
            "--",
            "--grpc-server-addr", f"127.0.0.1:{grpc_port}",
        ]  # fmt: skip
        with Path(f"{run}-stdout").open("wb") as out:
            process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        self.process = process
        self.address = f"127.0.0.1:{grpc_port}"
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                log = Path(f"{run}-stdout").read_text(errors="replace")
                raise RuntimeError(f"simple_switch_grpc exited with {process.returncode}:\n{log}")
            try:
                grpc.channel_ready_future(grpc.insecure_channel(self.address)).result(timeout=0.5)
                return self.address
            except grpc.FutureTimeoutError:
                if time.monotonic() > deadline:
                    raise RuntimeError("simple_switch_grpc did not open its gRPC port within 30 s") from None

    def revive(self) -> str | None:
        """If the switch has died: start a fresh one and give its address (None: it is alive)."""
        if self.process is None or self.process.poll() is None:
            return None
        return self.start()

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def bmv2_target(binary: str) -> Iterator[Bmv2]:
    """A started simple_switch_grpc (see Bmv2), stopped at the end."""
    with tempfile.TemporaryDirectory(prefix="parity-bmv2-") as tmp:
        switch = Bmv2(binary, tmp)
        try:
            switch.start()
            yield switch
        finally:
            switch.stop()


def find_bmv2() -> str | None:
    """simple_switch_grpc of the reference toolchain (P4REF, an install prefix, else PATH)."""
    from softp4 import reference

    return reference.find_tool("simple_switch_grpc")


# -- recording ----------------------------------------------------------------------------------------------
def _entity_text(entity: Any) -> str:
    return text_format.MessageToString(entity, as_one_line=True)


def _error_answer(exc: grpc.RpcError) -> Answer:
    code = exc.code()
    answer: Answer = {"code": code.name, "message": exc.details() or ""}
    for key, value in exc.trailing_metadata() or ():
        if key == DETAILS_KEY:
            status = rpc_status.Status.FromString(value)
            errors = []
            for detail in status.details:
                error = p4r.Error()
                if detail.Unpack(error):
                    errors.append([grpc.StatusCode(_code(error.canonical_code)).name, error.message])
            if errors:
                answer["errors"] = errors
    return answer


def _code(number: int) -> tuple[int, str]:
    for code in grpc.StatusCode:
        if code.value[0] == number:
            return code.value  # type: ignore[no-any-return]
    return grpc.StatusCode.UNKNOWN.value  # type: ignore[no-any-return]


class Stream:
    """One StreamChannel: a request queue and the responses received."""

    def __init__(self, stub: p4r_grpc.P4RuntimeStub) -> None:
        self._requests: queue.Queue[p4r.StreamMessageRequest | None] = queue.Queue()
        self.responses: queue.Queue[p4r.StreamMessageResponse | grpc.RpcError] = queue.Queue()
        self._call = stub.StreamChannel(iter(self._requests.get, None))
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        try:
            for response in self._call:
                self.responses.put(response)
        except grpc.RpcError as exc:
            self.responses.put(exc)

    def send(self, request: p4r.StreamMessageRequest) -> None:
        self._requests.put(request)

    def next(self, kind: str, timeout: float = 5.0) -> Answer:
        """The next response of `kind` (or the stream's end), as an answer."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                item = self.responses.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                return {"code": "TIMEOUT", "message": f"no {kind} within {timeout} s"}
            if isinstance(item, grpc.RpcError):
                return _error_answer(item)
            if item.WhichOneof("update") == kind:
                return {"code": "OK", "message": "", "response": _stream_text(item)}

    def close(self) -> None:
        self._requests.put(None)
        self._call.cancel()


def _stream_text(message: p4r.StreamMessageResponse) -> str:
    copy = p4r.StreamMessageResponse()
    copy.CopyFrom(message)
    if copy.HasField("arbitration"):
        copy.arbitration.status.message = ""  # the words of arbitration notices are free
    if copy.HasField("idle_timeout_notification"):
        copy.idle_timeout_notification.timestamp = 0
    return text_format.MessageToString(copy, as_one_line=True)


#: What a step records when the switch died during it (the switch is restarted and set up again).
CRASHED = "CRASHED"
Revive = Callable[[], "str | None"]


class Recorder:
    """Runs calls against one switch and records each answer under a step name.

    With `revive` (a function that restarts a dead switch and gives its new address, or None when the
    switch is alive), a step during which the switch died is recorded as CRASHED, and the remaining steps
    run on a fresh switch, made primary and given the pipeline again.
    """

    def __init__(self, address: str, p4info: p4i.P4Info, device_json: bytes, revive: Revive | None = None) -> None:
        self.p4info = p4info
        self.device_json = device_json
        self.revive = revive
        self.answers: list[Answer] = []
        self.election = p4r.Uint128(high=0, low=1)
        self._connect(address)

    def _connect(self, address: str) -> None:
        self.channel = grpc.insecure_channel(address)
        self.stub = p4r_grpc.P4RuntimeStub(self.channel)
        self.stream = Stream(self.stub)

    def arbitrate(self) -> Answer:
        self.stream.send(
            p4r.StreamMessageRequest(
                arbitration=p4r.MasterArbitrationUpdate(device_id=DEVICE_ID, election_id=self.election)
            )
        )
        return self.stream.next("arbitration")

    def record(self, step: str, call: Callable[[], Answer]) -> Answer:
        try:
            answer = call()
        except grpc.RpcError as exc:
            answer = _error_answer(exc)
        if self.revive is not None and answer["code"] in ("UNAVAILABLE", "TIMEOUT"):
            address = self.revive()
            if address is not None:
                answer = {"code": CRASHED, "message": f"the switch died ({answer['code']}: {answer['message']})"}
                self._reconnect(address)
        answer = {"step": step, **answer}
        self.answers.append(answer)
        return answer

    def _reconnect(self, address: str) -> None:
        """Connect to a fresh switch, become primary and commit the pipeline (not recorded)."""
        self.close()
        self._connect(address)
        self.arbitrate()
        request = p4r.SetForwardingPipelineConfigRequest(
            device_id=DEVICE_ID,
            election_id=self.election,
            action=p4r.SetForwardingPipelineConfigRequest.VERIFY_AND_COMMIT,
        )
        request.config.p4info.CopyFrom(self.p4info)
        request.config.p4_device_config = self.device_json
        self.stub.SetForwardingPipelineConfig(request)

    def write(self, step: str, *updates: p4r.Update, **fields: Any) -> Answer:
        request = p4r.WriteRequest(device_id=DEVICE_ID, election_id=self.election, updates=list(updates))
        for name, value in fields.items():
            if name == "election_id":
                request.election_id.CopyFrom(value)
            else:
                setattr(request, name, value)

        def call() -> Answer:
            self.stub.Write(request)
            return {"code": "OK", "message": ""}

        return self.record(step, call)

    def read(self, step: str, *entities: p4r.Entity, device_id: int = DEVICE_ID) -> Answer:
        request = p4r.ReadRequest(device_id=device_id, entities=list(entities))

        def call() -> Answer:
            found = [_entity_text(e) for reply in self.stub.Read(request) for e in reply.entities]
            return {"code": "OK", "message": "", "entities": sorted(found)}

        return self.record(step, call)

    def pipeline(self, step: str, action: int, *, with_config: bool = True, cookie: int = 0) -> Answer:
        request = p4r.SetForwardingPipelineConfigRequest(device_id=DEVICE_ID, election_id=self.election, action=action)
        if with_config:
            request.config.p4info.CopyFrom(self.p4info)
            request.config.p4_device_config = self.device_json
            if cookie:
                request.config.cookie.cookie = cookie

        def call() -> Answer:
            self.stub.SetForwardingPipelineConfig(request)
            return {"code": "OK", "message": ""}

        return self.record(step, call)

    def close(self) -> None:
        self.stream.close()
        self.channel.close()


# -- the sequence ---------------------------------------------------------------------------------------------
class Names:
    """P4Info ids by name."""

    def __init__(self, p4info: p4i.P4Info) -> None:
        self.ids: dict[str, int] = {}
        for kind in ("tables", "actions", "counters", "direct_counters", "meters", "direct_meters", "registers",
                     "digests", "value_sets", "action_profiles"):  # fmt: skip
            for obj in getattr(p4info, kind):
                self.ids[obj.preamble.name] = obj.preamble.id

    def __getitem__(self, name: str) -> int:
        return self.ids[name]


def _exact(fid: int, value: bytes) -> p4r.FieldMatch:
    return p4r.FieldMatch(field_id=fid, exact=p4r.FieldMatch.Exact(value=value))


def _lpm(fid: int, value: bytes, plen: int) -> p4r.FieldMatch:
    return p4r.FieldMatch(field_id=fid, lpm=p4r.FieldMatch.LPM(value=value, prefix_len=plen))


def _ternary(fid: int, value: bytes, mask: bytes) -> p4r.FieldMatch:
    return p4r.FieldMatch(field_id=fid, ternary=p4r.FieldMatch.Ternary(value=value, mask=mask))


def _range(fid: int, low: bytes, high: bytes) -> p4r.FieldMatch:
    return p4r.FieldMatch(field_id=fid, range=p4r.FieldMatch.Range(low=low, high=high))


def _optional(fid: int, value: bytes) -> p4r.FieldMatch:
    return p4r.FieldMatch(field_id=fid, optional=p4r.FieldMatch.Optional(value=value))


def _action(action_id: int, *params: bytes) -> p4r.TableAction:
    return p4r.TableAction(
        action=p4r.Action(
            action_id=action_id, params=[p4r.Action.Param(param_id=i + 1, value=v) for i, v in enumerate(params)]
        )
    )


def _te(table_id: int, match: list[p4r.FieldMatch], action: p4r.TableAction | None = None, **fields: Any) -> p4r.Entity:
    entry = p4r.TableEntry(table_id=table_id, match=match, **fields)
    if action is not None:
        entry.action.CopyFrom(action)
    return p4r.Entity(table_entry=entry)


def _u(kind: int, entity: p4r.Entity) -> p4r.Update:
    return p4r.Update(type=kind, entity=entity)


INS, MOD, DEL = Update.INSERT, Update.MODIFY, Update.DELETE
MAC1, MAC2, MAC3 = b"\x00\x00\x00\x00\x00\x01", b"\x00\x00\x00\x00\x00\x02", b"\x00\x00\x00\x00\x00\x03"


def run_script(address: str, p4info: p4i.P4Info, device_json: bytes, revive: Revive | None = None) -> list[Answer]:
    """Run the whole sequence against one switch (see Recorder for `revive`); the recorded answers in order."""
    n = Names(p4info)
    rec = Recorder(address, p4info, device_json, revive)
    smac, dmac, routes, acl = n["ingress.smac"], n["ingress.dmac"], n["ingress.routes"], n["ingress.acl"]
    const_t, ecmp, ageing = n["ingress.const_t"], n["ingress.ecmp"], n["ingress.ageing"]
    drop, forward, no_action = n["ingress.drop"], n["ingress.forward"], n["NoAction"]
    dmac_forward, to_cpu, learn = n["ingress.dmac_forward"], n["ingress.to_cpu"], n["ingress.learn"]
    set_mcast = n["ingress.set_mcast"]
    try:
        # before any pipeline and before arbitration
        rec.read("read before a pipeline", _te(0, []))
        rec.record("arbitration as primary", rec.arbitrate)
        rec.write("write before a pipeline", _u(INS, _te(dmac, [_exact(1, MAC1)], _action(drop))))
        rec.record("get pipeline before a pipeline", lambda: _get_pipeline(rec, 0))
        rec.pipeline("COMMIT without a saved config", p4r.SetForwardingPipelineConfigRequest.COMMIT, with_config=False)
        rec.pipeline("VERIFY", p4r.SetForwardingPipelineConfigRequest.VERIFY)
        rec.pipeline("VERIFY_AND_COMMIT", p4r.SetForwardingPipelineConfigRequest.VERIFY_AND_COMMIT, cookie=7)
        rec.record(
            "get pipeline cookie", lambda: _get_pipeline(rec, p4r.GetForwardingPipelineConfigRequest.COOKIE_ONLY)
        )

        # table entries: inserts, duplicates, conflicts
        rec.write("insert dmac", _u(INS, _te(dmac, [_exact(1, MAC1)], _action(dmac_forward, b"\x00\x03"))))
        rec.write("insert dmac again", _u(INS, _te(dmac, [_exact(1, MAC1)], _action(drop))))
        rec.write("insert dmac padded value (same key)", _u(INS, _te(dmac, [_exact(1, b"\x00" + MAC1)], _action(drop))))
        rec.write(
            "insert twice in one batch",
            _u(INS, _te(dmac, [_exact(1, MAC2)], _action(drop))),
            _u(INS, _te(dmac, [_exact(1, MAC2)], _action(drop))),
        )
        rec.write(
            "batch: ok, bad, ok",
            _u(INS, _te(dmac, [_exact(1, MAC3)], _action(drop))),
            _u(MOD, _te(dmac, [_exact(1, b"\x09")], _action(drop))),
            _u(DEL, _te(dmac, [_exact(1, MAC3)])),
        )
        rec.write("modify missing", _u(MOD, _te(dmac, [_exact(1, b"\x07")], _action(drop))))
        rec.write("delete missing", _u(DEL, _te(dmac, [_exact(1, b"\x07")])))
        rec.write("modify without action", _u(MOD, _te(dmac, [_exact(1, MAC1)])))
        rec.write("insert without action", _u(INS, _te(dmac, [_exact(1, b"\x08")])))
        rec.write("insert unknown table", _u(INS, _te(0x02FFFFFF, [_exact(1, MAC1)], _action(drop))))
        rec.write("insert table id 0", _u(INS, _te(0, [_exact(1, MAC1)], _action(drop))))
        rec.write("insert unknown action", _u(INS, _te(dmac, [_exact(1, b"\x0a")], _action(0x01FFFFFF))))
        rec.write("insert action of another table", _u(INS, _te(dmac, [_exact(1, b"\x0a")], _action(forward, b"\x01"))))
        rec.write("insert missing param", _u(INS, _te(dmac, [_exact(1, b"\x0a")], _action(dmac_forward))))
        rec.write("insert param too wide", _u(INS, _te(dmac, [_exact(1, b"\x0a")], _action(dmac_forward, b"\x02\x00"))))
        rec.write("insert missing exact field", _u(INS, _te(dmac, [], _action(drop))))
        rec.write("insert unknown field id", _u(INS, _te(dmac, [_exact(9, MAC1)], _action(drop))))
        rec.write("insert value too wide", _u(INS, _te(dmac, [_exact(1, b"\x01" + bytes(6))], _action(drop))))
        rec.write("insert wrong match kind", _u(INS, _te(dmac, [_lpm(1, MAC1, 48)], _action(drop))))
        rec.write("insert priority on exact table", _u(INS, _te(dmac, [_exact(1, b"\x0b")], _action(drop), priority=3)))
        rec.write("insert lpm", _u(INS, _te(routes, [_lpm(1, b"\x0a" + bytes(5), 8)], _action(forward, b"\x01"))))
        rec.write(
            "insert lpm host bits",
            _u(INS, _te(routes, [_lpm(1, b"\x0a" + bytes(4) + b"\x01", 8)], _action(forward, b"\x01"))),
        )
        rec.write("insert lpm prefix 0", _u(INS, _te(routes, [_lpm(1, bytes(6), 0)], _action(forward, b"\x01"))))
        rec.write(
            "insert lpm prefix too long", _u(INS, _te(routes, [_lpm(1, bytes(6), 49)], _action(forward, b"\x01")))
        )
        rec.write(
            "insert lpm same prefix other length",
            _u(INS, _te(routes, [_lpm(1, b"\x0a" + bytes(5), 16)], _action(forward, b"\x02"))),
        )
        rec.write(
            "insert ternary", _u(INS, _te(acl, [_ternary(1, b"\x08\x00", b"\xff\xff")], _action(to_cpu), priority=10))
        )
        rec.write(
            "insert ternary same key other priority",
            _u(INS, _te(acl, [_ternary(1, b"\x08\x00", b"\xff\xff")], _action(drop), priority=20)),
        )
        rec.write(
            "insert ternary priority 0", _u(INS, _te(acl, [_ternary(1, b"\x08\x06", b"\xff\xff")], _action(drop)))
        )
        rec.write(
            "insert ternary mask 0", _u(INS, _te(acl, [_ternary(1, b"\x00", b"\x00")], _action(drop), priority=1))
        )
        rec.write(
            "insert ternary value outside mask",
            _u(INS, _te(acl, [_ternary(1, b"\x08\x01", b"\xff\x00")], _action(drop), priority=1)),
        )
        rec.write("insert range", _u(INS, _te(acl, [_range(3, b"\x01", b"\x05")], _action(drop), priority=5)))
        rec.write(
            "insert range low above high", _u(INS, _te(acl, [_range(3, b"\x05", b"\x01")], _action(drop), priority=5))
        )
        rec.write("insert range full", _u(INS, _te(acl, [_range(3, b"\x00", b"\x01\xff")], _action(drop), priority=6)))
        rec.write("insert optional", _u(INS, _te(acl, [_optional(2, MAC1)], _action(drop), priority=7)))
        rec.write("insert defaultonly action", _u(INS, _te(acl, [_optional(2, MAC2)], _action(no_action), priority=7)))
        rec.write("insert const table", _u(INS, _te(const_t, [_exact(1, b"\x08\x00")], _action(drop))))
        rec.write("delete const entry", _u(DEL, _te(const_t, [_exact(1, b"\x08\x06")])))
        rec.write(
            "insert metadata and cookie",
            _u(INS, _te(smac, [_exact(1, MAC1)], _action(no_action), metadata=b"meta", controller_metadata=42)),
        )

        # default entries
        rec.write("insert default entry", _u(INS, _te(dmac, [], _action(drop), is_default_action=True)))
        rec.write("delete default entry", _u(DEL, _te(dmac, [], is_default_action=True)))
        rec.write("modify default entry", _u(MOD, _te(dmac, [], _action(set_mcast, b"\x05"), is_default_action=True)))
        rec.write(
            "modify default with a match", _u(MOD, _te(dmac, [_exact(1, MAC1)], _action(drop), is_default_action=True))
        )
        rec.write(
            "modify default table-only action",
            _u(MOD, _te(routes, [], _action(forward, b"\x01"), is_default_action=True)),
        )
        rec.write("modify const default", _u(MOD, _te(const_t, [], _action(drop), is_default_action=True)))
        rec.read("read one default entry", _te(dmac, [], is_default_action=True))
        rec.write("reset default entry", _u(MOD, _te(dmac, [], is_default_action=True)))
        rec.read("read default entries of all tables", _te(0, [], is_default_action=True))

        # reads and their filters
        rec.read("read all tables", _te(0, []))
        rec.read("read one table", _te(dmac, []))
        rec.read("read by match", _te(dmac, [_exact(1, MAC1)]))
        rec.read("read by match, absent", _te(dmac, [_exact(1, b"\x05")]))
        rec.read("read by priority only", _te(acl, [], priority=10))
        rec.read("read by match and priority", _te(acl, [_ternary(1, b"\x08\x00", b"\xff\xff")], priority=20))
        rec.read("read by match, wrong priority", _te(acl, [_ternary(1, b"\x08\x00", b"\xff\xff")], priority=99))
        rec.read("read by action only", _te(dmac, [], _action(drop)))
        rec.read("read const table", _te(const_t, []))
        rec.read("read unknown table", _te(0x02FFFFFF, []))
        rec.read(
            "read with counter data",
            p4r.Entity(table_entry=p4r.TableEntry(table_id=dmac, counter_data=p4r.CounterData())),
        )
        rec.read("read wrong device", _te(0, []), device_id=DEVICE_ID + 5)

        # idle timeouts
        aged = _te(ageing, [_exact(1, MAC1)], _action(forward, b"\x01"), idle_timeout_ns=3_600_000_000_000)
        rec.write("insert idle timeout", _u(INS, aged))
        rec.read("read idle timeout", _te(ageing, []))
        rec.write(
            "insert idle timeout on a table without",
            _u(INS, _te(dmac, [_exact(1, b"\x0c")], _action(drop), idle_timeout_ns=10**9)),
        )
        rec.write(
            "insert negative idle timeout",
            _u(INS, _te(ageing, [_exact(1, MAC2)], _action(forward, b"\x01"), idle_timeout_ns=-1)),
        )
        with_elapsed = _te(ageing, [_exact(1, MAC3)], _action(forward, b"\x01"))
        with_elapsed.table_entry.time_since_last_hit.elapsed_ns = 1
        rec.write("insert with time_since_last_hit", _u(INS, with_elapsed))
        elapsed_plain = _te(dmac, [])
        elapsed_plain.table_entry.time_since_last_hit.elapsed_ns = 0
        rec.read("read time_since_last_hit, table without", elapsed_plain)
        elapsed_default = _te(ageing, [], is_default_action=True)
        elapsed_default.table_entry.time_since_last_hit.elapsed_ns = 0
        rec.read("read time_since_last_hit of default", elapsed_default)
        rec.write(
            "modify idle timeout",
            _u(MOD, _te(ageing, [_exact(1, MAC1)], _action(no_action), idle_timeout_ns=7_200_000_000_000)),
        )
        rec.read("read modified idle timeout", _te(ageing, []))

        # counters, meters, registers, value sets, digests, externs
        port_counter, port_meter, reg = n["ingress.port_counter"], n["ingress.port_meter"], n["ingress.reg"]
        counter = p4r.CounterEntry(
            counter_id=port_counter, index=p4r.Index(index=2), data=p4r.CounterData(byte_count=700, packet_count=7)
        )
        rec.write("modify counter", _u(MOD, p4r.Entity(counter_entry=counter)))
        rec.read(
            "read counter cell",
            p4r.Entity(counter_entry=p4r.CounterEntry(counter_id=port_counter, index=p4r.Index(index=2))),
        )
        rec.write("insert counter", _u(INS, p4r.Entity(counter_entry=counter)))
        rec.write(
            "modify counter out of range",
            _u(MOD, p4r.Entity(counter_entry=p4r.CounterEntry(counter_id=port_counter, index=p4r.Index(index=8)))),
        )
        rec.write(
            "modify counter without index",
            _u(
                MOD,
                p4r.Entity(
                    counter_entry=p4r.CounterEntry(counter_id=port_counter, data=p4r.CounterData(packet_count=1))
                ),
            ),
        )
        rec.write("modify meter without index", _u(MOD, p4r.Entity(meter_entry=p4r.MeterEntry(meter_id=port_meter))))
        rec.write(
            "modify meter",
            _u(
                MOD,
                p4r.Entity(
                    meter_entry=p4r.MeterEntry(
                        meter_id=port_meter,
                        index=p4r.Index(index=1),
                        config=p4r.MeterConfig(cir=1000, cburst=100, pir=2000, pburst=200),
                    )
                ),
            ),
        )
        rec.read("read meter", p4r.Entity(meter_entry=p4r.MeterEntry(meter_id=port_meter, index=p4r.Index(index=1))))
        rec.write(
            "modify meter cir above pir",
            _u(
                MOD,
                p4r.Entity(
                    meter_entry=p4r.MeterEntry(
                        meter_id=port_meter,
                        index=p4r.Index(index=1),
                        config=p4r.MeterConfig(cir=3000, cburst=100, pir=2000, pburst=200),
                    )
                ),
            ),
        )
        rec.write(
            "modify meter burst too large",
            _u(
                MOD,
                p4r.Entity(
                    meter_entry=p4r.MeterEntry(
                        meter_id=port_meter,
                        index=p4r.Index(index=1),
                        config=p4r.MeterConfig(cir=1000, cburst=1 << 33, pir=2000, pburst=200),
                    )
                ),
            ),
        )
        register = p4r.RegisterEntry(register_id=reg, index=p4r.Index(index=0), data=p4d.P4Data(bitstring=b"\x01"))
        rec.write("modify register", _u(MOD, p4r.Entity(register_entry=register)))
        rec.read("read register", p4r.Entity(register_entry=p4r.RegisterEntry(register_id=reg)))
        pvs = n["MyParser.pvs"]
        value_set = p4r.ValueSetEntry(value_set_id=pvs, members=[p4r.ValueSetMember(match=[_exact(1, b"\x12\x34")])])
        rec.write("modify value set", _u(MOD, p4r.Entity(value_set_entry=value_set)))
        rec.read("read value set", p4r.Entity(value_set_entry=p4r.ValueSetEntry(value_set_id=pvs)))
        rec.write("extern entry", _u(INS, p4r.Entity(extern_entry=p4r.ExternEntry(extern_type_id=1, extern_id=1))))
        rec.write(
            "atomicity ROLLBACK_ON_ERROR",
            _u(INS, _te(dmac, [_exact(1, b"\x0d")], _action(drop))),
            atomicity=p4r.WriteRequest.ROLLBACK_ON_ERROR,
        )
        rec.read(
            "read direct counters of all tables",
            p4r.Entity(direct_counter_entry=p4r.DirectCounterEntry(table_entry=p4r.TableEntry())),
        )
        rec.read(
            "read direct meters of all tables",
            p4r.Entity(direct_meter_entry=p4r.DirectMeterEntry(table_entry=p4r.TableEntry())),
        )
        rec.read(
            "read direct counters of dmac",
            p4r.Entity(direct_counter_entry=p4r.DirectCounterEntry(table_entry=p4r.TableEntry(table_id=dmac))),
        )
        learn_digest = n["learn_t"]
        rec.read("read digest id 0", p4r.Entity(digest_entry=p4r.DigestEntry()))
        rec.write(
            "insert digest",
            _u(
                INS,
                p4r.Entity(
                    digest_entry=p4r.DigestEntry(
                        digest_id=learn_digest,
                        config=p4r.DigestEntry.Config(max_timeout_ns=0, max_list_size=1, ack_timeout_ns=1000),
                    )
                ),
            ),
        )
        rec.read("read digest", p4r.Entity(digest_entry=p4r.DigestEntry(digest_id=learn_digest)))
        _ = learn

        # replication engine
        group = p4r.MulticastGroupEntry(
            multicast_group_id=5,
            replicas=[p4r.Replica(egress_port=1, instance=1), p4r.Replica(egress_port=2, instance=1)],
        )
        pre = p4r.Entity(packet_replication_engine_entry=p4r.PacketReplicationEngineEntry(multicast_group_entry=group))
        rec.write("insert multicast group", _u(INS, pre))
        rec.write("insert multicast group again", _u(INS, pre))
        rec.read(
            "read multicast groups",
            p4r.Entity(
                packet_replication_engine_entry=p4r.PacketReplicationEngineEntry(
                    multicast_group_entry=p4r.MulticastGroupEntry()
                )
            ),
        )
        missing_group = p4r.Entity(
            packet_replication_engine_entry=p4r.PacketReplicationEngineEntry(
                multicast_group_entry=p4r.MulticastGroupEntry(multicast_group_id=99)
            )
        )
        rec.write("modify missing multicast group", _u(MOD, missing_group))
        rec.write("delete missing multicast group", _u(DEL, missing_group))
        clone = p4r.CloneSessionEntry(
            session_id=3, replicas=[p4r.Replica(egress_port=4, instance=1)], class_of_service=1
        )
        rec.write(
            "insert clone session with class of service",
            _u(
                INS,
                p4r.Entity(packet_replication_engine_entry=p4r.PacketReplicationEngineEntry(clone_session_entry=clone)),
            ),
        )
        clone.class_of_service = 0
        rec.write(
            "insert clone session",
            _u(
                INS,
                p4r.Entity(packet_replication_engine_entry=p4r.PacketReplicationEngineEntry(clone_session_entry=clone)),
            ),
        )

        # action profiles
        ecmp_selector = n["ingress.ecmp_selector"]
        member = p4r.ActionProfileMember(
            action_profile_id=ecmp_selector,
            member_id=1,
            action=p4r.Action(action_id=forward, params=[p4r.Action.Param(param_id=1, value=b"\x02")]),
        )
        rec.write("insert member", _u(INS, p4r.Entity(action_profile_member=member)))
        rec.write("insert member again", _u(INS, p4r.Entity(action_profile_member=member)))
        rec.write(
            "insert entry to missing member",
            _u(INS, _te(ecmp, [_exact(1, MAC1)], p4r.TableAction(action_profile_member_id=9))),
        )
        rec.write(
            "insert entry to member", _u(INS, _te(ecmp, [_exact(1, MAC1)], p4r.TableAction(action_profile_member_id=1)))
        )
        rec.write(
            "insert direct action into indirect table", _u(INS, _te(ecmp, [_exact(1, MAC2)], _action(forward, b"\x01")))
        )
        rec.write(
            "delete member in use",
            _u(
                DEL,
                p4r.Entity(action_profile_member=p4r.ActionProfileMember(action_profile_id=ecmp_selector, member_id=1)),
            ),
        )
        empty_set = _te(
            ecmp, [_exact(1, MAC3)], p4r.TableAction(action_profile_action_set=p4r.ActionProfileActionSet())
        )
        rec.write("insert empty one-shot action set", _u(INS, empty_set))
        rec.read(
            "read members", p4r.Entity(action_profile_member=p4r.ActionProfileMember(action_profile_id=ecmp_selector))
        )
        rec.read("read ecmp", _te(ecmp, []))

        # access control and devices
        rec.write(
            "write from a backup election id",
            _u(INS, _te(dmac, [_exact(1, b"\x0e")], _action(drop))),
            election_id=p4r.Uint128(high=0, low=9),
        )
        rec.write(
            "write to another device", _u(INS, _te(dmac, [_exact(1, b"\x0e")], _action(drop))), device_id=DEVICE_ID + 5
        )
        rec.pipeline("VERIFY_AND_COMMIT again", p4r.SetForwardingPipelineConfigRequest.VERIFY_AND_COMMIT)
        rec.read("read after a new commit", _te(0, []))
        rec.write("insert after a new commit", _u(INS, _te(dmac, [_exact(1, MAC1)], _action(drop))))
        # last: a RECONCILE_AND_COMMIT that fails leaves simple_switch_grpc refusing later pipeline updates
        rec.pipeline("RECONCILE_AND_COMMIT", p4r.SetForwardingPipelineConfigRequest.RECONCILE_AND_COMMIT)
        rec.read("read after reconcile", _te(dmac, []))
    finally:
        rec.close()
    return rec.answers


def _get_pipeline(rec: Recorder, response_type: int) -> Answer:
    reply = rec.stub.GetForwardingPipelineConfig(
        p4r.GetForwardingPipelineConfigRequest(device_id=DEVICE_ID, response_type=response_type)
    )
    return {"code": "OK", "message": "", "cookie": reply.config.cookie.cookie}


# -- comparison ------------------------------------------------------------------------------------------------
def _strict_message(code: str) -> bool:
    return code == "UNIMPLEMENTED"


def compare(golden: list[Answer], actual: list[Answer]) -> list[str]:
    """Differences of `actual` from `golden`, one line each (empty: the same)."""
    out: list[str] = []
    if [a["step"] for a in golden] != [a["step"] for a in actual]:
        return ["the two recordings have different steps (re-record the golden file)"]
    for want, got in zip(golden, actual, strict=True):
        step = want["step"]
        if want["code"] != got["code"]:
            out.append(f"{step}: code {got['code']} ({got['message']}), BMv2 {want['code']} ({want['message']})")
            continue
        if _strict_message(want["code"]) and want["message"] != got["message"]:
            out.append(f"{step}: message {got['message']!r}, BMv2 {want['message']!r}")
        want_errors, got_errors = want.get("errors", []), got.get("errors", [])
        if [e[0] for e in want_errors] != [e[0] for e in got_errors]:
            out.append(f"{step}: per-update codes {got_errors}, BMv2 {want_errors}")
        else:
            for i, (w, g) in enumerate(zip(want_errors, got_errors, strict=True)):
                if _strict_message(w[0]) and w[1] != g[1]:
                    out.append(f"{step}: update {i} message {g[1]!r}, BMv2 {w[1]!r}")
        for key in ("entities", "response", "cookie"):
            if want.get(key) != got.get(key):
                out.append(f"{step}: {key} {got.get(key)!r}, BMv2 {want.get(key)!r}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", choices=("softp4", "bmv2"), default="softp4")
    parser.add_argument("--bmv2", help="simple_switch_grpc to run (default: $P4REF/simple_switch_grpc or PATH)")
    parser.add_argument("--record", type=Path, help="write the answers to this JSON file")
    parser.add_argument("--compare", type=Path, help="compare the answers with this JSON file (exit 1 if different)")
    args = parser.parse_args(argv)
    p4info, device_json = compile_program()
    if args.target == "softp4":
        with softp4_target() as address:
            answers = run_script(address, p4info, device_json)
    else:
        binary = args.bmv2 or find_bmv2()
        if binary is None:
            parser.error("no simple_switch_grpc: give --bmv2 or set P4REF (an install prefix holding bin/)")
        with bmv2_target(binary) as bmv2:
            answers = run_script(bmv2.address, p4info, device_json, bmv2.revive)
    if args.record:
        args.record.write_text(json.dumps(answers, indent=1) + "\n")
    if args.compare:
        differences = compare(json.loads(args.compare.read_text()), answers)
        for line in differences:
            print(line)
        print(f"{len(differences)} difference(s) in {len(answers)} answers")
        return 1 if differences else 0
    if not args.record:
        json.dump(answers, sys.stdout, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
