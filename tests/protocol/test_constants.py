"""constants.py is generated from p4src/include/defines.p4 and must not be stale."""

from __future__ import annotations

from pathlib import Path

import pytest

from controller.protocol import constants as c
from controller.protocol.gen_constants import DefineError, generate, main, parse_defines

ROOT = Path(__file__).resolve().parents[2]
DEFINES = ROOT / "p4src" / "include" / "defines.p4"
CONSTANTS = ROOT / "controller" / "protocol" / "constants.py"


def test_constants_module_is_not_stale() -> None:
    expected = generate(DEFINES, "p4src/include/defines.p4")
    assert CONSTANTS.read_text(encoding="utf-8") == expected, "run `make constants`"


def test_sizes_module_is_not_stale() -> None:
    expected = generate(ROOT / "p4src" / "include" / "sizes.p4", "p4src/include/sizes.p4")
    written = (ROOT / "controller" / "protocol" / "sizes.py").read_text(encoding="utf-8")
    assert written == expected, "run `make constants`"


def test_check_mode_flags_a_stale_module(tmp_path: Path) -> None:
    stale = tmp_path / "constants.py"
    stale.write_text(CONSTANTS.read_text(encoding="utf-8").replace("ETHERTYPE_JS = 0x88B5", "ETHERTYPE_JS = 0x88B6"))
    assert main([str(DEFINES), "--check", str(stale)]) == 1
    assert main([str(DEFINES), "--check", str(CONSTANTS)]) == 0


def test_generated_values_match_the_p4_source() -> None:
    assert c.ETHERTYPE_JS == 0x88B5
    assert c.JS_HDR_BYTES == 12
    assert (c.MSG_DATA, c.MSG_ACK, c.MSG_NACK) == (1, 2, 3)
    assert sorted(c.DROP_REASONS) == list(range(c.DROP_REASON_COUNT))
    assert c.DROP_REASONS[c.DROP_STALE_ACK] == "DROP_STALE_ACK" and c.DROP_PORT not in c.DROP_REASONS
    assert c.OUT_KINDS[c.OUT_MAILBOX] == "OUT_MAILBOX" and c.TRAFFIC_CLASSES[c.TC_JS_DATA] == "TC_JS_DATA"


def test_drop_reasons_are_distinct() -> None:
    reasons = {k: v for k, v in vars(c).items() if k.startswith("DROP_") and isinstance(v, int) and k not in (
        "DROP_PORT", "DROP_REASON_COUNT")}
    assert len(set(reasons.values())) == len(reasons)
    assert {name: value for value, name in c.DROP_REASONS.items()} == reasons  # the table holds every one


def test_parse_defines_reads_hex_decimal_and_skips_guards() -> None:
    text = "#ifndef G\n#define G\n/* ---- part ---- */\n#define A 0x10 /* note */\n#define B 7 // x\n"
    ds = parse_defines(text, "x.p4")
    assert [(d.name, d.value, d.comment) for d in ds] == [("A", 16, "part"), ("B", 7, "part")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("#define A (1 + 2)\n", "x.p4:1: #define A has value '(1 + 2)'"),
        ("#define A 1\n#define A 2\n", "x.p4:2: #define A repeats line 1"),
        ("// nothing\n", "x.p4: no integer #define found"),
    ],
)
def test_parse_defines_rejects_what_it_cannot_translate(text: str, message: str) -> None:
    with pytest.raises(DefineError) as exc:
        parse_defines(text, "x.p4")
    assert str(exc.value).startswith(message)


def test_cli_reports_a_missing_file_without_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "none.p4"), "-o", str(tmp_path / "out.py")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("gen_constants: error: cannot read") and "none.p4" in err


def test_a_family_numbered_with_a_hole_is_refused() -> None:
    from controller.protocol.gen_constants import DefineError, parse_defines, render

    text = "#define DROP_NONE 0\n#define DROP_PARSE 2\n#define DROP_REASON_COUNT 3\n"
    with pytest.raises(DefineError, match=r"not numbered 0\.\.DROP_REASON_COUNT - 1"):
        render(parse_defines(text), "defines.p4")
