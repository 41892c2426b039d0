"""Digests: DigestEntry configuration, batching into DigestLists, acks.

As the P4Runtime spec (and PI) say, a digest produces DigestLists only once a
DigestEntry has configured it.  Samples are batched: a list is sent when it
holds `max_list_size` samples (0: no limit) or `max_timeout_ns` after its first
sample (0: at once).  A sample already sent and not yet acknowledged (by a
DigestListAck, or by `ack_timeout_ns` passing) is not sent again; identical
samples in one pending list are sent once.  With ack_timeout_ns 0 nothing is held back or
deduplicated, as in PI.  Lists go to the primary client.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import grpc
from finsy.proto import p4d, p4r

from softp4.switch.p4runtime.errors import P4RuntimeError, invalid, not_found, pi_unimplemented
from softp4.switch.p4runtime.translate import DigestSpec, P4InfoIndex
from softp4.switch.p4runtime.values import canonical

_INSERT, _MODIFY, _DELETE = p4r.Update.INSERT, p4r.Update.MODIFY, p4r.Update.DELETE


@dataclass(slots=True)
class _Digest:
    spec: DigestSpec
    config: p4r.DigestEntry.Config
    pending: list[tuple[int, ...]] = field(default_factory=list)
    first_at: float = 0.0
    unacked: dict[tuple[int, ...], int] = field(default_factory=dict)  # sample -> list id
    lists: dict[int, tuple[float, list[tuple[int, ...]]]] = field(default_factory=dict)  # list id -> deadline


class DigestEngine:
    """Digest state of one pipeline; `send` delivers a message to the primary (False if none)."""

    def __init__(self, index: P4InfoIndex, send: Callable[[p4r.StreamMessageResponse], bool]) -> None:
        self._index = index
        self._send = send
        self._lock = threading.Condition()
        self._digests: dict[int, _Digest] = {}
        self._next_list_id = 1
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="p4runtime-digests", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            self._lock.notify_all()
        self._thread.join(timeout=2)

    # -- DigestEntry writes and reads -------------------------------------------------------------------
    def write(self, kind: int, entry: p4r.DigestEntry) -> None:
        spec = self._index.digests.get(entry.digest_id)
        if spec is None:
            raise invalid(f"digest_entry.digest_id {entry.digest_id}: no such digest")
        config = entry.config
        if kind != _DELETE:
            if not entry.HasField("config"):
                raise invalid(f"digest_entry.config is missing for digest '{spec.name}'")
            for name in ("max_timeout_ns", "max_list_size", "ack_timeout_ns"):
                if getattr(config, name) < 0:
                    raise invalid(f"digest_entry.config.{name} {getattr(config, name)}: must not be negative")
        with self._lock:
            present = spec.id in self._digests
            if kind == _INSERT:
                if present:
                    raise P4RuntimeError(
                        grpc.StatusCode.ALREADY_EXISTS, f"digest_entry: digest '{spec.name}' is already configured"
                    )
                self._digests[spec.id] = _Digest(spec, p4r.DigestEntry.Config())
                self._digests[spec.id].config.CopyFrom(config)
            elif kind == _MODIFY:
                if not present:
                    raise not_found(f"digest_entry: digest '{spec.name}' is not configured")
                self._digests[spec.id].config.CopyFrom(config)
            elif kind == _DELETE:
                if not present:
                    raise not_found(f"digest_entry: digest '{spec.name}' is not configured")
                del self._digests[spec.id]
            self._lock.notify_all()

    def read(self, entry: p4r.DigestEntry) -> Iterator[p4r.DigestEntry]:
        """The configuration of one digest (NOT_FOUND if unconfigured); id 0 is UNIMPLEMENTED, as in PI."""
        if not entry.digest_id:
            raise pi_unimplemented("digest_read_all")
        spec = self._index.digests.get(entry.digest_id)
        if spec is None:
            raise invalid(f"digest_entry.digest_id {entry.digest_id}: no such digest")
        with self._lock:
            digest = self._digests.get(spec.id)
            if digest is None:
                raise not_found(f"digest_entry: digest '{spec.name}' is not configured")
            found = p4r.DigestEntry(digest_id=spec.id, config=digest.config)
        yield found

    # -- samples and acks ---------------------------------------------------------------------------------
    def on_digest(self, name: str, samples: list[tuple[int, ...]]) -> None:
        """Switch callback: samples of the learn list `name`."""
        digest_id = self._index.digest_ids_by_name.get(name)
        if digest_id is None:
            return
        with self._lock:
            digest = self._digests.get(digest_id)
            if digest is None:
                return
            dedupe = digest.config.ack_timeout_ns > 0
            for sample in samples:
                sample = tuple(sample)
                if dedupe and (sample in digest.unacked or sample in digest.pending):
                    continue
                if not digest.pending:
                    digest.first_at = time.monotonic()
                digest.pending.append(sample)
            limit = digest.config.max_list_size
            if digest.pending and (digest.config.max_timeout_ns == 0 or (limit > 0 and len(digest.pending) >= limit)):
                ready = self._take(digest)
            else:
                ready = []
                self._lock.notify_all()
        for message in ready:
            self._send(message)

    def ack(self, ack: p4r.DigestListAck) -> None:
        with self._lock:
            digest = self._digests.get(ack.digest_id)
            if digest is None:
                return
            listed = digest.lists.pop(ack.list_id, None)
            if listed is not None:
                for sample in listed[1]:
                    if digest.unacked.get(sample) == ack.list_id:
                        del digest.unacked[sample]

    def _take(self, digest: _Digest) -> list[p4r.StreamMessageResponse]:
        """Cut the pending samples into lists (lock held)."""
        out = []
        limit = digest.config.max_list_size or len(digest.pending)
        samples = digest.pending
        digest.pending = []
        now = time.monotonic()
        for start in range(0, len(samples), limit):
            chunk = samples[start : start + limit]
            list_id = self._next_list_id
            self._next_list_id += 1
            if digest.config.ack_timeout_ns > 0:
                digest.lists[list_id] = (now + digest.config.ack_timeout_ns / 1e9, chunk)
                for sample in chunk:
                    digest.unacked[sample] = list_id
            out.append(
                p4r.StreamMessageResponse(
                    digest=p4r.DigestList(
                        digest_id=digest.spec.id,
                        list_id=list_id,
                        data=[_p4data(digest.spec, sample) for sample in chunk],
                        timestamp=time.time_ns(),
                    )
                )
            )
        return out

    def _run(self) -> None:
        while True:
            ready: list[p4r.StreamMessageResponse] = []
            with self._lock:
                if self._stopped:
                    return
                now = time.monotonic()
                wake = now + 3600.0
                for digest in self._digests.values():
                    if digest.pending:
                        due = digest.first_at + digest.config.max_timeout_ns / 1e9
                        if due <= now:
                            ready += self._take(digest)
                        else:
                            wake = min(wake, due)
                    for list_id, (deadline, samples) in list(digest.lists.items()):
                        if deadline <= now:
                            del digest.lists[list_id]
                            for sample in samples:
                                if digest.unacked.get(sample) == list_id:
                                    del digest.unacked[sample]
                        else:
                            wake = min(wake, deadline)
                if not ready:
                    self._lock.wait(timeout=max(0.0, wake - now))
            for message in ready:
                self._send(message)


def _p4data(spec: DigestSpec, sample: tuple[int, ...]) -> p4d.P4Data:
    members = p4d.P4StructLike(members=[p4d.P4Data(bitstring=canonical(v)) for v in sample])
    if spec.kind == "struct":
        return p4d.P4Data(struct=members)
    if spec.kind == "tuple":
        return p4d.P4Data(tuple=members)
    return p4d.P4Data(bitstring=canonical(sample[0]))
