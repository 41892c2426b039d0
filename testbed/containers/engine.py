"""The `docker` command, a daemon to talk to, and the labels that let every run clean up after itself.

Every container (and, for compose, network) a run makes carries three labels: `org.jetstream-p4=1`,
`org.jetstream-p4.host=<hostname>` and `org.jetstream-p4.pid=<the testbed's pid>`. The run removes its
own on the way out, whatever the way (`remove_ours`); a run that was killed outright (SIGKILL: nothing runs)
leaves them, and the next run on the same host removes those whose pid is gone (`remove_stale`).

When no daemon answers and we are root with `dockerd` installed (a Debian host after `apt-get install
docker.io`, without systemd, as in CI), the daemon is started here, detached into its own session so it
outlives the run and no Ctrl-C reaches it: `dockerd --iptables=false`, logging to
/var/log/jetstream-dockerd.log. `--iptables=false` because the testbed needs no NAT or published ports
(its switch containers share the host's network namespace) and the host's firewall is left as it was.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

LABEL = "org.jetstream-p4"
DOCKERD_ARGS = ("--iptables=false",)
DOCKERD_LOG = Path("/var/log/jetstream-dockerd.log")
DAEMON_START_TIMEOUT = 60.0


class DockerError(RuntimeError):
    """A docker command that failed; the message is the command and the last line docker said."""


def labels(pid: int | None = None) -> dict[str, str]:
    """The labels of everything the run of process `pid` (default: this one) makes."""
    return {LABEL: "1", f"{LABEL}.host": socket.gethostname(), f"{LABEL}.pid": str(os.getpid() if pid is None else pid)}


def label_flags(pid: int | None = None) -> list[str]:
    return [flag for key, value in labels(pid).items() for flag in ("--label", f"{key}={value}")]


@dataclass(frozen=True)
class Docker:
    """The docker CLI (`command`, default the one on PATH), talking to the engine at `host` (`-H`; default
    the one DOCKER_HOST or the CLI's context names)."""

    command: str = "docker"
    host: str = ""

    @property
    def argv(self) -> list[str]:
        """The command and its `-H`, to which docker's arguments are added."""
        return [self.command, "-H", self.host] if self.host else [self.command]

    def run(self, args: Sequence[str], timeout: float | None = 120.0, check: bool = True) -> str:
        """`docker ARGS`, its standard output; DockerError (with docker's last line) when it fails."""
        try:
            result = subprocess.run([*self.argv, *args], capture_output=True, text=True, timeout=timeout,
                                    check=False, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise DockerError(f"`docker {' '.join(args[:3])}` did not finish in {timeout:g} s") from None
        except OSError as exc:
            raise DockerError(f"cannot run {self.command}: {exc.strerror or exc}") from None
        if check and result.returncode != 0:
            said = (result.stderr.strip() or result.stdout.strip() or f"status {result.returncode}").splitlines()
            raise DockerError(f"`docker {' '.join(args[:3])}`: {said[-1]}")
        return result.stdout

    def answers(self) -> str | None:
        """None when the daemon answers, else what `docker info` said."""
        try:
            self.run(["info", "--format", "{{.ServerVersion}}"], timeout=20)
        except DockerError as exc:
            return str(exc)
        return None

    def image_exists(self, image: str) -> bool:
        try:
            self.run(["image", "inspect", "--format", "{{.Id}}", image], timeout=30)
        except DockerError:
            return False
        return True

    def image_label(self, image: str, key: str) -> str | None:
        """The value of label `key` on a local image, None when the image or the label is missing."""
        try:
            out = self.run(["image", "inspect", "--format", f'{{{{index .Config.Labels "{key}"}}}}', image], timeout=30)
        except DockerError:
            return None
        value = out.strip()
        return value if value and value != "<no value>" else None

    def ours(self, kind: str, pid: int | None = None) -> list[str]:
        """Ids of the `kind` objects (container, network, volume) labelled with the run of `pid`."""
        filters = [f"--filter=label={key}={value}" for key, value in labels(pid).items()]
        return self._list(kind, filters)

    def _list(self, kind: str, filters: list[str]) -> list[str]:
        if kind == "container":
            out = self.run(["ps", "-aq", "--no-trunc", *filters], timeout=30)
        else:
            out = self.run([kind, "ls", "-q", *filters], timeout=30)
        return out.split()

    def remove(self, kind: str, ids: Sequence[str]) -> list[str]:
        """Remove objects (containers by force); returns the errors, if any (one already gone is none)."""
        if not ids:
            return []
        args = ["rm", "-f", "-v", *ids] if kind == "container" else [kind, "rm", *ids]
        try:
            self.run(args, timeout=60)
        except DockerError as exc:
            if "No such" not in str(exc) and "already in progress" not in str(exc):
                return [str(exc)]
        return []

    def remove_ours(self, pid: int | None = None) -> list[str]:
        """Remove every container, network and volume of this run (containers first: they hold the rest)."""
        errors = []
        for kind in ("container", "network", "volume"):
            try:
                errors += self.remove(kind, self.ours(kind, pid))
            except DockerError as exc:
                errors.append(str(exc))
        return errors

    def remove_stale(self) -> list[str]:
        """Remove the objects of runs on this host whose process is gone; returns the pids cleaned."""
        host = socket.gethostname()
        cleaned: list[str] = []
        try:
            ids = self._list("container", [f"--filter=label={LABEL}.host={host}"])
            pids = set()
            for line in self.run(["inspect", "--format", f'{{{{index .Config.Labels "{LABEL}.pid"}}}}', *ids]
                                 ).split() if ids else []:
                pids.add(line)
            for kind in ("network", "volume"):
                for object_id in self._list(kind, [f"--filter=label={LABEL}.host={host}"]):
                    pid = self.run([kind, "inspect", "--format", f'{{{{index .Labels "{LABEL}.pid"}}}}',
                                    object_id], timeout=30).strip()
                    pids.add(pid)
        except DockerError:
            return cleaned
        for pid in sorted(pids):
            if pid.isdigit() and not Path("/proc", pid).exists():
                self.remove_ours(int(pid))
                cleaned.append(pid)
        return cleaned


def find() -> Docker | None:
    command = shutil.which("docker")
    return Docker(command) if command else None


def ensure_daemon(docker: Docker, log: Path = DOCKERD_LOG) -> str | None:
    """None when a daemon answers (started here if need be and possible), else why Docker cannot be used."""
    problem = docker.answers()
    if problem is None:
        return None
    dockerd = shutil.which("dockerd")
    if dockerd is None or os.geteuid() != 0 or _socket_alive():  # not ours to start, or up but refusing us
        return f"the Docker daemon does not answer ({problem})"
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a") as out:
            subprocess.Popen([dockerd, *DOCKERD_ARGS], stdout=out, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, start_new_session=True)
    except OSError as exc:
        return f"cannot start dockerd: {exc.strerror or exc}"
    deadline = time.monotonic() + DAEMON_START_TIMEOUT
    while time.monotonic() < deadline:
        if docker.answers() is None:
            print(f"docker: started `dockerd {' '.join(DOCKERD_ARGS)}` (log: {log})", flush=True)
            return None
        time.sleep(0.5)
    return f"dockerd did not answer within {DAEMON_START_TIMEOUT:g} s (see {log})"


def _socket_alive() -> bool:
    with socket.socket(socket.AF_UNIX) as s:
        try:
            s.connect("/var/run/docker.sock")
        except OSError:
            return False
    return True


def usable() -> tuple[Docker | None, str | None]:
    """The docker CLI with a daemon that answers, or None and why not (for one-line skips)."""
    docker = find()
    if docker is None:
        return None, "no `docker` command on PATH"
    problem = ensure_daemon(docker)
    return (None, problem) if problem else (docker, None)


def clean_up(close: Callable[[], list[str]]) -> None:
    """Run `close` (a cleanup returning its errors) with Ctrl-C held off, so a second Ctrl-C does not cut
    it short, and print each error as a warning; Ctrl-C works as before afterwards."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        for error in close():
            print(f"warning: cleanup: {error}", file=sys.stderr)
    finally:
        signal.signal(signal.SIGINT, previous)


def undo_all(steps: list[Callable[[], object]]) -> list[str]:
    """Run the undo steps, last first, each even when one before failed; empty the list; the errors."""
    errors = []
    for step in reversed(steps):
        try:
            step()
        except (DockerError, OSError, subprocess.SubprocessError) as exc:
            errors.append(str(exc))
    steps.clear()
    return errors
