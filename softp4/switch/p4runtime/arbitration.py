"""Client arbitration: election ids, the primary client, and who is told what.

Only the default role (empty name) is supported.  The client with the highest
election id among the connected streams is the primary.  After every change of
primary every client gets a MasterArbitrationUpdate: OK for the primary,
ALREADY_EXISTS for a backup, NOT_FOUND when there is no primary; the
election_id in it is the primary's (or the highest ever seen when there is
none).  A stream that sends an election id another stream already holds is
ended with INVALID_ARGUMENT ("Election id already exists", the words clients
recognise).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import grpc
from finsy.proto import p4r, rpc_code, rpc_status

from softp4.switch.p4runtime.errors import P4RuntimeError

Send = Callable[[p4r.StreamMessageResponse], None]


def election_int(election_id: p4r.Uint128) -> int:
    return (election_id.high << 64) | election_id.low


def election_message(value: int) -> p4r.Uint128:
    return p4r.Uint128(high=value >> 64, low=value & 0xFFFFFFFFFFFFFFFF)


@dataclass(eq=False, slots=True)
class Client:
    """One StreamChannel."""

    send: Send
    arbitrated: bool = False
    election_id: int | None = None  # None: arbitrated without an election id (never primary)


class Arbitration:
    """The clients of one device and its primary."""

    def __init__(self, device_id: int) -> None:
        self.device_id = device_id
        self._lock = threading.Lock()
        self._clients: list[Client] = []
        self._primary: Client | None = None
        self._primary_id: int | None = None
        self._highest = 0

    def _elect(self) -> Client | None:
        best: Client | None = None
        for client in self._clients:
            if client.election_id is not None and (best is None or client.election_id > best.election_id):  # type: ignore[operator]
                best = client
        return best

    def _notice(self, client: Client) -> p4r.StreamMessageResponse:
        primary = self._primary
        if primary is client:
            code, message = rpc_code.OK, "primary"
        elif primary is not None:
            code, message = rpc_code.ALREADY_EXISTS, "backup: another client is primary"
        else:
            code, message = rpc_code.NOT_FOUND, "backup: there is no primary"
        election = primary.election_id if primary is not None else self._highest
        update = p4r.MasterArbitrationUpdate(
            device_id=self.device_id,
            election_id=election_message(election or 0),
            status=rpc_status.Status(code=code, message=message),
        )
        return p4r.StreamMessageResponse(arbitration=update)

    def update(self, client: Client, message: p4r.MasterArbitrationUpdate) -> None:
        """Apply a client's MasterArbitrationUpdate; raise P4RuntimeError to end its stream."""
        if message.role.name or message.role.id:
            raise P4RuntimeError(
                grpc.StatusCode.UNIMPLEMENTED,
                f"arbitration.role '{message.role.name or message.role.id}': only the default role is supported",
            )
        election = election_int(message.election_id) if message.HasField("election_id") else None
        with self._lock:
            if election is not None:
                for other in self._clients:
                    if other is not client and other.election_id == election:
                        raise P4RuntimeError(
                            grpc.StatusCode.INVALID_ARGUMENT,
                            f"Election id already exists: {election} is held by another client",
                        )
                self._highest = max(self._highest, election)
            if not client.arbitrated:
                client.arbitrated = True
                self._clients.append(client)
            client.election_id = election
            notify = self._changed()
            if client not in notify:
                notify.append(client)
            notices = [(c, self._notice(c)) for c in notify]
        for target, notice in notices:
            target.send(notice)

    def _changed(self) -> list[Client]:
        """Re-elect; every client when the primary (or its id) changed, else none."""
        primary = self._elect()
        before = self._primary
        self._primary = primary
        if primary is not before or (primary is not None and primary.election_id != self._primary_id):
            self._primary_id = primary.election_id if primary is not None else None
            return list(self._clients)
        return []

    def remove(self, client: Client) -> None:
        """A stream ended."""
        with self._lock:
            if client not in self._clients:
                return
            self._clients.remove(client)
            notices = [(c, self._notice(c)) for c in self._changed()]
        for target, notice in notices:
            target.send(notice)

    def is_primary(self, election_id: p4r.Uint128 | None) -> bool:
        """Whether a request carrying `election_id` comes from the primary."""
        with self._lock:
            primary = self._primary
            if primary is None or election_id is None:
                return False
            return primary.election_id == election_int(election_id)

    def primary_id(self) -> int | None:
        with self._lock:
            return self._primary.election_id if self._primary is not None else None

    def primary(self) -> Client | None:
        with self._lock:
            return self._primary

    def client_is_primary(self, client: Client) -> bool:
        with self._lock:
            return self._primary is client
