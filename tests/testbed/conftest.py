"""Fixtures of the testbed tests: the NIC and ToR programs, built once per session.

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

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A build directory holding nic/ and tor/: the configured one, or one softp4 fills now."""
    configured = Path(os.environ.get("JETSTREAM_BUILD_DIR", ROOT / "build"))
    if all((configured / p / f"{p}.json").is_file() for p in ("nic", "tor")):
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


