"""docs/protocol.md states what the code computes: the efficiency table and the drop reasons."""

from __future__ import annotations

import re
from pathlib import Path

from controller.protocol import constants as c
from controller.protocol.efficiency import efficiency_table, format_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def test_efficiency_table_in_the_doc_is_the_computed_one() -> None:
    assert format_table(efficiency_table()) in DOC.read_text(encoding="utf-8")


def test_every_drop_reason_is_documented_with_its_code() -> None:
    rows = dict(re.findall(r"^\| (\d+) \| `(DROP_\w+)` \|", DOC.read_text(encoding="utf-8"), re.MULTILINE))
    documented = {name: int(code) for code, name in rows.items()}
    actual = {name: value for value, name in c.DROP_REASONS.items() if value != c.DROP_NONE}
    assert documented == actual
