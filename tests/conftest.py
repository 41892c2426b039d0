"""Fixtures shared by the test areas: the NIC and ToR programs, built once per session.

The programs come from JETSTREAM_BUILD_DIR (default `build/`) when it holds them, so the same tests run
on what real p4c wrote; otherwise softp4 compiles them into a temporary build directory.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from google.protobuf import text_format

from testbed.inprocess import Artifacts, load_artifacts

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A build directory holding nic/ and tor/: JETSTREAM_BUILD_DIR as given, `build/` if it is newer than
    every file of p4src/ (a stale build would test old programs), or one softp4 fills now."""
    explicit = os.environ.get("JETSTREAM_BUILD_DIR")
    configured = Path(explicit) if explicit else ROOT / "build"
    built = [configured / p / f"{p}.json" for p in ("nic", "tor")]
    if all(path.is_file() for path in built):
        newest_source = max(f.stat().st_mtime for f in (ROOT / "p4src").rglob("*.p4"))
        if explicit or min(path.stat().st_mtime for path in built) >= newest_source:
            return configured
    from softp4.compiler import compile_file

    out = tmp_path_factory.mktemp("build")
    for prog in ("nic", "tor"):
        result = compile_file(ROOT / "p4src" / f"{prog}.p4", include_dirs=[ROOT / "p4src"])
        (out / prog).mkdir()
        (out / prog / f"{prog}.json").write_text(json.dumps(result.bmv2_json))
        (out / prog / f"{prog}.p4info.txtpb").write_text(text_format.MessageToString(result.p4info))
    return out


@pytest.fixture(scope="session")
def programs(build_dir: Path) -> tuple[Artifacts, Artifacts]:
    return load_artifacts(build_dir, "nic"), load_artifacts(build_dir, "tor")


