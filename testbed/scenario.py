"""The rack scenario of `make run`: an all-gather through a group, then an all-to-all, under loss, summed up.

    phases = rack_phases(plan, topo, ["all-gather", "all-to-all"], max_slice=None, rng=random.Random(1))
    results = [run_phase(bed, phase, expected, Progress()) for phase in phases]
    print(summary_table(results))

A phase is a set of writes issued all at once and the bytes they must leave in every accelerator's memory:

- **all-gather**: every sender of the topology's first group writes its own slice of the group window
  through the group (one write, replicated by the ToR to every other member: `testbed.groupdemo`);
- **all-to-all**: every exported window receives a distinct slice from each of its peers.

`run_phase` issues a phase's writes on a `Bed` (the in-process rack, `testbed.demo.InProcessBed`, or the
process rack, `testbed.processes.demo.ProcessBed`), waits until every write is acknowledged while a
`Progress` line says how far it got, and then compares every accelerator's memory with what all phases so
far must have left there, byte for byte, outside the mailbox area: a wrong byte, a byte anywhere else, an
unacknowledged write or an emulator's violation is a problem. A `PhaseResult` holds what moved during the
phase: writes, bytes, completion time, writes re-issued, ACK timer expiries, frames lost on purpose, and
the drops by reason the NICs' and the ToR's drop counters took.
"""

from __future__ import annotations

import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TextIO

from controller.plan import Plan
from controller.protocol import constants as c
from controller.topology import Topology
from testbed.accelerator import Accelerator
from testbed.memory import SparseMemory

PHASES = ("all-gather", "all-to-all")
TOR_FORGED = "forged (ToR)"  # the ToR's port-security drops (TorIngress.port_security.forged)


def drop_reason(name: str) -> str:
    """A drop counter's label as the summary shows it: "gap" for DROP_GAP, `TOR_FORGED` for the ToR's."""
    return TOR_FORGED if name.startswith("forged") else name.removeprefix("DROP_").lower().replace("_", " ")


# a NIC drop counter's index -> its reason's short name
DROP_REASONS = {value: drop_reason(name) for value, name in c.DROP_REASONS.items()}


class Rack(Protocol):
    """What the scenario reads of a rack (`testbed.rack.Rack`, `testbed.processes.rack.ProcessRack`)."""

    topology: Topology
    plan: Plan
    accelerators: dict[str, Accelerator]


class Bed(Protocol):
    """A rack the scenario runs on (in this process, or as switch processes)."""

    @property
    def rack(self) -> Rack: ...

    def write(self, src: str, dst: str, local_address: int, data: bytes) -> int:
        """`src` writes `data` at `local_address` of its window to `dst` (an accelerator or a group)."""

    def complete(self, tick: Callable[[], None]) -> bool:
        """Carry every write until it is acknowledged (True) or the bed gives up (False), calling `tick`
        often; memory must be final when it returns."""

    def unacked(self) -> int: ...

    def lost(self) -> int:
        """Frames lost on purpose so far."""

    def drops(self) -> Counter[str]:
        """Every device's drop counters so far, by reason (`DROP_REASONS` names, `TOR_FORGED`)."""

    def faults(self) -> list[str]:
        """What the emulators saw that they should not have (violations, frames that are no write)."""


@dataclass
class Phase:
    name: str
    writes: list[tuple[str, str, int, bytes]] = field(default_factory=list)  # (src, dst or group, address, data)
    lands: list[tuple[str, int, bytes]] = field(default_factory=list)  # (accelerator, address, data)
    about: str = ""  # one line: who writes what to whom


@dataclass
class PhaseResult:
    name: str
    writes: int  # memory write TLPs issued (first transmissions)
    written: int  # bytes the senders wrote
    landed: int  # bytes that had to land (a group write lands once per member)
    seconds: float
    reissued: int
    timeouts: int
    lost: int
    drops: Counter[str]
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def all_gather_phase(plan: Plan, rng: random.Random, max_slice: int | None = None) -> Phase | None:
    """Every sender of the plan's first group writes its own slice of the group window at once (None when
    the topology has no group)."""
    if not plan.groups:
        return None
    group = next(iter(plan.groups.values()))
    share = group.size // len(group.senders) & ~3
    if max_slice is not None:
        share = min(share, max_slice & ~3)
    phase = Phase("all-gather", about=f"group '{group.name}': {len(group.senders)} senders x {share} bytes, "
                                     f"each replicated to the other {len(group.members) - 1} members")
    for i, src in enumerate(group.senders):
        data = rng.randbytes(share)
        local = plan.group_stream(src.name, group.name).local_base + i * share
        phase.writes.append((src.name, group.name, local, data))
        for member in group.members:
            if member.accelerator.name != src.name:  # the ToR never sends a frame back where it came from
                phase.lands.append((member.accelerator.name, member.base + i * share, data))
    return phase


