"""The real tools, where they are installed: simple_switch (for STF runs) and p4c-bm2-ss.

Found through $P4REF (an install prefix holding bin/), then PATH (p4c also through $P4C, as for
`make build`). The reference tests skip with a one-line reason where a tool is absent.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from softp4 import reference
from softp4.stf.bmv2 import Bmv2NotFound, Bmv2Tools, find_bmv2


def find_p4c() -> Path | None:
    named = os.environ.get("P4C")
    if named:
        found = shutil.which(named)
        return Path(found) if found else None
    found = reference.find_tool("p4c-bm2-ss")
    return Path(found) if found else None


@pytest.fixture(scope="session")
def bmv2() -> Bmv2Tools:
    try:
        return find_bmv2()
    except Bmv2NotFound as exc:
        pytest.skip(f"no real BMv2: {exc}")


@pytest.fixture(scope="session")
def p4c() -> Path:
    found = find_p4c()
    if found is None:
        pytest.skip(f"no real p4c: {reference.missing_message('p4c-bm2-ss')}")
    return found
