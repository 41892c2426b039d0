"""p4runtime-shell against the server, when a virtual environment with it is given.

p4runtime-shell pins protobuf < 3.21 and cannot share the project's environment
(SOFTP4-FACTS.md), so it runs as a child process from its own environment:

    python3 -m venv /tmp/p4rt-shell && /tmp/p4rt-shell/bin/pip install p4runtime-shell
    SOFTP4_P4RUNTIME_SHELL_PYTHON=/tmp/p4rt-shell/bin/python pytest tests/p4runtime/test_p4rt_shell.py
"""

from __future__ import annotations

import os
import subprocess

import pytest
from p4rt_harness import FIXTURES, running_server

SHELL_PYTHON = os.environ.get("SOFTP4_P4RUNTIME_SHELL_PYTHON")

SCRIPT = """
import sys
import p4runtime_sh.shell as sh
address, fixtures = sys.argv[1], sys.argv[2]
sh.setup(device_id=1, grpc_addr=address, election_id=(0, 1),
         config=sh.FwdPipeConfig(fixtures + "/fixture.p4info.txtpb", fixtures + "/fixture.json"))
try:
    te = sh.TableEntry("ingress.routes")(action="ingress.forward")
    te.match["dst"] = "0a:00:00:00:00:00/16"
    te.action["port"] = "3"
    te.insert()
    acl = sh.TableEntry("ingress.acl")(action="ingress.to_cpu")
    acl.match["hdr.ethernet.etherType"] = "0x0800&&&0xff00"
    acl.match["sm.ingress_port"] = "1..5"
    acl.priority = 7
    acl.insert()
    for e in sh.TableEntry("ingress.routes").read():
        m = e.msg().match[0].lpm
        print("route", m.value.hex(), m.prefix_len, e.msg().action.action.params[0].value.hex())
    for e in sh.TableEntry("ingress.acl").read():
        t, r = e.msg().match[0].ternary, e.msg().match[1].range
        print("acl", t.value.hex(), t.mask.hex(), r.low.hex(), r.high.hex(), e.msg().priority)
    try:
        acl.insert()
    except Exception as exc:
        print("error", "ALREADY_EXISTS" in str(exc))
    te.delete()
    print("after delete", len(list(sh.TableEntry("ingress.routes").read())))
    sh.MulticastGroupEntry(5).add(1, 1).add(2, 1).add(3, 2).insert()
    for g in sh.MulticastGroupEntry(5).read():
        print("group", [(r.egress_port, r.instance) for r in g.msg().multicast_group_entry.replicas])
    counter = sh.CounterEntry("ingress.port_counter")
    counter.index = 2
    counter.packet_count = 7
    counter.byte_count = 700
    counter.modify()
    for c in sh.CounterEntry("ingress.port_counter").read():
        if c.msg().index.index == 2:
            print("counter", c.msg().data.packet_count, c.msg().data.byte_count)
finally:
    sh.teardown()  # its stream thread would keep the process alive
"""


@pytest.mark.skipif(not SHELL_PYTHON, reason="SOFTP4_P4RUNTIME_SHELL_PYTHON is not set")
def test_p4runtime_shell_sets_pipeline_inserts_reads_deletes() -> None:
    assert SHELL_PYTHON is not None
    with running_server() as running:
        result = subprocess.run(
            [SHELL_PYTHON, "-c", SCRIPT, running.address, str(FIXTURES)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    keep = ("route", "acl", "error", "after", "group", "counter")
    lines = [line for line in result.stdout.splitlines() if line.split(" ")[0] in keep]
    assert lines == [
        "route 0a0000000000 16 03",
        "acl 0800 ff00 01 05 7",
        "error True",
        "after delete 0",
        "group [(1, 1), (2, 1), (3, 2)]",
        "counter 7 700",
    ]
