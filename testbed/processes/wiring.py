"""Cables as veth pairs: create them with names unique to this run, delete every one on the way out.

A name is `js<pid in hex><run letter>-<cable><a|b>` (at most 14 characters, under IFNAMSIZ), so two runs,
even in two processes, never collide, and interfaces left behind by a run that was killed outright can be
found and removed (`remove_stale`): their pid no longer exists. IPv6 is turned off on both ends before they
come up, so the kernel puts nothing of its own (router solicitations, MLD reports) on a cable.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SYS_NET = Path("/sys/class/net")
# a cable's ends js<pid><run>-<n>a / -<n>b, or a bridge js<pid><run>-br<n>
NAME_RE = re.compile(r"^js([0-9a-f]+)([g-z])-(\d+[ab]|br\d+)$")
RUN_LETTERS = "ghijklmnopqrstuvwxyz"
_runs = itertools.count()


class WiringError(RuntimeError):
    """A cable that cannot be made; the message names the interface and what `ip` said."""


def check_host() -> str | None:
    """Why veth cables cannot be made here (not root, no `ip`, not Linux), or None when they can."""
    if not SYS_NET.is_dir():
        return "veth cables need Linux (/sys/class/net is missing)"
    if os.geteuid() != 0:
        return "veth cables need root (creating interfaces and opening packet sockets)"
    if shutil.which("ip") is None:
        return "veth cables need iproute2's `ip` command"
    return None


def probe() -> str | None:
    """Why cables cannot be made here, found by making one (root in a container may lack CAP_NET_ADMIN)."""
    problem = check_host()
    if problem is not None:
        return problem
    with Wiring() as wiring:
        try:
            wiring.cable("probe")
        except WiringError as exc:
            return f"cannot make veth cables here: {exc}"
    return None


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Ctrl-C (and SIGTERM, SIGHUP) wait until the block is done: an `ip` command started as the interrupt
    came could otherwise make its interface after the cleanup looked for it. (A child inherits the blocked
    signals, so this is for short commands only, never for a switch that must stop on SIGTERM.)"""
    deferred = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, deferred)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _ip(*args: str) -> None:
    with signals_deferred():
        result = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise WiringError(f"`ip {' '.join(args)}` failed: {result.stderr.strip() or result.returncode}")


def interface_exists(name: str) -> bool:
    return (SYS_NET / name).exists()


@dataclass(frozen=True)
class Cable:
    """One veth pair: `a` and `b` are the interface names at its two ends, `label` says what it joins."""

    a: str
    b: str
    label: str


class Wiring:
    """The cables of one run. Use as a context manager, or call `close()`: it deletes every cable made."""

    def __init__(self, mtu: int = 1500) -> None:
        self.prefix = f"js{os.getpid():x}{RUN_LETTERS[next(_runs) % len(RUN_LETTERS)]}"
        self.mtu = mtu
        self.cables: list[Cable] = []
        self.bridges: list[str] = []

    def cable(self, label: str) -> Cable:
        """A new veth pair, both ends up, IPv6 off; raises WiringError (and leaves nothing) on failure."""
        index = len(self.cables)
        cable = Cable(f"{self.prefix}-{index}a", f"{self.prefix}-{index}b", label)
        for name in (cable.a, cable.b):
            if interface_exists(name):  # left over from a run of a recycled pid that was killed outright
                _ip("link", "del", name)
        self.cables.append(cable)  # before it exists: an interrupt during `ip link add` must not leak it
        _ip("link", "add", cable.a, "mtu", str(self.mtu), "type", "veth", "peer", "name", cable.b, "mtu", str(self.mtu))
        for name in (cable.a, cable.b):
            _disable_ipv6(name)
        for name in (cable.a, cable.b):
            _ip("link", "set", name, "up")
        return cable

    def bridge(self, ports: list[str]) -> str:
        """A Linux bridge (a plain learning L2 switch: no STP, no IPv6, no multicast snooping, so group
        MACs are flooded) holding `ports`; deleted by close()."""
        name = f"{self.prefix}-br{len(self.bridges)}"
        if interface_exists(name):
            _ip("link", "del", name)
        self.bridges.append(name)
        _ip("link", "add", name, "type", "bridge", "stp_state", "0", "mcast_snooping", "0")
        _disable_ipv6(name)
        for port in ports:
            _ip("link", "set", port, "master", name)
        _ip("link", "set", name, "up")
        return name

    def interfaces(self) -> list[str]:
        return [name for cable in self.cables for name in (cable.a, cable.b)]

    def close(self) -> list[str]:
        """Delete every cable (deleting one end deletes the pair); returns the errors, if any."""
        errors = []
        names = [*reversed(self.bridges), *(cable.a for cable in reversed(self.cables))]
        self.cables.clear()
        self.bridges.clear()
        # and any other end of this run still there, whatever happened while the cables were being made
        names += sorted(p.name for p in SYS_NET.iterdir() if p.name.startswith(f"{self.prefix}-") and p.name[-1] == "a")
        for name in dict.fromkeys(names):
            if interface_exists(name):
                try:
                    _ip("link", "del", name)
                except WiringError as exc:
                    errors.append(str(exc))
        return errors

    def __enter__(self) -> Wiring:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _disable_ipv6(name: str) -> None:
    knob = Path("/proc/sys/net/ipv6/conf", name, "disable_ipv6")
    if knob.exists():
        with contextlib.suppress(OSError):
            if knob.read_text().strip() == "1":  # already (a container's read-only /proc/sys with
                return  # net.ipv6.conf.default.disable_ipv6=1 gives every new interface IPv6 off)
        try:
            knob.write_text("1")
        except OSError as exc:
            raise WiringError(f"interface {name}: cannot turn IPv6 off ({exc.strerror or exc})") from None


def ours(pid: int | None = None) -> list[str]:
    """Interfaces made by the process `pid` (default: this one), as the kernel lists them now."""
    pid = os.getpid() if pid is None else pid
    found = []
    for path in SYS_NET.iterdir() if SYS_NET.is_dir() else []:
        match = NAME_RE.match(path.name)
        if match and int(match.group(1), 16) == pid:
            found.append(path.name)
    return sorted(found)


def remove_stale() -> list[str]:
    """Delete the cables of runs whose process is gone (killed before it could clean up); returns them."""
    removed = []
    for path in SYS_NET.iterdir() if SYS_NET.is_dir() else []:
        match = NAME_RE.match(path.name)
        one_per_thing = match is not None and match.group(3)[-1] != "b"  # a cable's a end, or a bridge
        if match and one_per_thing and not Path("/proc", str(int(match.group(1), 16))).exists():
            try:
                _ip("link", "del", path.name)
                removed.append(path.name)
            except WiringError:
                pass  # gone meanwhile, or not ours to delete after all
    return removed
