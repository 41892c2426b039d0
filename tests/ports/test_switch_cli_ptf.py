"""PTF itself (`ptf --platform nn`) sends and checks packets through a running `softp4 switch`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURE = Path(__file__).parents[1] / "stf" / "data" / "l2acl.json"

PTF_TEST = '''
import ptf
from ptf import testutils
from ptf.base_tests import BaseTest


class ForwardToPort2(BaseTest):
    def setUp(self):
        BaseTest.setUp(self)
        self.dataplane = ptf.dataplane_instance

    def runTest(self):
        pkt = testutils.simple_tcp_packet(eth_dst="00:00:00:00:00:01")
        testutils.send_packet(self, 0, pkt)
        testutils.verify_packet(self, pkt, 2)
        testutils.verify_no_other_packets(self)
        testutils.send_packet(self, 3, pkt)
        testutils.verify_packets(self, pkt, [2])
'''


def test_ptf_platform_nn(tmp_path: Path) -> None:
    ptf = Path(sys.executable).parent / "ptf"
    if not ptf.exists() and shutil.which("ptf") is None:
        pytest.skip("the ptf command is not installed")
    program = json.loads(FIXTURE.read_text())
    entry = program["pipelines"][0]["tables"][0]["default_entry"]
    entry["action_id"], entry["action_data"] = 2, ["0x2"]
    (tmp_path / "fwd2.json").write_text(json.dumps(program))
    tests = tmp_path / "ptf_tests"
    tests.mkdir()
    (tests / "forward.py").write_text(PTF_TEST)
    url = f"ipc://{tmp_path}/ptf.ipc"
    switch = subprocess.Popen(
        [sys.executable, "-m", "softp4", "switch", str(tmp_path / "fwd2.json"), "--packet-in", url,
         "--grpc-server-addr", "127.0.0.1:0"],
        stderr=subprocess.PIPE, text=True,
    )
    try:
        assert switch.stderr is not None
        assert "ready" in switch.stderr.readline()
        result = subprocess.run(
            [str(ptf if ptf.exists() else shutil.which("ptf")), "--test-dir", str(tests), "--platform", "nn",
             "--device-socket", f"0-{{0-3}}@{url}", "--log-file", str(tmp_path / "ptf.log")],
            capture_output=True, text=True, timeout=120, cwd=tmp_path,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "forward.ForwardToPort2 ... ok" in result.stderr + result.stdout
    finally:
        switch.terminate()
        assert switch.wait(timeout=20) == 0
