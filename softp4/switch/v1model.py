"""simple_switch's packet flow (v1model): parser, ingress, the end of ingress, egress, deparser.

The order of the steps and the metadata each copy carries follow BMv2's simple_switch:
I2E clone, digest, resubmit, multicast or unicast (egress_spec 511 drops) at the end of
ingress; E2E clone, drop, deparse, recirculate, truncate at the end of egress. One received
frame runs to completion; the outputs come back in transmit order.

Where BMv2 would loop or crash, softp4 bounds the work per received frame instead:
MAX_PASSES ingress/egress passes (resubmit and recirculation loops), parser.MAX_STATES
parser states, MAX_GROWTH bytes of growth, a failed assert drops the packet, and a
header-stack index out of range in a control drops it too (each with a trace line).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from softp4.switch.packet import PHV, PacketAbort, ParserException, Pkt, RunawayAction
from softp4.switch.program import Program
from softp4.switch.replication import ReplicationEngine

Trace = Callable[[str], None]
# ingress work: (ingress port, data, instance type, preserved [(slot, value)])
IngressQueue = deque[tuple[int, bytes, int, list[tuple[int, int]]]]
DROP_PORT = 511
MAX_GROWTH = 512  # bytes a packet may grow by, as BMv2's headroom allows
MAX_PASSES = 256  # ingress + egress passes per received packet (recirculation loops end here)

INSTANCE_NORMAL = 0
INSTANCE_INGRESS_CLONE = 1
INSTANCE_EGRESS_CLONE = 2
INSTANCE_RECIRC = 4
INSTANCE_REPLICATION = 5
INSTANCE_RESUBMIT = 6


def _abort_reason(e: PacketAbort) -> str:
    return str(e) if isinstance(e, RunawayAction) else f"Assertion failed ({e})"


class V1ModelFlow:
    """Runs frames through a program with the switch's replication engine and queue settings."""

    def __init__(self, rep: ReplicationEngine, priority_queues: int) -> None:
        self._rep = rep
        self.priority_queues = priority_queues
        self.trace: Trace | None = None
        self._pkt_id = 0
        self._t0 = time.monotonic()
        self._fast_slots: tuple[Program, tuple[int, ...]] | None = None  # the fast path's slots

    def _new_phv(self, prog: Program, data: bytes, copy: int) -> PHV:
        p = prog.layout.template[:]
        pkt = Pkt(data, self._pkt_id, copy)
        pkt.tr = self.trace
        p[0] = pkt
        return p

    def run(
        self, prog: Program, port: int, frame: bytes, digests: list[tuple[str, tuple[int, ...]]]
    ) -> list[tuple[int, bytes]]:
        self._pkt_id += 1
        if self.trace is None:
            return self._run_fast(prog, port, frame, digests)
        self.trace(f"[{self._pkt_id}.0] Processing packet received on port {port}")
        ingress_q: IngressQueue = deque()
        ingress_q.append((port, frame, INSTANCE_NORMAL, []))
        outs: list[tuple[int, bytes]] = []
        self._drain(prog, ingress_q, [], outs, digests, 0, 0)
        return outs

    def _run_fast(
        self, prog: Program, port: int, frame: bytes, digests: list[tuple[str, tuple[int, ...]]]
    ) -> list[tuple[int, bytes]]:
        """The untraced path. It runs the received frame's ingress and, for the common packet (one
        copy: no clone, resubmit, multicast or recirculation), its egress and deparser without the
        queues; the first time a packet needs more, the generic flow takes over where it stands,
        so every packet sees the same steps in the same order as in `_drain`."""
        cached = self._fast_slots
        if cached is None or cached[0] is not prog:
            sm = prog.std
            cached = self._fast_slots = (
                prog,
                (
                    sm.ingress_port,
                    sm.packet_length,
                    sm.instance_type,
                    sm.ingress_global_timestamp,
                    sm.mcast_grp,
                    sm.egress_spec,
                    sm.priority,
                    sm.enq_timestamp,
                    sm.enq_qdepth,
                    sm.egress_port,
                    sm.egress_global_timestamp,
                    sm.deq_timedelta,
                    sm.deq_qdepth,
                ),
            )
        (
            s_ingress_port,
            s_packet_length,
            s_instance_type,
            s_ingress_ts,
            s_mcast_grp,
            s_egress_spec,
            s_priority,
            s_enq_ts,
            s_enq_qdepth,
            s_egress_port,
            s_egress_ts,
            s_deq_timedelta,
            s_deq_qdepth,
        ) = cached[1]
        p = prog.layout.template[:]
        pkt = Pkt(frame, self._pkt_id, 0)
        p[0] = pkt
        p[s_ingress_port] = port
        p[s_packet_length] = len(frame)
        p[s_instance_type] = INSTANCE_NORMAL
        p[s_ingress_ts] = int((time.monotonic() - self._t0) * 1e6)
        try:
            parser = prog.parser
            if parser is not None:
                err = parser.parse(p, None)
                if err is not None:
                    self._parser_error(prog, p, err)
                if prog.verify_checksums:
                    self._verify_checksums(prog, p, None)
            if prog.ingress is not None:
                prog.ingress.run(p)
        except (PacketAbort, ParserException):
            return []
        if pkt.clone_session >= 0 or pkt.resubmit_fl >= 0 or p[s_mcast_grp]:
            ingress_q: IngressQueue = deque()
            egress_q: list[tuple[PHV, int]] = []
            outs: list[tuple[int, bytes]] = []
            self._end_ingress(prog, p, port, ingress_q, egress_q, digests)
            self._drain(prog, ingress_q, egress_q, outs, digests, 1, 1)
            return outs
        if pkt.digest:
            name, elems = prog.learn_lists[pkt.digest]
            digests.append((name, tuple(p[slot] for slot, _ in elems)))
        spec = p[s_egress_spec]
        if spec == DROP_PORT:
            return []
        # _enqueue and the set-up of _egress, for a queue that holds this copy only
        if p[s_priority] >= self.priority_queues:
            return []
        p[s_enq_ts] = enq = int((time.monotonic() - self._t0) * 1e6) & 0xFFFFFFFF
        p[s_enq_qdepth] = 0
        pkt.clone_fl = 0
        pkt.digest = 0
        p[s_egress_port] = spec
        p[s_egress_spec] = prog.egress_spec_start
        p[s_packet_length] = pkt.length
        now = int((time.monotonic() - self._t0) * 1e6)
        p[s_egress_ts] = now
        p[s_deq_timedelta] = (now - enq) & 0xFFFFFFFF
        p[s_deq_qdepth] = 0
        if prog.egress is not None:
            try:
                prog.egress.run(p)
            except (PacketAbort, ParserException):
                return []
        if pkt.clone_session >= 0 or pkt.recirc_fl >= 0:
            ingress_q = deque()
            egress_q = []
            outs = []
            self._end_egress(prog, p, spec, ingress_q, egress_q, outs)
            self._drain(prog, ingress_q, egress_q, outs, digests, 2, 1)
            return outs
        if p[s_egress_spec] == DROP_PORT:
            return []
        data = self._deparse(prog, p)
        if data is None:
            return []
        if pkt.truncate and pkt.truncate < len(data):
            data = data[: pkt.truncate]
        return [(spec, data)]

    def _drain(
        self,
        prog: Program,
        ingress_q: IngressQueue,
        egress_q: list[tuple[PHV, int]],
        outs: list[tuple[int, bytes]],
        digests: list[tuple[str, tuple[int, ...]]],
        passes: int,
        copies: int,
    ) -> None:
        """The generic flow: ingress work first, then the egress queue (highest priority first)."""
        tr = self.trace
        sm = prog.std
        while ingress_q or egress_q:
            passes += 1
            if passes > MAX_PASSES:
                if tr is not None:
                    tr(f"[{self._pkt_id}] Dropping remaining copies: more than {MAX_PASSES} passes")
                break
            if ingress_q:
                in_port, data, itype, preserved = ingress_q.popleft()
                p = self._new_phv(prog, data, copies)
                copies += 1
                if self._ingress(prog, p, in_port, itype, preserved):
                    self._end_ingress(prog, p, in_port, ingress_q, egress_q, digests)
                continue
            idx = 0
            if self.priority_queues > 1 and len(egress_q) > 1:
                best = -1
                for i, (pe, _) in enumerate(egress_q):
                    pr = pe[sm.priority]
                    if pr > best:
                        best, idx = pr, i
            p, out_port = egress_q.pop(idx)
            if self._egress(prog, p, out_port, egress_q):
                self._end_egress(prog, p, out_port, ingress_q, egress_q, outs)

    def _log(self, p: PHV, msg: str) -> None:
        tr = self.trace
        if tr is not None:
            pkt = p[0]
            tr(f"[{pkt.id}.{pkt.copy}] {msg}")

    def _tracer(self, p: PHV) -> Trace | None:
        tr = self.trace
        if tr is None:
            return None
        pkt = p[0]
        prefix = f"[{pkt.id}.{pkt.copy}] "
        return lambda msg: tr(prefix + msg)

    def _parse(self, prog: Program, p: PHV) -> None:
        tr = self._tracer(p)
        p[0].tr = tr
        parser = prog.parser
        if parser is None:
            return
        err = parser.parse(p, tr)
        if err is not None:
            self._parser_error(prog, p, err)
        self._verify_checksums(prog, p, tr)

    def _parser_error(self, prog: Program, p: PHV, err: str | int) -> None:
        code = err if isinstance(err, int) else prog.layout.errors.get(err)
        if code is None:
            from softp4.switch.parser import DEFAULT_ERRORS

            code = DEFAULT_ERRORS.get(str(err), 0)
        p[prog.std.parser_error] = code

    def _verify_checksums(self, prog: Program, p: PHV, tr: Trace | None) -> None:
        for cond, slot, calc in prog.verify_checksums:
            try:
                if cond(p, None) and calc.compute(p) != p[slot]:
                    p[prog.std.checksum_error] = 1
                    if tr is not None:
                        tr(f"Checksum '{calc.name}' verification failed")
            except Exception:
                pass

    def _ingress(
        self,
        prog: Program,
        p: PHV,
        port: int,
        itype: int,
        preserved: list[tuple[int, int]],
    ) -> bool:
        """Ingress set-up, parser and ingress pipeline; False if the packet was dropped."""
        sm = prog.std
        pkt: Pkt = p[0]
        original = pkt.data
        p[sm.ingress_port] = port
        p[sm.packet_length] = len(original)
        p[sm.instance_type] = itype
        p[sm.ingress_global_timestamp] = int((time.monotonic() - self._t0) * 1e6)
        for slot, value in preserved:
            p[slot] = value
        try:
            self._parse(prog, p)
            tr = pkt.tr
            if prog.ingress is not None:
                if tr is None:
                    prog.ingress.run(p)
                else:
                    prog.ingress.run_traced(p, tr)
        except PacketAbort as e:
            if self.trace is not None:
                self._log(p, f"{_abort_reason(e)}; packet dropped")
            return False
        except ParserException as e:
            if self.trace is not None:
                self._log(p, f"{e.error} in a control (header stack index out of range); packet dropped")
            return False
        return True

    def _end_ingress(
        self,
        prog: Program,
        p: PHV,
        port: int,
        ingress_q: IngressQueue,
        egress_q: list[tuple[PHV, int]],
        digests: list[tuple[str, tuple[int, ...]]],
    ) -> None:
        """The end of ingress: I2E clone, digest, resubmit, then multicast or unicast."""
        sm = prog.std
        pkt: Pkt = p[0]
        original = pkt.data
        # I2E clone: the packet as it entered, parsed again, metadata reset but for the field list
        if pkt.clone_session >= 0:
            session = self._rep.sessions.get(pkt.clone_session)
            if session is None:
                if self.trace is not None:
                    self._log(p, f"Clone session {pkt.clone_session} is not configured; no clone")
            else:
                keep = self._preserve(prog, p, pkt.clone_fl)
                for out_port, rid in session.replicas:
                    c = self._new_phv(prog, original, pkt.copy)
                    c[sm.ingress_port] = port  # the parser may branch on it
                    self._parse(prog, c)
                    for slot in prog.meta_slots:
                        c[slot] = 0
                    for slot, value in keep:
                        c[slot] = value
                    c[sm.instance_type] = INSTANCE_INGRESS_CLONE
                    c[sm.egress_rid] = rid
                    if session.packet_length:
                        c[0].truncate = session.packet_length
                    if self.trace is not None:
                        self._log(p, f"Cloning packet at ingress to port {out_port}")
                    self._enqueue(prog, c, out_port, egress_q)
        if pkt.digest:
            name, elems = prog.learn_lists[pkt.digest]
            digests.append((name, tuple(p[slot] for slot, _ in elems)))
            if self.trace is not None:
                self._log(p, f"Digest '{name}' generated")
        if pkt.resubmit_fl >= 0:
            self._log(p, "Resubmitting packet")
            # BMv2 resets all metadata of a resubmitted packet, ingress_port included, but the field list
            ingress_q.append((0, original, INSTANCE_RESUBMIT, self._preserve(prog, p, pkt.resubmit_fl)))
            return
        mgid = p[sm.mcast_grp]
        if mgid:
            nodes = self._rep.groups.get(mgid)
            if nodes is None:
                if self.trace is not None:
                    self._log(p, f"Multicast group {mgid} does not exist; packet dropped")
                return
            if self.trace is not None:
                self._log(p, f"Multicast to group {mgid}")
            for rid, ports in nodes:
                for out_port in sorted(ports):
                    c = p[:]
                    c[0] = self._copy_pkt(pkt)
                    c[sm.egress_rid] = rid
                    c[sm.instance_type] = INSTANCE_REPLICATION
                    self._enqueue(prog, c, out_port, egress_q)
            return
        spec = p[sm.egress_spec]
        if spec == DROP_PORT:
            self._log(p, "Dropping packet at the end of ingress (egress_spec is the drop port 511)")
            return
        if self.trace is not None:
            self._log(p, f"Egress port is {spec}")
        p[sm.instance_type] = INSTANCE_NORMAL
        self._enqueue(prog, p, spec, egress_q)

    def _enqueue(self, prog: Program, p: PHV, port: int, egress_q: list[tuple[PHV, int]]) -> None:
        sm = prog.std
        # simple_switch drops a packet whose priority has no queue, also with one queue per port
        # (the default): a nonzero priority needs --priority-queues above it
        priority = p[sm.priority]
        if priority >= self.priority_queues:
            if self.trace is not None:
                self._log(
                    p,
                    f"Priority {priority} out of range ({self.priority_queues} queue(s) per port, "
                    f"see --priority-queues), dropping packet",
                )
            return
        p[sm.enq_timestamp] = int((time.monotonic() - self._t0) * 1e6) & 0xFFFFFFFF
        p[sm.enq_qdepth] = sum(1 for _, q in egress_q if q == port) if egress_q else 0
        egress_q.append((p, port))

    def _copy_pkt(self, pkt: Pkt) -> Pkt:
        c = Pkt(pkt.data, pkt.id, pkt.copy)
        c.off = pkt.off
        c.ingress_length = pkt.ingress_length
        c.length = pkt.length
        c.truncate = pkt.truncate
        c.tr = pkt.tr
        return c

    def _preserve(self, prog: Program, p: PHV, fl: int) -> list[tuple[int, int]]:
        return [(slot, p[slot]) for slot, _ in prog.field_lists.get(fl, [])]

    def _egress(
        self,
        prog: Program,
        p: PHV,
        port: int,
        egress_q: list[tuple[PHV, int]],
    ) -> bool:
        """Egress set-up and the egress pipeline; False if the packet was dropped."""
        sm = prog.std
        pkt: Pkt = p[0]
        pkt.clone_session = -1
        pkt.clone_fl = 0
        pkt.resubmit_fl = -1
        pkt.digest = 0
        p[sm.egress_port] = port
        # BMv2 starts egress with egress_spec = drop port + 1 (masked to the field's width)
        p[sm.egress_spec] = prog.egress_spec_start
        p[sm.packet_length] = pkt.length
        now = int((time.monotonic() - self._t0) * 1e6)
        p[sm.egress_global_timestamp] = now
        p[sm.deq_timedelta] = (now - p[sm.enq_timestamp]) & 0xFFFFFFFF
        p[sm.deq_qdepth] = sum(1 for _, q in egress_q if q == port) if egress_q else 0
        tr = pkt.tr
        try:
            if prog.egress is not None:
                if tr is None:
                    prog.egress.run(p)
                else:
                    prog.egress.run_traced(p, tr)
        except PacketAbort as e:
            if self.trace is not None:
                self._log(p, f"{_abort_reason(e)}; packet dropped")
            return False
        except ParserException as e:
            if self.trace is not None:
                self._log(p, f"{e.error} in a control (header stack index out of range); packet dropped")
            return False
        return True

    def _end_egress(
        self,
        prog: Program,
        p: PHV,
        port: int,
        ingress_q: IngressQueue,
        egress_q: list[tuple[PHV, int]],
        outs: list[tuple[int, bytes]],
    ) -> None:
        """The end of egress: E2E clone, drop, deparser, recirculation, truncation, transmit."""
        sm = prog.std
        pkt: Pkt = p[0]
        if pkt.clone_session >= 0:
            session = self._rep.sessions.get(pkt.clone_session)
            if session is None:
                if self.trace is not None:
                    self._log(p, f"Clone session {pkt.clone_session} is not configured; no clone")
            else:
                keep = self._preserve(prog, p, pkt.clone_fl)
                for out_port, rid in session.replicas:
                    c = p[:]
                    c[0] = self._copy_pkt(pkt)
                    c[0].truncate = session.packet_length
                    for slot in prog.meta_slots:
                        c[slot] = 0
                    for slot, value in keep:
                        c[slot] = value
                    c[sm.instance_type] = INSTANCE_EGRESS_CLONE
                    c[sm.egress_rid] = rid
                    if self.trace is not None:
                        self._log(p, f"Cloning packet at egress to port {out_port}")
                    self._enqueue(prog, c, out_port, egress_q)
        if p[sm.egress_spec] == DROP_PORT:
            self._log(p, "Dropping packet at the end of egress (egress_spec is the drop port 511)")
            return
        data = self._deparse(prog, p)
        if data is None:
            return
        if pkt.recirc_fl >= 0:
            self._log(p, "Recirculating packet")
            ingress_q.append((0, data, INSTANCE_RECIRC, self._preserve(prog, p, pkt.recirc_fl)))
            return
        if pkt.truncate and pkt.truncate < len(data):
            data = data[: pkt.truncate]
        if self.trace is not None:
            self._log(p, f"Transmitting packet of size {len(data)} out of port {port}")
        outs.append((port, data))

    def _deparse(self, prog: Program, p: PHV) -> bytes | None:
        dep = prog.deparser
        pkt: Pkt = p[0]
        tr = pkt.tr
        if dep is None:
            return pkt.data[pkt.off :]
        # BMv2's order: checksum updates, then the deparser's own primitives, then the headers
        for cond, slot, mask, calc in prog.update_checksums:
            if cond(p, None):
                p[slot] = calc.compute(p) & mask
        for prim in dep.prims:
            prim(p, None)
        head = dep.headers_bytes(p)
        if tr is not None:
            tr(f"Deparser '{dep.name}': start")
            for name in dep.emitted_names(p):
                tr(f"Deparsing header '{name}'")
            tr(f"Deparser '{dep.name}': end")
        if len(head) - pkt.off > MAX_GROWTH:
            if self.trace is not None:
                self._log(p, f"Packet grew by {len(head) - pkt.off} bytes (more than {MAX_GROWTH}); dropped")
            return None
        return head + pkt.data[pkt.off :]
