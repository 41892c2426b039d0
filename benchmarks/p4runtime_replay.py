"""The same P4Runtime writes to several switches, chosen from a P4Info, and what each answered.

`writes(p4info)` makes a few updates per table, valid ones and ones a switch must refuse, each
with a label ("ingress.t: insert again"):

    insert A, insert A again (ALREADY_EXISTS), modify A, insert B, insert C with an action
    parameter one bit too wide (INVALID_ARGUMENT), insert D with the wrong priority (0 where the
    table needs one, 5 where it takes none), insert E with a default-only action, delete A,
    delete A again (NOT_FOUND), set the default action (PERMISSION_DENIED when it is const; a
    table-only one too; on a table with an action profile, INVALID_ARGUMENT)

with match values 1, 2, 3, 4 (LPM: full prefix; ternary: all-ones mask; range: [v, v + 1]);
tables with an action profile get a member first and entries pointing to it; a const table gets
an insert, a modify and a delete. Tables with a field or parameter of width 0 (string-translated
types) are left out. `ReplayClient(address).replay(p4info)` sends every update in a Write of its
own, in order, records the status code (the p4.v1.Error code for a batch error), then reads every
table back; `Replay.compare` says how many outcomes agree and where the first difference is.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import grpc
from finsy.proto import p4i, p4r, p4r_grpc, rpc_code, rpc_status
from google.protobuf import text_format

DEVICE_ID = 1
ELECTION = p4r.Uint128(high=0, low=1)
DETAILS_KEY = "grpc-status-details-bin"
MEMBER_ID = 1

MT = p4i.MatchField.MatchType
SCOPE = p4i.ActionRef.Scope


def canonical(value: int, width: int) -> bytes:
    """`value` (taken modulo 2**width unless it does not fit: then as is) as a canonical bytestring."""
    if value < (1 << width):
        value &= (1 << width) - 1
    return value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")


@dataclass
class Write:
    """One labelled update."""

    label: str
    update: Any  # p4r.Update


@dataclass
class Replay:
    """What one switch answered: (label, code) per write, and the entries read back per table."""

    outcomes: list[tuple[str, str]] = field(default_factory=list)
    reads: dict[str, list[str]] = field(default_factory=dict)

    def compare(self, other: Replay) -> tuple[int, str]:
        """How many outcomes (and table reads) are the same, and the first difference ("" if none)."""
        same = 0
        first = ""
        for (label, code), (olabel, ocode) in zip(self.outcomes, other.outcomes, strict=False):
            if (label, code) == (olabel, ocode):
                same += 1
            elif not first:
                first = f"{label}: {ocode} here, {code} there"
        if len(self.outcomes) != len(other.outcomes) and not first:
            first = f"{len(other.outcomes)} writes here, {len(self.outcomes)} there"
        for table, entries in self.reads.items():
            if other.reads.get(table) != entries and not first:
                first = f"{table}: read back {len(other.reads.get(table, []))} entries here, {len(entries)} there"
                break
        return same, first


class _Writer:
    """The updates for one P4Info."""

    def __init__(self, info: Any) -> None:
        self.info = info
        self.actions = {a.preamble.id: a for a in info.actions}

    def _key(self, table: Any, v: int) -> list[Any]:
        out = []
        for mf in table.match_fields:
            w = mf.bitwidth
            fm = p4r.FieldMatch(field_id=mf.id)
            if mf.match_type == MT.EXACT:
                fm.exact.value = canonical(v, w)
            elif mf.match_type == MT.LPM:
                fm.lpm.value = canonical(v, w)
                fm.lpm.prefix_len = w
            elif mf.match_type == MT.TERNARY:
                fm.ternary.value = canonical(v, w)
                fm.ternary.mask = canonical((1 << w) - 1, w)
            elif mf.match_type == MT.RANGE:
                fm.range.low = canonical(min(v, (1 << w) - 2), w)
                fm.range.high = canonical(min(v + 1, (1 << w) - 1), w)
            elif mf.match_type == MT.OPTIONAL:
                fm.optional.value = canonical(v, w)
            else:
                continue
            out.append(fm)
        return out

    def _action(self, action: Any, v: int, wide: bool = False) -> Any:
        params = []
        for i, p in enumerate(action.params):
            value = (1 << p.bitwidth) if wide and i == 0 else v
            params.append(p4r.Action.Param(param_id=p.id, value=canonical(value, p.bitwidth)))
        return p4r.Action(action_id=action.preamble.id, params=params)

    def table(self, table: Any) -> list[Write]:
        name = table.preamble.name
        refs = [r for r in table.action_refs if r.scope != SCOPE.DEFAULT_ONLY and r.id in self.actions]
        widths = [mf.bitwidth for mf in table.match_fields]
        if not refs:
            return []
        action = self.actions[refs[0].id]
        widths += [p.bitwidth for p in action.params]
        if any(w == 0 for w in widths):
            return []
        needs_priority = any(mf.match_type in (MT.TERNARY, MT.RANGE, MT.OPTIONAL) for mf in table.match_fields)
        indirect = table.implementation_id != 0
        out: list[Write] = []

        def update(kind: Any, label: str, entity: Any) -> None:
            out.append(Write(f"{name}: {label}", p4r.Update(type=kind, entity=entity)))

        def entry(v: int, priority: int | None = None, act: Any = None) -> Any:
            te = p4r.TableEntry(table_id=table.preamble.id, match=self._key(table, v))
            if priority is None:
                priority = 10 * v if needs_priority else 0
            te.priority = priority
            if indirect:
                te.action.action_profile_member_id = MEMBER_ID
            else:
                te.action.action.CopyFrom(act if act is not None else self._action(action, 1))
            return p4r.Entity(table_entry=te)

        insert, modify, delete = p4r.Update.INSERT, p4r.Update.MODIFY, p4r.Update.DELETE
        if table.is_const_table:
            update(insert, "insert into a const table", entry(1))
            update(modify, "modify in a const table", entry(1))
            update(delete, "delete from a const table", entry(1))
            return out
        if indirect:
            member = p4r.ActionProfileMember(
                action_profile_id=table.implementation_id, member_id=MEMBER_ID, action=self._action(action, 1)
            )
            update(insert, "insert member", p4r.Entity(action_profile_member=member))
        update(insert, "insert A", entry(1))
        update(insert, "insert A again", entry(1))
        if not indirect:
            update(modify, "modify A", entry(1, act=self._action(action, 0)))
        update(insert, "insert B", entry(2))
        if action.params and not indirect:
            update(insert, "insert C with a parameter too wide", entry(3, act=self._action(action, 1, wide=True)))
        update(insert, "insert D with the wrong priority", entry(4, priority=0 if needs_priority else 5))
        only_default = [r for r in table.action_refs if r.scope == SCOPE.DEFAULT_ONLY and r.id in self.actions]
        if only_default and not indirect:
            act = self._action(self.actions[only_default[0].id], 1)
            update(insert, "insert E with a default-only action", entry(5, act=act))
        update(delete, "delete A", entry(1))
        update(delete, "delete A again", entry(1))
        if indirect:
            te = p4r.TableEntry(table_id=table.preamble.id, is_default_action=True)
            te.action.action.CopyFrom(self._action(action, 1))
            update(modify, "set the default action of an indirect table", p4r.Entity(table_entry=te))
        else:
            only_table = [r for r in table.action_refs if r.scope == SCOPE.TABLE_ONLY and r.id in self.actions]
            if only_table:
                te = p4r.TableEntry(table_id=table.preamble.id, is_default_action=True)
                te.action.action.CopyFrom(self._action(self.actions[only_table[0].id], 1))
                update(modify, "set a table-only action as default", p4r.Entity(table_entry=te))
            defaults = [r for r in table.action_refs if r.scope != SCOPE.TABLE_ONLY and r.id in self.actions]
            if defaults:
                da = self.actions[defaults[0].id]
                if all(p.bitwidth for p in da.params):
                    te = p4r.TableEntry(table_id=table.preamble.id, is_default_action=True)
                    te.action.action.CopyFrom(self._action(da, 1))
                    label = "set the const default action" if table.const_default_action_id else "set default"
                    update(modify, label, p4r.Entity(table_entry=te))
        return out


def writes(info: Any) -> list[Write]:
    """The labelled updates for every table of `info`, table by table in P4Info order."""
    w = _Writer(info)
    return [x for t in info.tables for x in w.table(t)]


def outcome(exc: grpc.RpcError) -> str:
    """The code of a refused Write: the p4.v1.Error's for a batch error, else the gRPC status."""
    code = exc.code()
    if code == grpc.StatusCode.UNKNOWN:
        for key, value in exc.trailing_metadata() or ():
            if key == DETAILS_KEY:
                status = rpc_status.Status.FromString(value)
                for detail in status.details:
                    err = p4r.Error()
                    if detail.Unpack(err) and err.canonical_code != 0:
                        return str(rpc_code.Code.Name(err.canonical_code))
    return str(code.name)


