"""Fixtures of the NIC and ToR tests: one loaded switch per program per session, reset per test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .bench import NicBench, new_switch


@pytest.fixture(scope="session")
def nic_switch() -> Any:
    return new_switch("nic")


@pytest.fixture
def nic(nic_switch: Any) -> Iterator[NicBench]:
    nic_switch.reset_state()
    bench = NicBench(nic_switch)
    bench.install()
    yield bench


@pytest.fixture(scope="session")
def tor_switch() -> Any:
    return new_switch("tor")