def all_to_all_phase(plan: Plan, topo: Topology, rng: random.Random, max_slice: int | None = None) -> Phase | None:
    """Every exported window receives a distinct slice from each of its peers, all at once (None when the
    topology exports no window)."""
    if not topo.exports:
        return None
    phase = Phase("all-to-all", about=f"{len(topo.exports)} windows, each written by all its peers")
    for export in topo.exports:
        share = export.size // len(export.peers) & ~3
        if max_slice is not None:
            share = min(share, max_slice & ~3)
        for i, peer in enumerate(export.peers):
            window = plan.tx_window(peer, export.owner, remote_base=export.base)
            data = rng.randbytes(share)
            phase.writes.append((peer, export.owner, window.local_base + i * share, data))
            phase.lands.append((export.owner, export.base + i * share, data))
    return phase


def rack_phases(plan: Plan, topo: Topology, names: list[str], rng: random.Random,
                max_slice: int | None = None) -> list[Phase]:
    """The phases named (in `PHASES` order), those the topology can carry."""
    made = {
        "all-gather": lambda: all_gather_phase(plan, rng, max_slice),
        "all-to-all": lambda: all_to_all_phase(plan, topo, rng, max_slice),
    }
    phases = [made[name]() for name in PHASES if name in names]
    return [phase for phase in phases if phase is not None]


class Progress:
    """One status line while a phase runs: rewritten in place with \\r on a terminal (10 times a second),
    a plain line every 2 s otherwise (and always the first and the last)."""

    def __init__(self, out: TextIO | None = None, tty: bool | None = None) -> None:
        self.out = out if out is not None else sys.stdout
        self.tty = self.out.isatty() if tty is None else tty
        self.interval = 0.1 if self.tty else 2.0
        self._due = 0.0
        self._width = 0

    def tick(self, status: Callable[[], str]) -> None:
        """Show `status()` if a line is due (cheap otherwise: call it as often as you like)."""
        now = time.monotonic()
        if now >= self._due:
            self._due = now + self.interval
            self._show(status())

    def _show(self, text: str) -> None:
        if self.tty:
            self.out.write("\r" + text.ljust(self._width))
            self._width = len(text)
        else:
            self.out.write(text + "\n")
        self.out.flush()

    def end(self, text: str) -> None:
        """The phase's last line; the next `tick` starts a new one."""
        self._show(text)
        if self.tty:
            self.out.write("\n")
            self.out.flush()
        self._due = 0.0
        self._width = 0


def run_phase(bed: Bed, phase: Phase, expected: dict[str, SparseMemory], progress: Progress) -> PhaseResult:
    """Issue the phase's writes at once, carry them, and check every accelerator's memory (`expected` holds
    what earlier phases left; this phase's bytes are added to it)."""
    accelerators = bed.rack.accelerators.values()
    reissued = sum(acc.retransmissions() for acc in accelerators)
    timeouts = sum(acc.timeouts for acc in accelerators)
    lost, drops = bed.lost(), bed.drops()
    started = time.monotonic()
    issued = sum(bed.write(src, dst, address, data) for src, dst, address, data in phase.writes)

    def status() -> str:
        done = issued - bed.unacked()
        return (f"  {phase.name}: {done}/{issued} writes acknowledged, {bed.lost() - lost} frames lost, "
                f"{time.monotonic() - started:.1f} s")

    progress.tick(status)
    complete = bed.complete(lambda: progress.tick(status))
    seconds = time.monotonic() - started
    progress.end(status())
    for name, address, data in phase.lands:
        expected[name][address : address + len(data)] = data
    problems = check(bed, expected)
    if not complete and not any("unacknowledged" in p for p in problems):
        problems.append("the writes were not all acknowledged in time")
    moved = bed.drops()
    moved.subtract(drops)
    return PhaseResult(
        phase.name, issued, sum(len(w[3]) for w in phase.writes), sum(len(land[2]) for land in phase.lands),
        seconds, sum(acc.retransmissions() for acc in accelerators) - reissued,
        sum(acc.timeouts for acc in accelerators) - timeouts, bed.lost() - lost, +moved, problems,
    )


