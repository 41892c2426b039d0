"""The replication engine: multicast groups and clone (mirror) sessions."""

from __future__ import annotations

from dataclasses import dataclass

from softp4.switch.errors import InvalidArgument, NotFound

MAX_PORT = 511


@dataclass
class CloneSession:
    replicas: list[tuple[int, int]]  # (egress port, rid)
    packet_length: int  # 0: whole packet


def _port(port: object, what: str) -> int:
    if not isinstance(port, int) or not 0 <= port <= MAX_PORT:
        raise InvalidArgument(f"{what}: port {port!r} out of range 0..{MAX_PORT}")
    return port


class ReplicationEngine:
    def __init__(self) -> None:
        self.groups: dict[int, list[tuple[int, list[int]]]] = {}
        self.sessions: dict[int, CloneSession] = {}

    def clear(self) -> None:
        self.groups.clear()
        self.sessions.clear()

    def set_group(self, group_id: int, nodes: list[tuple[int, list[int]]]) -> None:
        what = f"multicast group {group_id}"
        if not isinstance(group_id, int) or not 0 < group_id < 1 << 16:
            raise InvalidArgument(f"{what}: id out of range 1..65535")
        clean: list[tuple[int, list[int]]] = []
        for node in nodes:
            if not isinstance(node, tuple | list) or len(node) != 2:
                raise InvalidArgument(f"{what}: node {node!r} must be (rid, [ports])")
            rid, ports = node
            if not isinstance(rid, int) or not 0 <= rid < 1 << 16:
                raise InvalidArgument(f"{what}: rid {rid!r} out of range 0..65535")
            clean.append((rid, [_port(p, what) for p in ports]))
        self.groups[group_id] = clean

    def delete_group(self, group_id: int) -> None:
        if group_id not in self.groups:
            raise NotFound(f"no multicast group {group_id}")
        del self.groups[group_id]

    def get_group(self, group_id: int) -> list[tuple[int, list[int]]]:
        if group_id not in self.groups:
            raise NotFound(f"no multicast group {group_id}")
        return [(rid, list(ports)) for rid, ports in self.groups[group_id]]

    def set_session(self, session_id: int, replicas: list[tuple[int, int]], packet_length: int = 0) -> None:
        what = f"clone session {session_id}"
        if not isinstance(session_id, int) or not 0 <= session_id < 1 << 15:
            raise InvalidArgument(f"{what}: id out of range 0..32767")
        if not isinstance(packet_length, int) or packet_length < 0:
            raise InvalidArgument(f"{what}: bad packet length {packet_length!r}")
        clean = []
        for rep in replicas:
            if not isinstance(rep, tuple | list) or len(rep) != 2:
                raise InvalidArgument(f"{what}: replica {rep!r} must be (port, rid)")
            clean.append((_port(rep[0], what), int(rep[1])))
        self.sessions[session_id] = CloneSession(clean, packet_length)

    def delete_session(self, session_id: int) -> None:
        if session_id not in self.sessions:
            raise NotFound(f"no clone session {session_id}")
        del self.sessions[session_id]

    def get_session(self, session_id: int) -> tuple[list[tuple[int, int]], int]:
        s = self.sessions.get(session_id)
        if s is None:
            raise NotFound(f"no clone session {session_id}")
        return (list(s.replicas), s.packet_length)
