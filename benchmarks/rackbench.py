"""What the protocol benchmarks (`transfer.py`, `collective.py`) share: a rack on any of the three testbeds,
stamped by `testbed.stopwatch`, percentiles, the header that says where and when, and the PNG plots.

Testbeds:
  inprocess  `testbed.rack.Rack`: the NICs and the ToR on softp4 in this process, frames moved by
             `testbed.fabric`; times are the wall clock of this process, which does all the work.
  netns      `testbed.processes.rack.ProcessRack`: one switch process per device (softp4, or BMv2's
             simple_switch_grpc with `--target bmv2`, found through P4REF) on veth cables, programmed
             over P4Runtime; the accelerator emulators run in this process on packet sockets, and the
             stamps are taken there, as frames cross those sockets.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import platform
import random
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script from a checkout

from controller import topology  # noqa: E402
from controller.protocol import constants as c  # noqa: E402
from controller.protocol.gobackn import DEFAULT_WINDOW, MAX_WINDOW  # noqa: E402
from softp4 import reference  # noqa: E402
from testbed.accelerator import Accelerator  # noqa: E402
from testbed.fabric import Hop  # noqa: E402
from testbed.rack import Rack  # noqa: E402
from testbed.stopwatch import Stopwatch  # noqa: E402

TESTBEDS = ("inprocess", "netns")
TARGETS = ("softp4", "bmv2")


class BenchError(Exception):
    """The benchmark cannot run here, or the protocol failed; the message says which and why."""


def parse_size(text: str) -> int:
    """`64`, `4K`, `4KiB`, `1M`, `1MiB` as bytes (argparse type)."""
    units = {"": 1, "K": 1024, "KIB": 1024, "M": 1 << 20, "MIB": 1 << 20}
    digits = text.rstrip("KkMmIiBb")
    unit = text[len(digits):].upper()
    if not digits.isdigit() or unit not in units or int(digits) * units[unit] <= 0:
        raise argparse.ArgumentTypeError(f"'{text}' is not a size (give e.g. 64, 4KiB or 1MiB)")
    return int(digits) * units[unit]


def size_label(size: int) -> str:
    if size >= 1 << 20 and size % (1 << 20) == 0:
        return f"{size >> 20} MiB"
    if size >= 1024 and size % 1024 == 0:
        return f"{size >> 10} KiB"
    return f"{size} B"


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (`share` 0.5 for p50, 0.99 for p99): with fewer than 100 values p99 is the
    largest one."""
    ordered = sorted(values)
    rank = max(1, -(-int(share * 1000) * len(ordered) // 1000))
    return ordered[min(rank, len(ordered)) - 1]


def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def machine() -> str:
    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{model}, {os.cpu_count()} CPUs, Linux {platform.release()}, Python {platform.python_version()}"


def header(title: str, command: Sequence[str]) -> None:
    print(title)
    print(f"  machine: {machine()}")
    print(f"  date: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}; load average (1, 5, 15 min) at start: {load_average()}")
    print(f"  command: {' '.join(command)}")


def describe_testbed(testbed: str, target: str) -> str:
    if testbed == "inprocess":
        return "in-process rack (testbed.rack.Rack, softp4 in this process; wall clock of this process)"
    if target == "bmv2":
        binary = reference.find_tool("simple_switch_grpc") or "simple_switch_grpc (missing)"
        return f"netns rack, BMv2 switch processes ({binary}; {reference.where()})"
    return "netns rack, softp4 switch processes"


def check_testbed(testbed: str, target: str) -> str | None:
    """Why this testbed cannot run here (not root, no BMv2), or None."""
    if testbed == "inprocess":
        return None
    from testbed.processes import wiring

    problem = wiring.check_host()
    if problem is not None:
        return problem
    if target == "bmv2" and reference.find_tool("simple_switch_grpc") is None:
        return f"--target bmv2: {reference.missing_message('simple_switch_grpc')}"
    return None


@dataclass(frozen=True)
class Frames:
    """What the NICs and the emulators counted, all streams together: where frames went missing in the target."""

    issued: int  # TLPs the senders issued (data and rewinds)
    numbered: int  # of them, what the sending NICs took: data frames sent and rewinds done
    data_sent: int  # data frames the sending NICs put on their uplinks (a group frame once per other member)
    data_arrived: int  # data frames a receiving NIC judged (accepted, duplicate or past a gap)
    accepted: int  # of them accepted and handed to a PCIe port
    applied: int  # TLPs the emulators applied to memory
    acks_sent: int  # ACKs and NACKs the receiving NICs sent
    acks_arrived: int  # ACKs and NACKs that reached a sending NIC
    mailbox_written: int  # mailbox writes the sending NICs put on a PCIe port
    messages: int  # mailbox writes the emulators acted on

    def lost_since(self, before: Frames) -> tuple[int, int, int]:
        """Frames lost since `before`: (between NICs, from an accelerator to its NIC, from a NIC to its accelerator).
        A TLP lost on its way from the accelerator to its NIC is never numbered, so the sender's count of
        sequence numbers goes out of step with the NIC's: go-back-N relies on PCIe losing nothing."""

        def delta(name: str) -> int:
            return int(getattr(self, name)) - int(getattr(before, name))

        network = delta("data_sent") - delta("data_arrived") + delta("acks_sent") - delta("acks_arrived")
        to_nic = delta("issued") - delta("numbered")
        from_nic = delta("accepted") - delta("applied") + delta("mailbox_written") - delta("messages")
        return network, to_nic, from_nic


@dataclass
class BenchRack:
    """A rack on one testbed with a stopwatch on the given senders: write, wait, settle."""

    accelerators: Mapping[str, Accelerator]
    watch: Stopwatch
    rack: object  # testbed.rack.Rack or testbed.processes.rack.ProcessRack
    ack_timeout: float
    deadline: float
    lost_here: list[int] = field(default_factory=lambda: [0])  # in process: frames lost so far
    grace: float = 0.0  # seconds the check of what landed may wait for the last writes (netns)

    def write(self, src: str, dst: str, address: int, data: bytes) -> int:
        """`src` writes `data` at `address` of its window to `dst` (an accelerator or a group)."""
        from testbed.processes.rack import ProcessRack

        if isinstance(self.rack, ProcessRack):
            return self.rack.write(src, dst, address, data)
        return self.accelerators[src].write(dst, address, data)

    def wait(self) -> bool:
        """Until every write is acknowledged (True) or the deadline passed (False); ACK timers fire as the
        testbed fires them (in process: when the fabric is quiet; netns: after `ack_timeout` without
        progress)."""
        from testbed.processes.rack import ProcessRack

        if isinstance(self.rack, ProcessRack):
            ok = self.rack.run(deadline=self.deadline, ack_timeout=self.ack_timeout)
            self.rack.settle(quiet=0.05, limit=2.0)  # the last writes may land after the last ACK
            return ok
        assert isinstance(self.rack, Rack)
        self.rack.run(max_timeouts=1000)
        return not any(acc.unacked() for acc in self.accelerators.values())

    build_dir: Path = Path("build")

    def frames(self) -> Frames | None:
        """netns: the frames every NIC counted so far (read over P4Runtime) and what the emulators got; in process
        None (the in-process fabric loses nothing but on purpose)."""
        import asyncio

        from testbed.processes.rack import ProcessRack

        if not isinstance(self.rack, ProcessRack):
            return None
        from controller.runtime import ControllerError, Options, counters

        try:
            outcomes = asyncio.run(counters(self.rack.topology, self.rack.plan, self.rack.devices(),
                                            Options(build_dir=self.build_dir)))
        except ControllerError as exc:
            raise BenchError(f"reading counters: {exc}") from None
        cells: dict[str, int] = {}
        unicast_sent = rewinds = 0
        for outcome in outcomes:
            if outcome.error:
                raise BenchError(f"reading counters: {outcome.error}")
            for title, rows in outcome.result.items():
                for row in rows:
                    if title in ("drops", "outputs"):
                        cells[row.label] = cells.get(row.label, 0) + row.packets
                    elif title == "streams sent" and row.label.endswith(": frames sent"):
                        unicast_sent += row.packets
                    elif title == "streams sent" and row.label.endswith(": rewinds"):
                        rewinds += row.packets
        applied = sum(len(acc.received) for acc in self.accelerators.values())  # the links are quiet now
        messages = sum(acc.messages for acc in self.accelerators.values())
        groups = list(self.rack.plan.groups.values())
        fanout = len(groups[0].members) - 1 if groups else 1  # a group frame reaches every other member's NIC
        group_sent = cells.get("OUT_UPLINK", 0) - unicast_sent

        def get(*names: str) -> int:
            return sum(cells.get(name, 0) for name in names)

        return Frames(
            # every TLP a sender issued is a data frame or a rewind, unless the NIC never saw it; the rewinds of
            # group streams are not counted per stream, so with groups this term is left out
            issued=self.watch.sent if not groups else 0,
            numbered=cells.get("OUT_UPLINK", 0) + rewinds if not groups else 0,
            data_sent=unicast_sent + group_sent * fanout,
            data_arrived=get("OUT_TLP", "OUT_TLP_AND_ACK", "DROP_DUPLICATE", "DROP_GAP"),
            accepted=get("OUT_TLP", "OUT_TLP_AND_ACK"),
            applied=applied,
            acks_sent=get("OUT_TLP_AND_ACK", "OUT_ACK", "OUT_NACK"),
            acks_arrived=get("OUT_MAILBOX", "DROP_STALE_ACK", "DROP_ACK_UNKNOWN"),
            mailbox_written=get("OUT_MAILBOX"),
            messages=messages,
        )

    def lost(self) -> int:
        """Frames lost on purpose so far."""
        from testbed.processes.rack import ProcessRack

        if isinstance(self.rack, ProcessRack):
            return sum(relay.lost for relay in self.rack.relays)
        return self.lost_here[0]


@contextlib.contextmanager
def bench_rack(
    topo_path: Path,
    build_dir: Path,
    testbed: str,
    target: str,
    senders: Sequence[str],
    *,
    loss: float = 0.0,
    seed: int = 1,
    ack_timeout: float = 1.0,
    deadline: float = 120.0,
    workdir: Path | None = None,
    window: int = DEFAULT_WINDOW,
) -> Iterator[BenchRack]:
    """The rack of `topo_path` on `testbed`, with `loss` (a probability) of the frames from every NIC to the
    ToR lost (in process: `Fabric.drop_when`, seeded; netns: a relay on every uplink), and every
    accelerator's send window `window` TLPs per stream."""
    topo = topology.load(topo_path)
    if testbed == "inprocess":
        rack = Rack.build(topo, build_dir, window=window)
        lost = [0]
        rng = random.Random(seed)

        def lose(hop: Hop) -> bool:
            if rng.random() < loss:
                lost[0] += 1
                return True
            return False

        if loss:
            for server in topo.servers:
                rack.fabric.drop_when((f"{server.name}.nic", c.NIC_UPLINK_PORT), lose)
        yield BenchRack(rack.accelerators, Stopwatch(rack.accelerators, senders), rack, ack_timeout, deadline, lost)
        return
    from testbed.processes.demo import sigterm_as_exit
    from testbed.processes.rack import ProcessRack, RackError

    logging.getLogger("finsy").setLevel(logging.CRITICAL + 1)  # it logs what the switches lack (gNMI)
    try:
        with sigterm_as_exit(), ProcessRack.build(
            topo, build_dir, target=target, workdir=workdir or build_dir / "bench-netns", loss=loss, seed=seed,
            window=window,
        ) as prack:
            yield BenchRack(prack.accelerators, Stopwatch(prack.accelerators, senders), prack, ack_timeout, deadline,
                            grace=5.0, build_dir=build_dir)
    except RackError as exc:
        raise BenchError(str(exc)) from None


# --- the command line --------------------------------------------------------


def common_parser(runs: int, budget: float, unit: str) -> argparse.ArgumentParser:
    """The options `transfer.py` and `collective.py` share (a parent parser); `unit` names what is repeated."""
    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument("--testbed", choices=TESTBEDS, default="inprocess")
    ap.add_argument("--target", choices=TARGETS, default="softp4",
                    help="netns: the switch processes (bmv2: simple_switch_grpc through P4REF)")
    ap.add_argument("--runs", type=int, default=runs, help=f"runs per {unit} (default {runs})")
    ap.add_argument("--budget", type=float, default=budget, metavar="SECONDS",
                    help=f"stop a {unit} after this long even before --runs (default {budget:g})")
    ap.add_argument("--loss", type=float, default=0.0, metavar="PERCENT",
                    help="lose this share of the frames from every NIC to the ToR (default none)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the data and of the loss (default 1)")
    ap.add_argument("--ack-timeout", type=float, default=1.0, metavar="SECONDS",
                    help="netns: the emulators' ACK timer, fired after this long without progress (default 1)")
    ap.add_argument("--window", type=int, default=DEFAULT_WINDOW, metavar="TLPS",
                    help=f"the emulators' send window, TLPs unacknowledged per stream (default {DEFAULT_WINDOW}; "
                         f"{MAX_WINDOW}, the most, never limits a transfer of up to 1 MiB)")
    ap.add_argument("--build-dir", type=Path, default=REPO / "build")
    ap.add_argument("--out", type=Path, default=REPO / "build" / "bench", help="where the PNG goes")
    return ap


def check_common(ap: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Usage errors (exit 2) in the shared options."""
    if args.runs < 1 or args.budget <= 0 or args.ack_timeout <= 0:
        ap.error("--runs must be at least 1, --budget and --ack-timeout positive")
    if not 1 <= args.window <= MAX_WINDOW:
        ap.error(f"--window {args.window}: give 1 to {MAX_WINDOW} TLPs")
    if not 0 <= args.loss < 100:
        ap.error(f"--loss {args.loss:g}: give a percentage from 0 up to (not including) 100")
    if args.testbed == "inprocess" and args.target != "softp4":
        ap.error("--target bmv2 runs BMv2 switch processes: use --testbed netns")


def guarded(script: str, args: argparse.Namespace, run: Callable[[], int]) -> int:
    """`run()` unless the testbed cannot run here (then skipped, 0); its BenchError is one line and 1,
    Ctrl-C one line and 130."""
    problem = check_testbed(args.testbed, args.target)
    if problem is not None:
        print(f"{script}: skipped: {problem}")
        return 0
    try:
        return run()
    except BenchError as exc:
        print(f"{script}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{script}: interrupted", file=sys.stderr)
        return 130


# --- measuring ---------------------------------------------------------------

# a run: issue the writes of one transfer (returns the TLPs issued and a check of what landed, which
# returns what is wrong, or None)
Issue = Callable[[], tuple[int, Callable[[], str | None]]]


@dataclass
class Result:
    """The runs of one transfer (or one collective): `payload` bytes delivered per run."""

    label: str
    payload: int
    tlps: int = 0
    issue: list[float] = field(default_factory=list)
    landed: list[float] = field(default_factory=list)
    complete: list[float] = field(default_factory=list)
    tail: list[float] = field(default_factory=list)
    resent: int = 0
    timeouts: int = 0
    nacks: int = 0
    lost: int = 0  # frames lost on purpose
    target_lost: int = 0  # frames the target lost between NICs (counted after a run that re-sent or failed)
    target_lost_to_nic: int = 0  # ... between an accelerator's emulator and its NIC (TLPs the NIC never numbered)
    target_lost_from_nic: int = 0  # ... between a NIC and an accelerator's emulator (accepted, never applied)
    bugs: int = 0  # runs that re-issued or fired the ACK timer with nothing lost and no NACK
    failures: list[str] = field(default_factory=list)


def measure(bench: BenchRack, result: Result, issue: Issue, runs: int, budget: float, loss: float) -> Result:
    """Run `issue` up to `runs` times (or until `budget` seconds are spent, at least once), stamping each run."""
    spent_from = time.monotonic()
    base = bench.frames()
    for _ in range(runs):
        lost_before = bench.lost()
        bench.watch.start()
        result.tlps, check = issue()
        bench.watch.issued()
        acked = bench.wait()
        wrong = check() if acked else None
        # netns: the last writes may still be queued at the receiving emulator (it applies each TLP in
        # Python, slower than the switches deliver them): give them `grace` seconds to land
        until = time.monotonic() + bench.grace
        while wrong is not None and time.monotonic() < until:
            time.sleep(0.02)
            wrong = check()
        lap = bench.watch.lap()
        result.lost += bench.lost() - lost_before
        result.resent += lap.resent
        result.timeouts += lap.timeouts
        result.nacks += lap.nacks
        suspect = not loss and (lap.resent or lap.timeouts)
        if suspect or wrong is not None:
            after = bench.frames() if base is not None else None
            if base is not None and after is not None:
                network, to_nic, from_nic = after.lost_since(base)
                result.target_lost += max(0, network)
                result.target_lost_to_nic += max(0, to_nic)
                result.target_lost_from_nic += max(0, from_nic)
                suspect = suspect and max(network, to_nic, from_nic) <= 0
                base = after
        if suspect and not lap.nacks:
            result.bugs += 1
        if not acked:
            result.failures.append(f"{result.label}: not acknowledged within {bench.deadline:g} s")
            break
        if wrong is not None:
            result.failures.append(f"{result.label}: {wrong}")
            break
        issued, landed, complete = (lap.since_first(t) for t in (lap.last_sent, lap.landed, lap.completed))
        assert issued is not None and landed is not None and complete is not None
        result.issue.append(issued)
        result.landed.append(landed)
        result.complete.append(complete)
        result.tail.append(complete - issued)
        if time.monotonic() - spent_from >= budget:
            break
    return result


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3f}"


def _rate(payload: int, seconds: float) -> str:
    mbps = payload * 8 / seconds / 1e6
    return f"{mbps:.1f} Mb/s" if mbps < 1000 else f"{mbps / 1000:.2f} Gb/s"


def table(results: Sequence[Result], first: str) -> list[str]:
    """The Markdown table of `results`, times in ms; `first` heads the label column."""
    lines = [
        f"| {first} | TLPs | runs | issue p50 | landed p50 | landed p99 | complete p50 | complete p99 | tail p50 "
        "| goodput | re-issued | timer expiries | NACKs | lost |",
        "|---" + "|---:" * 13 + "|",
    ]
    for r in results:
        counts = f" {r.resent} | {r.timeouts} | {r.nacks}{' *' if r.nacks and not r.lost else ''} | {r.lost} |"
        if not r.complete:
            lines.append(f"| {r.label} | {r.tlps} | 0 |" + " |" * 7 + counts)
            continue
        lines.append(
            f"| {r.label} | {r.tlps} | {len(r.complete)} | {_ms(percentile(r.issue, 0.5))} "
            f"| {_ms(percentile(r.landed, 0.5))} | {_ms(percentile(r.landed, 0.99))} "
            f"| {_ms(percentile(r.complete, 0.5))} | {_ms(percentile(r.complete, 0.99))} "
            f"| {_ms(percentile(r.tail, 0.5))} | {_rate(r.payload, percentile(r.complete, 0.5))} |" + counts
        )
    return lines


def verdict(results: Sequence[Result]) -> int:
    """Print the notes and failures below a table; 1 if a run failed or the protocol misbehaved, else 0."""
    if any(r.nacks and not r.lost for r in results):
        print("* NACKs with no frame lost on purpose: the target lost frames by itself")
    for r in results:
        if r.target_lost or r.target_lost_to_nic or r.target_lost_from_nic:
            print(f"{r.label}: the target lost {r.target_lost} frames between NICs, {r.target_lost_to_nic} TLPs on the "
                  f"way from an accelerator to its NIC and {r.target_lost_from_nic} from a NIC to its accelerator "
                  "(NIC counters over P4Runtime against the emulators' counts, after the runs that re-sent or failed)")
    failures = [f for r in results for f in r.failures]
    bugs = sum(r.bugs for r in results)
    if failures:
        print("\nFAILED:\n  " + "\n  ".join(failures))
        return 1
    if bugs:
        print(f"\nFAILED: {bugs} runs re-issued writes or fired the ACK timer with nothing lost (a protocol bug)")
        return 1
    return 0


# --- plots -------------------------------------------------------------------


def _pyplot(name: str) -> Any:
    """matplotlib.pyplot (headless), or None after saying in one line that it is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"plot {name}.png: skipped, matplotlib is not installed (pip install -e '.[bench]')")
        return None
    return plt


def _save(plt: Any, fig: Any, out: Path, name: str) -> None:
    fig.tight_layout()
    path = out / f"{name}.png"
    fig.savefig(path)
    plt.close(fig)
    print(f"plot: {path}")


def plot(out: Path, name: str, title: str, xlabel: str, ylabel: str,
         series: Mapping[str, tuple[Sequence[float], Sequence[float]]], *, logx: bool = True, logy: bool = True,
         xticks: Sequence[tuple[float, str]] = ()) -> None:
    """Write `out/name.png`, one line per series (x values, y values); one line to say so, or that matplotlib
    (the `bench` extra: pip install -e '.[bench]') is missing."""
    plt = _pyplot(name)
    if plt is None:
        return
    out.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=80)
    for label, (xs, ys) in series.items():
        ax.plot(xs, ys, marker="o", markersize=3, linewidth=1.2, label=label)
    if logx:
        ax.set_xscale("log", base=2)
    if logy:
        ax.set_yscale("log")
    if xticks:
        ax.set_xticks([x for x, _ in xticks], [text for _, text in xticks], fontsize=8)
        ax.xaxis.set_minor_locator(plt.NullLocator())
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8)
    _save(plt, fig, out, name)


def bars(out: Path, name: str, title: str, ylabel: str, groups: Sequence[str],
         series: Mapping[str, Sequence[float]]) -> None:
    """Write `out/name.png`, grouped bars (one group per entry of `groups`, one bar per series)."""
    plt = _pyplot(name)
    if plt is None:
        return
    out.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=80)
    width = 0.8 / max(1, len(series))
    for i, (label, values) in enumerate(series.items()):
        ax.bar([g + i * width for g in range(len(groups))], values, width, label=label)
    ax.set_xticks([g + width * (len(series) - 1) / 2 for g in range(len(groups))], list(groups), fontsize=8)
    ax.set_title(title, fontsize=10)
    ax.set_ylabel(ylabel)
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    _save(plt, fig, out, name)