def check(bed: Bed, expected: Mapping[str, SparseMemory]) -> list[str]:
    """Everything wrong now: the emulators' faults, a byte that differs from `expected` (wrong, or written
    where nothing should be), a write still unacknowledged."""
    problems = bed.faults()
    for name, acc in bed.rack.accelerators.items():
        first = acc.first_difference(expected[name])
        if first is not None:
            got, want = acc.memory[first], expected[name][first]
            problems.append(f"{name}: byte {first:#x} is {got:#04x}, expected {want:#04x}")
        if acc.unacked():
            problems.append(f"{name} still has {acc.unacked()} unacknowledged writes")
    return problems


def empty_images(bed: Bed) -> dict[str, SparseMemory]:
    """What every accelerator's memory must hold before any phase: nothing."""
    return {name: SparseMemory(acc.spec.memory) for name, acc in bed.rack.accelerators.items()}


def run_phases(bed: Bed, phases: list[Phase], progress: Progress | None = None) -> list[PhaseResult]:
    """Every phase in turn, on one set of memory images; prints each phase's line first."""
    progress = progress or Progress()
    expected = empty_images(bed)
    results = []
    for phase in phases:
        print(f"{phase.name}: {phase.about}", flush=True)
        results.append(run_phase(bed, phase, expected, progress))
    return results


def _size(n: int) -> str:
    return f"{n / 1024:.1f} KiB" if n >= 1024 else f"{n} B"


def summary_table(results: list[PhaseResult]) -> str:
    """The table `make run` ends with: one row per phase."""
    head = ("phase", "writes", "bytes", "landed", "time", "re-issued", "ACK timeouts", "lost", "drops by reason")
    rows = [head]
    for r in results:
        drops = ", ".join(f"{reason} {n}" for reason, n in sorted(r.drops.items())) or "none"
        rows.append((r.name, str(r.writes), _size(r.written), _size(r.landed), f"{r.seconds * 1e3:.0f} ms",
                     str(r.reissued), str(r.timeouts), str(r.lost), drops))
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = []
    for row in rows:
        cells = [cell.ljust(w) if i in (0, len(head) - 1) else cell.rjust(w)
                 for i, (cell, w) in enumerate(zip(row, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def write_png(results: list[PhaseResult], path: Path, title: str) -> str:
    """Draw completion times and counters per phase into `path`; returns the one line to print (where it
    went, or why not: matplotlib is optional)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return f"{path}: not drawn: matplotlib is not installed (pip install -e '.[bench]')"
    reasons = sorted({reason for r in results for reason in r.drops})
    series = {"re-issued": [r.reissued for r in results], "ACK timeouts": [r.timeouts for r in results],
              "lost": [r.lost for r in results]}
    series.update({f"drop: {reason}": [r.drops.get(reason, 0) for r in results] for reason in reasons})
    names = [r.name for r in results]
    fig, (times, counts) = plt.subplots(1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [1, 2]})
    times.bar(names, [r.seconds * 1e3 for r in results], color="tab:blue")
    times.set_ylabel("completion time (ms)")
    times.set_title("completion time")
    width = 0.8 / max(len(series), 1)
    for k, (label, values) in enumerate(series.items()):
        counts.bar([i + (k - (len(series) - 1) / 2) * width for i in range(len(names))], values, width, label=label)
    counts.set_xticks(range(len(names)), names)
    counts.set_ylabel("count")
    counts.set_title("recovery and drops")
    counts.legend(fontsize="small")
    fig.suptitle(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return f"{path}: completion times and counters drawn"


def report(results: list[PhaseResult], png: Path | None, title: str) -> int:
    """Print the summary table, the problems if any, the PNG's line; 0 when every phase was right, else 1."""
    print("\n" + summary_table(results))
    if png is not None:
        print("\n" + write_png(results, png, title))
    problems = [f"{r.name}: {p}" for r in results for p in r.problems]
    if not results:
        problems = ["the topology has neither a group nor an exported window: nothing to write"]
    if problems:
        print("\nFAILED:\n  " + "\n  ".join(problems[:20]))
        return 1
    print("\nOK: every byte of every write landed exactly once, in order, where it should, and nowhere else")
    return 0
