"""Server start, wait and stop; clear errors when it cannot listen."""

from __future__ import annotations

from pathlib import Path

import pytest
from p4rt_harness import running_server

from softp4.switch import Switch
from softp4.switch.p4runtime import P4RuntimeServer


def test_second_server_on_the_same_address_fails() -> None:
    with running_server() as running:
        second = P4RuntimeServer(Switch(), address=running.address)
        with pytest.raises(OSError) as info:
            second.start()
        assert str(info.value).startswith(f"P4Runtime server: cannot listen on {running.address}")
        assert running.server.wait(timeout=0.01) is False  # still serving


def test_missing_tls_files_fail_at_start(tmp_path: Path) -> None:
    server = P4RuntimeServer(Switch(), address="127.0.0.1:0", tls=(tmp_path / "cert.pem", tmp_path / "key.pem"))
    with pytest.raises(OSError):
        server.start()


def test_stop_ends_wait() -> None:
    server = P4RuntimeServer(Switch(), address="127.0.0.1:0")
    server.start()
    assert server.port > 0
    server.stop()
    assert server.wait(timeout=5) is True
