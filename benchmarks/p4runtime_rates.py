"""P4Runtime write and read rates, softp4 and BMv2 side by side, finsy as the client of both.

Each target (`softp4 switch`, and simple_switch_grpc of --bmv2 / --bmv2-fast, default $P4REF and
$P4REF_FAST) is started empty with no ports, in its own process. finsy pushes the benchmark's IPv4
LPM program (benchmarks/programs/ipv4_lpm.p4, compiled by p4c-bm2-ss when found, else by softp4;
the same JSON for every target), then, per round:

  * write: --entries LPM routes (distinct /32s), INSERT in WriteRequests of --batch updates, encoded
    by finsy beforehand and sent through finsy's Switch.write: the time from the first request to the
    last reply;
  * read: one wildcard ReadRequest of the table through finsy's P4Client, to the last reply (entities
    counted, not decoded); and the same read through finsy's Switch.read, decoded into finsy's entries
    (the client's own cost included);
  * the entries are deleted again (untimed) for the next round.

    .venv/bin/python benchmarks/p4runtime_rates.py [--entries 10000] [--batch 250] [--rounds 3]
        [--targets softp4 bmv2 bmv2-fast] [--bmv2 PREFIX] [--bmv2-fast PREFIX] [--p4c P4C-BM2-SS]

Goals (issue 11): on softp4, 10,000 entries written in under 0.3 s and read back in under 0.1 s, and
at least BMv2's rates. Prints figures (medians over the rounds); asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import finsy as fy
from finsy.proto import p4r

from softp4.cliargs import Parser, integer

PROGRAM = Path(__file__).resolve().parent / "programs" / "ipv4_lpm.p4"
TABLE = "RouterIngress.routes"
TARGETS = ("softp4", "bmv2", "bmv2-fast")


class RatesError(Exception):
    """The benchmark cannot run; the message says why."""


@dataclass
class Round:
    write_s: float
    read_s: float  # raw replies, entities counted
    read_decoded_s: float  # through finsy's Switch.read


def compile_program(p4c: str | None, out: Path) -> tuple[Path, Path, str]:
    """JSON and P4Info text of the program, and who compiled it."""
    json_path, p4info_path = out / "ipv4_lpm.json", out / "ipv4_lpm.p4info.txtpb"
    if p4c is not None:
        cmd = [p4c, "--p4runtime-files", str(p4info_path), "-o", str(json_path), str(PROGRAM)]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise RatesError(f"{' '.join(cmd)}: {done.stderr.strip()}")
        return json_path, p4info_path, p4c
    from google.protobuf import text_format

    from softp4.compiler import compile_file

    result = compile_file(PROGRAM)
    json_path.write_text(json.dumps(result.bmv2_json))
    p4info_path.write_text(text_format.MessageToString(result.p4info))
    return json_path, p4info_path, "softp4"


def _entries(count: int) -> list[fy.P4TableEntry]:
    return [
        fy.P4TableEntry(
            TABLE,
            match=fy.P4TableMatch(dst_addr=(0x0A00_0000 + i, 32)),
            action=fy.P4TableAction("RouterIngress.route", next_hop_mac=0x02_00_00_00_00_00 + i, port=i % 8),
        )
        for i in range(count)
    ]


async def _round(address: str, sw: fy.Switch, entries: int, batch: int) -> Round:
    schema = sw.p4info
    updates = [p4r.Update(type=p4r.Update.INSERT, entity=entry.encode(schema)) for entry in _entries(entries)]
    batches = [updates[i : i + batch] for i in range(0, len(updates), batch)]
    t0 = time.perf_counter()
    for b in batches:
        await sw.write(b)
    write_s = time.perf_counter() - t0

    read = p4r.ReadRequest(
        device_id=1, entities=[p4r.Entity(table_entry=p4r.TableEntry(table_id=schema.tables[TABLE].id))]
    )
    client = fy.P4Client(address)
    await client.open()
    try:
        t0 = time.perf_counter()
        count = 0
        async for reply in client.request_iter(read):
            count += len(reply.entities)
        read_s = time.perf_counter() - t0
    finally:
        await client.close()
    if count != entries:
        raise RatesError(f"read {count} entries back, wrote {entries}")
    t0 = time.perf_counter()
    decoded = [e async for e in sw.read(fy.P4TableEntry(TABLE))]
    read_decoded_s = time.perf_counter() - t0
    if len(decoded) != entries:
        raise RatesError(f"finsy read {len(decoded)} entries back, wrote {entries}")
    for u in updates:
        u.type = p4r.Update.DELETE
    for b in batches:
        await sw.write(b)
    return Round(write_s, read_s, read_decoded_s)


async def _measure(address: str, json_path: Path, p4info_path: Path, args: argparse.Namespace) -> list[Round]:
    options = fy.SwitchOptions(p4info=p4info_path, p4blob=json_path, device_id=1)
    async with fy.Switch("bench", address, options) as sw:
        return [await _round(address, sw, args.entries, args.batch) for _ in range(args.rounds)]


def run_target(name: str, binary: str | None, json_path: Path, p4info_path: Path, args: argparse.Namespace,
               workdir: Path) -> list[Round]:
    from testbed.processes import switches

    spec = switches.SwitchSpec(f"rates-{name}")
    try:
        if binary is None:
            switch = switches.start("softp4", spec, workdir)
        else:
            switch = switches.start("bmv2", spec, workdir, (binary, switches.takes_thrift_port(binary)))
    except switches.SwitchStartError as exc:
        raise RatesError(str(exc)) from None
    try:
        switch.wait_serving()
        return asyncio.run(_measure(switch.grpc_addr, json_path, p4info_path, args))
    except switches.SwitchStartError as exc:
        raise RatesError(str(exc)) from None
    except fy.P4ClientError as exc:
        raise RatesError(f"{name}: {exc.code.name}: {exc.message}") from None
    finally:
        switch.stop(timeout=10)


def main() -> None:
    ap = Parser(prog="p4runtime_rates.py", description=__doc__.splitlines()[0])
    ap.add_argument("--entries", type=integer(1, None, "entry count"), default=10_000,
                    help="LPM entries written and read (default 10000)")
    ap.add_argument("--batch", type=integer(1, None, "batch size"), default=250,
                    help="updates per WriteRequest (default 250)")
    ap.add_argument("--rounds", type=integer(1, None, "round count"), default=3,
                    help="rounds per target; medians printed (default 3)")
    ap.add_argument("--targets", nargs="+", choices=TARGETS, default=list(TARGETS))
    ap.add_argument("--bmv2", default=os.environ.get("P4REF"), metavar="PREFIX", help="default $P4REF")
    ap.add_argument("--bmv2-fast", default=os.environ.get("P4REF_FAST"), metavar="PREFIX",
                    help="default $P4REF_FAST")
    ap.add_argument("--p4c", help="p4c-bm2-ss (default $P4C, else $P4REF/bin or PATH; softp4 when none)")
    args = ap.parse_args()
    if not 1 <= args.entries <= 16384 or args.batch < 1 or args.rounds < 1:
        ap.error("--entries must be 1..16384 (the table's size), --batch and --rounds at least 1")
    logging.getLogger("finsy").setLevel(logging.ERROR)
    from softp4 import reference

    p4c = args.p4c or os.environ.get("P4C") or reference.find_tool("p4c-bm2-ss")
    try:
        with tempfile.TemporaryDirectory(prefix="softp4-p4rt-rates-") as tmp:
            json_path, p4info_path, compiler = compile_program(p4c, Path(tmp))
            print(f"P4Runtime rates, finsy as the client; {args.entries} LPM entries in batches of {args.batch}, "
                  f"{args.rounds} rounds; JSON by {compiler}; load average "
                  f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            print(f"{'target':10s} {'write s':>8s} {'entries/s':>10s} {'read s':>8s} {'entries/s':>10s} "
                  f"{'finsy read s':>12s}")
            for name in args.targets:
                binary = None
                if name != "softp4":
                    prefix = args.bmv2 if name == "bmv2" else args.bmv2_fast
                    if not prefix:
                        env = "P4REF" if name == "bmv2" else "P4REF_FAST"
                        print(f"{name:10s} skipped: give --{name} PREFIX or set {env}")
                        continue
                    binary = str(Path(prefix) / "bin" / "simple_switch_grpc")
                rounds = run_target(name, binary, json_path, p4info_path, args, Path(tmp))
                w = statistics.median(r.write_s for r in rounds)
                r = statistics.median(x.read_s for x in rounds)
                d = statistics.median(x.read_decoded_s for x in rounds)
                print(f"{name:10s} {w:8.3f} {args.entries / w:10,.0f} {r:8.3f} {args.entries / r:10,.0f} {d:12.3f}",
                      flush=True)
    except RatesError as exc:
        raise SystemExit(f"p4runtime_rates.py: {exc}") from None
    except KeyboardInterrupt:
        print("p4runtime_rates.py: interrupted", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
