"""Fixtures of the NIC and ToR tests: one loaded switch per program per session, reset per test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .bench import NicBench, internal_errors, new_switch


@pytest.fixture(scope="session")
def nic_switch() -> Any:
    return new_switch("nic")


@pytest.fixture
def nic(nic_switch: Any) -> Iterator[NicBench]:
    nic_switch.reset_state()
    internal_errors(nic_switch).clear()
    bench = NicBench(nic_switch)
    bench.install()
    yield bench
    assert internal_errors(nic_switch) == [], "the switch failed internally on a packet"


@pytest.fixture(scope="session")
def tor_switch() -> Any:
    return new_switch("tor")
