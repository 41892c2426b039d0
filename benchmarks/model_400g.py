"""The analytical 400 GbE model: one transfer's completion time, 64 B to 1 MiB, JetStream against RoCEv2 and
Broadcom SUE (controller/protocol/latency.py; equations and sources in docs/protocol.md, "The analytical
400 GbE model"). Computed, not measured: it needs no rack and takes no time.

    .venv/bin/python benchmarks/model_400g.py [--sizes 64 256 ...] [--switch-ns 250] [--nic-ns 250]
                                              [--pcie-ns 250] [--out build/bench]

Prints the parameters, then per size the time until the last byte landed and until the sender knows it
(complete), in microseconds, and writes model-400g.png into --out.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import rackbench

from controller.protocol.latency import Params, columns, format_table

SIZES = (64, 256, 1024, 4096, 16384, 65536, 262144, 1048576)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", type=rackbench.parse_size, default=list(SIZES), metavar="SIZE")
    ap.add_argument("--switch-ns", type=float, default=Params.switch_ns, help="cut-through switch latency")
    ap.add_argument("--nic-ns", type=float, default=Params.nic_ns, help="one pass through a NIC pipeline")
    ap.add_argument("--pcie-ns", type=float, default=Params.pcie_one_way_ns, help="PCIe one way, posted")
    ap.add_argument("--out", type=Path, default=rackbench.REPO / "build" / "bench", help="where the PNG goes")
    args = ap.parse_args(argv)
    if min(args.switch_ns, args.nic_ns, args.pcie_ns) < 0:
        ap.error("latencies must not be negative")
    p = Params(switch_ns=args.switch_ns, nic_ns=args.nic_ns, pcie_one_way_ns=args.pcie_ns)
    print("The analytical 400 GbE model (docs/protocol.md): one transfer alone on the rack, empty queues")
    print("  " + ", ".join(f"{f.name} {getattr(p, f.name):g}" for f in dataclasses.fields(p)))
    cols = columns(p)
    print(f"\ntimes in us from the sender issuing the transfer\n{format_table(args.sizes, p)}")
    results = {name: [fn(size) for size in args.sizes] for name, fn in cols.items()}
    first = args.sizes[0]
    js, roce = results[next(iter(cols))][0], results["RoCEv2"][0]
    print(f"\n{rackbench.size_label(first)}: JetStream completes {(roce.complete - js.complete) / 1e3:.3f} us before "
          f"RoCEv2 (no doorbell, no payload read), SUE {(js.complete - results['SUE'][0].complete) / 1e3:.3f} us "
          "before JetStream (no PCIe on either side)")
    xs = [float(s) for s in args.sizes]
    rackbench.plot(args.out, "model-400g", "one transfer at 400 GbE (model): complete", "transfer size",
                   "time from issue (us)",
                   {name: (xs, [t.complete / 1e3 for t in times]) for name, times in results.items()},
                   xticks=[(float(s), rackbench.size_label(s).replace(" ", "")) for s in args.sizes])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
