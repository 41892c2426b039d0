"""Packet replication engine entries: multicast groups and clone sessions.

A multicast group's replicas become switch nodes grouped by instance (the rid)
in first-appearance order, each node's ports in replica order.  What was
written is kept so a read gives back exactly the replicas, in the port form
(`port` bytes or the deprecated `egress_port`) the client used.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import grpc
from finsy.proto import p4r

from softp4.switch.p4runtime.errors import P4RuntimeError, invalid, not_found, pi_unimplemented, unimplemented
from softp4.switch.p4runtime.values import decode

_INSERT, _MODIFY, _DELETE = p4r.Update.INSERT, p4r.Update.MODIFY, p4r.Update.DELETE
_MAX_GROUP = 0xFFFF  # standard_metadata.mcast_grp is 16 bits
_MAX_SESSION = 0x7FFF  # BMv2 keeps clone sessions as hidden groups 32768 + id


def _replicas(replicas: Sequence[p4r.Replica], where: str) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    seen: set[tuple[int, int]] = set()
    for i, replica in enumerate(replicas):
        here = f"{where}.replicas[{i}]"
        if replica.backup_replicas:
            raise unimplemented(f"{here}.backup_replicas: backup replicas are not supported")
        if replica.WhichOneof("port_kind") == "port":
            port = decode(replica.port, 32, f"{here}.port")
        else:
            port = replica.egress_port
        pair = (port, replica.instance)
        if pair in seen:
            raise invalid(f"{here}: replica (port {port}, instance {replica.instance}) given twice")
        seen.add(pair)
        out.append(pair)
    return out


def nodes_of(replicas: list[tuple[int, int]]) -> list[tuple[int, list[int]]]:
    """Switch multicast nodes [(rid, [ports])]: replicas grouped by instance, first-appearance order."""
    nodes: dict[int, list[int]] = {}
    for port, instance in replicas:
        nodes.setdefault(instance, []).append(port)
    return list(nodes.items())


class Replication:
    """P4Runtime view of the replication engine of one pipeline."""

    def __init__(self, switch: Any) -> None:
        self.sw = switch
        self.groups: dict[int, p4r.MulticastGroupEntry] = {}
        self.sessions: dict[int, p4r.CloneSessionEntry] = {}

    def write(self, kind: int, entry: p4r.PacketReplicationEngineEntry) -> None:
        which = entry.WhichOneof("type")
        if which == "multicast_group_entry":
            self._write_group(kind, entry.multicast_group_entry)
        elif which == "clone_session_entry":
            self._write_session(kind, entry.clone_session_entry)
        else:
            raise invalid("packet_replication_engine_entry: neither a multicast group nor a clone session")

    def _write_group(self, kind: int, group: p4r.MulticastGroupEntry) -> None:
        where = "packet_replication_engine_entry.multicast_group_entry"
        gid = group.multicast_group_id
        if gid == 0 or gid > _MAX_GROUP:
            raise invalid(f"{where}.multicast_group_id {gid}: must be in 1..{_MAX_GROUP}")
        exists = gid in self.groups
        if kind == _DELETE:
            if not exists:
                raise not_found(f"{where}: multicast group {gid} does not exist")
            self.sw.mc_group_delete(gid)
            del self.groups[gid]
            return
        replicas = _replicas(group.replicas, where)
        if kind == _INSERT and exists:
            raise P4RuntimeError(grpc.StatusCode.ALREADY_EXISTS, f"{where}: multicast group {gid} already exists")
        if kind == _MODIFY and not exists:
            raise not_found(f"{where}: multicast group {gid} does not exist")
        self.sw.mc_group_set(gid, nodes_of(replicas))
        kept = p4r.MulticastGroupEntry()
        kept.CopyFrom(group)
        self.groups[gid] = kept

    def _write_session(self, kind: int, session: p4r.CloneSessionEntry) -> None:
        where = "packet_replication_engine_entry.clone_session_entry"
        sid = session.session_id
        if sid == 0 or sid > _MAX_SESSION:
            raise invalid(f"{where}.session_id {sid}: must be in 1..{_MAX_SESSION}")
        exists = sid in self.sessions
        if kind == _DELETE:
            if not exists:
                raise not_found(f"{where}: clone session {sid} does not exist")
            self.sw.clone_session_delete(sid)
            del self.sessions[sid]
            return
        if session.packet_length_bytes < 0:
            raise invalid(f"{where}.packet_length_bytes {session.packet_length_bytes}: must not be negative")
        if session.class_of_service != 0:
            raise pi_unimplemented("clone_cos")
        replicas = _replicas(session.replicas, where)
        if kind == _INSERT and exists:
            raise P4RuntimeError(grpc.StatusCode.ALREADY_EXISTS, f"{where}: clone session {sid} already exists")
        if kind == _MODIFY and not exists:
            raise not_found(f"{where}: clone session {sid} does not exist")
        self.sw.clone_session_set(sid, replicas, session.packet_length_bytes)
        kept = p4r.CloneSessionEntry()
        kept.CopyFrom(session)
        self.sessions[sid] = kept

    def read(self, entry: p4r.PacketReplicationEngineEntry) -> Iterator[p4r.PacketReplicationEngineEntry]:
        which = entry.WhichOneof("type")
        if which in (None, "multicast_group_entry"):
            gid = entry.multicast_group_entry.multicast_group_id
            for group_id, group in sorted(self.groups.items()):
                if gid in (0, group_id):
                    yield p4r.PacketReplicationEngineEntry(multicast_group_entry=group)
        if which in (None, "clone_session_entry"):
            sid = entry.clone_session_entry.session_id
            for session_id, session in sorted(self.sessions.items()):
                if sid in (0, session_id):
                    yield p4r.PacketReplicationEngineEntry(clone_session_entry=session)