class ReplayClient:
    """A primary P4Runtime client of one switch (device 1, election id 1)."""

    def __init__(self, address: str) -> None:
        self.channel = grpc.insecure_channel(address)
        self.stub = p4r_grpc.P4RuntimeStub(self.channel)
        self._closed = False
        hello = p4r.StreamMessageRequest(
            arbitration=p4r.MasterArbitrationUpdate(device_id=DEVICE_ID, election_id=ELECTION)
        )

        def requests() -> Iterator[Any]:
            yield hello
            while not self._closed:  # the stream stays open while the client is primary
                time.sleep(0.05)

        self.stream = self.stub.StreamChannel(requests())
        next(self.stream)  # the arbitration reply

    def __enter__(self) -> ReplayClient:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._closed = True
        self.stream.cancel()
        self.channel.close()

    def set_pipeline(self, info: Any, device_config: bytes) -> str:
        """VERIFY_AND_COMMIT; "" when accepted, else the status and message."""
        request = p4r.SetForwardingPipelineConfigRequest(
            device_id=DEVICE_ID,
            election_id=ELECTION,
            action=p4r.SetForwardingPipelineConfigRequest.VERIFY_AND_COMMIT,
            config=p4r.ForwardingPipelineConfig(p4info=info, p4_device_config=device_config),
        )
        try:
            self.stub.SetForwardingPipelineConfig(request, timeout=120)
        except grpc.RpcError as exc:
            return f"{exc.code().name}: {exc.details()}"
        return ""

    def replay(self, info: Any) -> Replay:
        result = Replay()
        for w in writes(info):
            request = p4r.WriteRequest(device_id=DEVICE_ID, election_id=ELECTION, updates=[w.update])
            try:
                self.stub.Write(request, timeout=30)
                code = "OK"
            except grpc.RpcError as exc:
                code = outcome(exc)
            result.outcomes.append((w.label, code))
        for table in info.tables:
            read = p4r.ReadRequest(
                device_id=DEVICE_ID, entities=[p4r.Entity(table_entry=p4r.TableEntry(table_id=table.preamble.id))]
            )
            try:
                entries = [
                    text_format.MessageToString(e.table_entry, as_one_line=True)
                    for response in self.stub.Read(read, timeout=30)
                    for e in response.entities
                ]
            except grpc.RpcError as exc:
                entries = [f"read refused: {exc.code().name}"]
            result.reads[table.preamble.name] = sorted(entries)
        return result
