"""softp4.reference finds the reference toolchain through P4REF (only there) or PATH."""

from __future__ import annotations

from pathlib import Path

import pytest

from softp4 import reference


def make_tool(directory: Path, name: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    tool = directory / name
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    return tool


def test_p4ref_is_the_only_place_looked_in_when_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    on_path = make_tool(tmp_path / "path", "simple_switch")
    in_prefix = make_tool(tmp_path / "prefix" / "bin", "p4c-bm2-ss")
    monkeypatch.setenv("PATH", str(on_path.parent))
    monkeypatch.setenv("P4REF", str(tmp_path / "prefix"))
    assert reference.find_tool("p4c-bm2-ss") == str(in_prefix)
    assert reference.find_tool("simple_switch") is None  # on PATH, but P4REF names the toolchain
    assert reference.missing_message("simple_switch") == (
        f"simple_switch is not in P4REF={tmp_path / 'prefix'} (its bin/)"
    )


def test_path_is_searched_without_p4ref(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tool = make_tool(tmp_path / "path", "simple_switch_grpc")
    (tmp_path / "path" / "p4c-bm2-ss").write_text("not executable")
    monkeypatch.delenv("P4REF", raising=False)
    monkeypatch.setenv("PATH", str(tool.parent))
    assert reference.find_tool("simple_switch_grpc") == str(tool)
    assert reference.find_tool("p4c-bm2-ss") is None
    assert reference.where() == "PATH (P4REF is not set)"
