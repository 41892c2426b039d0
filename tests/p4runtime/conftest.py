"""Fixtures of the P4Runtime server tests: the hand-written program and its P4Info."""

from __future__ import annotations

from pathlib import Path

import pytest
from finsy.proto import p4i
from google.protobuf import text_format

FIXTURES = Path(__file__).parent / "fixtures"


def load_p4info() -> p4i.P4Info:
    return text_format.Parse((FIXTURES / "fixture.p4info.txtpb").read_text(), p4i.P4Info())


@pytest.fixture
def p4info() -> p4i.P4Info:
    return load_p4info()


@pytest.fixture
def device_json() -> bytes:
    return (FIXTURES / "fixture.json").read_bytes()
