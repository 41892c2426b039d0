"""P4Runtime write and read rates of the softp4 switch.

Starts a softp4 switch with its P4Runtime server in a child process (so client
and server do not share one interpreter lock), pushes the P4Runtime tests'
fixture program, inserts LPM entries in batches of 250 and reads them back
with one wildcard read.  Prints figures only; compare with BMv2 + PI, which
accepts about 34 k LPM entries/s in batches of 250 on a 2-core machine.

    .venv/bin/python benchmarks/p4runtime_rates.py [--entries 50000] [--batch 250] [--finsy]

With --finsy it also times the same inserts made through finsy's high-level Switch (entries
built from names, as the controller writes them), to a second switch.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import multiprocessing.synchronize
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
from finsy.proto import p4i, p4r, p4r_grpc
from google.protobuf import text_format

from softp4.cliargs import Parser, integer

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "p4runtime" / "fixtures"
ROUTES, FORWARD = 33554435, 16777219  # ingress.routes (lpm on a 48-bit key), ingress.forward(port)


def _serve(port: int, ready: multiprocessing.synchronize.Event, stop: multiprocessing.synchronize.Event) -> None:
    from softp4.switch import Switch
    from softp4.switch.p4runtime import P4RuntimeServer

    server = P4RuntimeServer(Switch(None, device_id=1, cpu_port=255), address=f"127.0.0.1:{port}", device_id=1)
    server.start()
    ready.set()
    stop.wait()
    server.stop(grace=None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _requests(entries: int, batch: int, election: p4r.Uint128) -> list[p4r.WriteRequest]:
    requests = []
    for start in range(0, entries, batch):
        updates = []
        for i in range(start, min(entries, start + batch)):
            te = p4r.TableEntry(
                table_id=ROUTES,
                match=[
                    p4r.FieldMatch(
                        field_id=1, lpm=p4r.FieldMatch.LPM(value=(i << 16).to_bytes(6, "big"), prefix_len=32)
                    )
                ],
                action=p4r.TableAction(
                    action=p4r.Action(action_id=FORWARD, params=[p4r.Action.Param(param_id=1, value=bytes([i % 255]))])
                ),
            )
            updates.append(p4r.Update(type=p4r.Update.INSERT, entity=p4r.Entity(table_entry=te)))
        requests.append(p4r.WriteRequest(device_id=1, election_id=election, updates=updates))
    return requests


def _start_switch() -> tuple[int, Any, Any]:
    port = _free_port()
    ctx = multiprocessing.get_context("spawn")
    ready, stop = ctx.Event(), ctx.Event()
    child = ctx.Process(target=_serve, args=(port, ready, stop), daemon=True)
    child.start()
    if not ready.wait(30):
        raise SystemExit("the switch did not start")
    return port, child, stop


async def _finsy_writes(address: str, entries: int, batch: int) -> float:
    import finsy as fy

    options = fy.SwitchOptions(p4info=FIXTURES / "fixture.p4info.txtpb", p4blob=FIXTURES / "fixture.json", device_id=1)
    async with fy.Switch("bench", address, options) as sw:
        t0 = time.perf_counter()
        for start in range(0, entries, batch):
            await sw.insert(
                fy.P4TableEntry(
                    "routes",
                    match=fy.P4TableMatch(dst=(i << 16, 32)),
                    action=fy.P4TableAction("forward", port=i % 255),
                )
                for i in range(start, min(entries, start + batch))
            )
        return time.perf_counter() - t0


def main() -> None:
    parser = Parser(prog="p4runtime_rates.py", description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=integer(1, None, "entry count"), default=50_000,
                        help="LPM entries to insert (default 50000)")
    parser.add_argument("--batch", type=integer(1, None, "batch size"), default=250,
                        help="updates per WriteRequest (default 250)")
    parser.add_argument("--finsy", action="store_true", help="also time the inserts made through finsy")
    args = parser.parse_args()

    port, child, stop = _start_switch()
    try:
        channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=[("grpc.max_receive_message_length", 1 << 30)])
        stub = p4r_grpc.P4RuntimeStub(channel)
        election = p4r.Uint128(low=1)
        stream_queue: list[p4r.StreamMessageRequest] = [
            p4r.StreamMessageRequest(arbitration=p4r.MasterArbitrationUpdate(device_id=1, election_id=election))
        ]

        def outgoing() -> Iterator[p4r.StreamMessageRequest]:
            yield from stream_queue
            while not stop.is_set():
                time.sleep(0.05)

        stream = stub.StreamChannel(outgoing())
        next(stream)  # arbitration reply: primary
        p4info = text_format.Parse((FIXTURES / "fixture.p4info.txtpb").read_text(), p4i.P4Info())
        stub.SetForwardingPipelineConfig(
            p4r.SetForwardingPipelineConfigRequest(
                device_id=1,
                election_id=election,
                action=p4r.SetForwardingPipelineConfigRequest.VERIFY_AND_COMMIT,
                config=p4r.ForwardingPipelineConfig(
                    p4info=p4info, p4_device_config=(FIXTURES / "fixture.json").read_bytes()
                ),
            )
        )
        requests = _requests(args.entries, args.batch, election)
        t0 = time.perf_counter()
        for request in requests:
            stub.Write(request)
        write_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        count = 0
        read = p4r.ReadRequest(device_id=1, entities=[p4r.Entity(table_entry=p4r.TableEntry(table_id=ROUTES))])
        for reply in stub.Read(read):
            count += len(reply.entities)
        read_s = time.perf_counter() - t0
        if count != args.entries:
            raise SystemExit(f"read {count} entries, wrote {args.entries}")
        print(
            f"P4Runtime writes: {args.entries / write_s:,.0f} LPM entries/s "
            f"({args.entries} entries, batches of {args.batch})"
        )
        print(f"P4Runtime reads:  {count / read_s:,.0f} entries/s (one wildcard read of {count} entries)")
        stream.cancel()
        channel.close()
    finally:
        stop.set()
        child.join(10)
    if args.finsy:
        port, child, stop = _start_switch()
        try:
            seconds = asyncio.run(_finsy_writes(f"127.0.0.1:{port}", args.entries, args.batch))
            print(f"P4Runtime writes through finsy: {args.entries / seconds:,.0f} LPM entries/s (client included)")
        finally:
            stop.set()
            child.join(10)


if __name__ == "__main__":
    main()
