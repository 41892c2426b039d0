"""In-process switch cost: packets/s and p50/p99 of Switch.process() on the veth benchmark's workloads.

The same programs, entries and frames as `switch_veth.py` (benchmarks/switch_workloads.py), with no
ports, no sockets and no second process: what the P4 pipeline alone costs per packet.

    .venv/bin/python benchmarks/switch_inprocess.py [--packets 20000] [--only NAME ...] [--json DIR]
                                                    [--profile N]

--json DIR runs the JSON and P4Info found in DIR/<program>/ (e.g. what p4c-bm2-ss wrote) instead of
softp4's; --profile N prints the N costliest functions under cProfile. Prints figures; asserts nothing
(it stops with a message if a frame does not come out as it must).
"""

from __future__ import annotations

import cProfile
import json
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from switch_workloads import MAX_ENTRIES, TOPOLOGY, WORKLOAD_NAMES, Workload, workloads

from softp4.cliargs import Parser, integer
from softp4.switch import Switch


class InProcessError(Exception):
    """A frame did not come out as the workload says; the message says how."""


def compile_softp4(workload: Workload) -> tuple[str, Any]:
    """softp4's BMv2 JSON text and P4Info of the workload's program."""
    from softp4.compiler import compile_file

    result = compile_file(workload.source_dir / f"{workload.program}.p4", include_dirs=[workload.source_dir])
    return json.dumps(result.bmv2_json), result.p4info


def switch_for(workload: Workload, json_text: str, p4info: Any) -> Switch:
    """A Switch running the program with the workload's entries and groups installed by name."""
    from controller.protocol import constants as c
    from testbed.inprocess import Artifacts, Device

    device = Device(workload.name, Artifacts(workload.program, json_text, p4info), cpu_port=c.CPU_PORT,
                    priority_queues=workload.priority_queues)
    device.install(workload.config)
    return device.switch


def check(workload: Workload, sw: Switch, n: int) -> None:
    frame = workload.frame(n)
    want = workload.expect(n)
    outs = [(port, data) for port, data in sw.process(workload.in_port, frame) if port == workload.out_port]
    if len(outs) != 1 or outs[0][1][: len(want)] != want:
        raise InProcessError(f"{workload.name}: frame {n} gave {[(p, d.hex()) for p, d in outs]}\n"
                             f"  expected on port {workload.out_port}: {want.hex()}")


def percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * q))]


def measure(workload: Workload, sw: Switch, packets: int, profile: int = 0) -> str:
    """A one-line report: packets/s, p50 and p99 of Switch.process() on frames in sending order."""
    check(workload, sw, 0)
    # frames 1.. in sending order; a stateless workload repeats frame 1
    count = 1000 + 2 * packets
    frames = [workload.frame(n) for n in range(1, count + 1)] if not workload.stateless else [workload.frame(1)] * count
    process, port = sw.process, workload.in_port
    for frame in frames[:1000]:  # warm-up
        process(port, frame)
    profiler = cProfile.Profile() if profile else None
    if profiler is not None:
        profiler.enable()
    t0 = time.perf_counter()
    for frame in frames[1000 : 1000 + packets]:
        process(port, frame)
    rate = packets / (time.perf_counter() - t0)
    if profiler is not None:
        profiler.disable()
    clock = time.perf_counter_ns
    times = []
    for frame in frames[1000 + packets :]:
        a = clock()
        process(port, frame)
        times.append((clock() - a) / 1000)
    times.sort()
    if not workload.stateless:  # still in order: the next frame comes out as it must
        check(workload, sw, count + 1)
    line = f"{rate:9,.0f} packets/s   p50 {statistics.median(times):6.1f} us   p99 {percentile(times, 0.99):6.1f} us"
    if profiler is not None:
        print(f"{workload.name}: cProfile of {packets} packets (own time, us per packet):")
        stats = pstats.Stats(profiler)
        rows = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])  # type: ignore[attr-defined]
        for (path, lineno, name), (_, calls, own, cum, _) in rows[:profile]:
            where = f"{Path(path).name}:{lineno}({name})" if lineno else name
            print(f"  {own * 1e6 / packets:7.2f} own {cum * 1e6 / packets:7.2f} cum {calls:8d}  {where}")
    return line


def main() -> None:
    ap = Parser(prog="switch_inprocess.py", description=__doc__.splitlines()[0])
    ap.add_argument("--packets", type=integer(1, None, "packet count"), default=20_000,
                    help="frames timed per workload (default 20000)")
    ap.add_argument("--entries", type=integer(1, None, "entry count"), default=1_000,
                    help="entries of the l2 and ipv4-lpm tables")
    ap.add_argument("--only", nargs="+", choices=WORKLOAD_NAMES, help="run these workloads only")
    ap.add_argument("--topology", type=Path, default=TOPOLOGY, help="address plan of nic and tor")
    ap.add_argument("--json", type=Path, metavar="DIR", help="run DIR/<program>/<program>.json (+ .p4info.txtpb)")
    ap.add_argument("--profile", type=integer(0, None, "function count"), default=0, metavar="N",
                    help="print the N costliest functions")
    args = ap.parse_args()
    if args.packets < 2000 or not 1 <= args.entries <= MAX_ENTRIES:
        ap.error(f"--packets must be at least 2000 and --entries 1..{MAX_ENTRIES}")
    which = "softp4's JSON" if args.json is None else f"the JSON in {args.json}"
    print(f"softp4 Switch.process() in process, one frame at a time, {which}; pure Python")
    try:
        for workload in workloads(args.entries, args.topology):
            if args.only and workload.name not in args.only:
                continue
            if args.json is None:
                json_text, p4info = compile_softp4(workload)
            else:
                from testbed.inprocess import load_artifacts

                artifacts = load_artifacts(args.json, workload.program)
                json_text, p4info = artifacts.json_text, artifacts.p4info
            sw = switch_for(workload, json_text, p4info)
            print(f"{workload.name:9s} {measure(workload, sw, args.packets, args.profile)}", flush=True)
    except (InProcessError, FileNotFoundError) as exc:
        raise SystemExit(f"switch_inprocess.py: {exc}") from None
    except KeyboardInterrupt:
        print("switch_inprocess.py: interrupted", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
