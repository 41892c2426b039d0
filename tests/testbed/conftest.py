"""Fixtures of the testbed tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from testbed.processes import wiring


@pytest.fixture
def nothing_left_behind() -> Iterator[None]:
    """A process-testbed test must leave no interface of this process behind, whatever it did (the modules
    that need root use it for every test: `pytest.mark.usefixtures("nothing_left_behind")`)."""
    yield
    assert wiring.ours() == []
