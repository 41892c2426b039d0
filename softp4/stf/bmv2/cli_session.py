"""One simple_switch_CLI process for a whole test, driven command by command.

Each command is written to the CLI's standard input followed by a line the CLI does not know
(`softp4_sync_N`); the CLI answers that with `*** Unknown syntax: softp4_sync_N`, so everything
printed before it is the command's output and the command has been applied (the CLI's Thrift
calls are synchronous). No sleeping between a command and the next packet is needed.
"""

from __future__ import annotations

import os
import queue
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path

PROMPT = "RuntimeCmd: "
SYNC = "softp4_sync_"
# Lines with which simple_switch_CLI reports a command it did not carry out.
REFUSALS = ("Error", "Invalid", "***", "Traceback", "This is a deprecated")


class CliError(Exception):
    """simple_switch_CLI died or stopped answering; the message holds what it printed last."""


class CliSession:
    """`run(line)` sends one command and returns what the CLI printed for it."""

    def __init__(self, cli: Sequence[str], thrift_port: int, json_path: Path, timeout: float = 30.0) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.timeout = timeout
        self.transcript: list[str] = []
        self._proc = subprocess.Popen(
            [*cli, "--thrift-port", str(thrift_port), "--thrift-ip", "127.0.0.1", "--json", str(json_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._count = 0
        self.run("")  # wait until the CLI has loaded the program and answers

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def run(self, command: str) -> list[str]:
        """The CLI's output lines for `command` (prompts stripped)."""
        self._count += 1
        marker = f"{SYNC}{self._count}"
        if self._proc.stdin is None or self._proc.poll() is not None:
            raise CliError(self._died())
        try:
            self._proc.stdin.write(f"{command}\n{marker}\n" if command else f"{marker}\n")
            self._proc.stdin.flush()
        except OSError:
            raise CliError(self._died()) from None
        if command:
            self.transcript.append(f"> {command}")
        out: list[str] = []
        while True:
            try:
                line = self._lines.get(timeout=self.timeout)
            except queue.Empty:
                raise CliError(f"simple_switch_CLI gave no answer in {self.timeout:g} s to '{command}'") from None
            if line is None:
                raise CliError(self._died(out))
            while line.startswith(PROMPT):
                line = line[len(PROMPT) :]
            if line.endswith(marker) and "Unknown syntax" in line:
                self.transcript += out
                return out
            if line.strip():
                out.append(line)

    def _died(self, out: Sequence[str] = ()) -> str:
        tail = [*self.transcript[-5:], *out][-8:]
        shown = "; ".join(tail) or "no output"
        return f"simple_switch_CLI exited (status {self._proc.poll()}): {shown}"

    def close(self) -> None:
        if self._proc.poll() is None:
            try:
                if self._proc.stdin is not None:
                    self._proc.stdin.close()
                self._proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self._proc.kill()
                self._proc.wait()
        self._reader.join(timeout=1)


def refusals(output: Sequence[str]) -> list[str]:
    """The lines of a command's output that say the CLI refused it."""
    return [line for line in output if line.startswith(REFUSALS)]
