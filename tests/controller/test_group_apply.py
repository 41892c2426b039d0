"""`apply` installs group writes: three NICs and a ToR on embedded softp4 P4Runtime servers, programmed only by
the controller, carry a group write from one member to the two others, each acknowledging on its own.

The programs come from JETSTREAM_BUILD_DIR when it is set, else softp4 compiles the sources now.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller import topology
from controller.entries import nic_config, tor_config
from controller.plan import GroupTxStream, Plan, TxStream, compute
from controller.protocol import constants as c
from controller.runtime import DeviceAddress, Options, apply
from softp4.switch import Switch
from softp4.switch.p4runtime import P4RuntimeServer
from testbed.accelerator import Accelerator
from testbed.fabric import Fabric

ROOT = Path(__file__).resolve().parents[2]

logging.getLogger("finsy").setLevel(logging.CRITICAL + 1)

TRIO = """
name = "trio"
[[servers]]
name = "s1"
nic_mac = "02:00:00:00:00:01"
tor_port = 1
  [[servers.accelerators]]
  name = "a1"
  id = 1
  pcie_port = 1
  memory = "64KiB"
[[servers]]
name = "s2"
nic_mac = "02:00:00:00:00:02"
tor_port = 2
  [[servers.accelerators]]
  name = "a2"
  id = 2
  pcie_port = 1
  memory = "64KiB"
[[servers]]
name = "s3"
nic_mac = "02:00:00:00:00:03"
tor_port = 3
  [[servers.accelerators]]
  name = "a3"
  id = 3
  pcie_port = 1
  memory = "64KiB"
[[groups]]
name = "g"
id = 2
members = ["a1", "a2", "a3"]
size = "4KiB"
base = 0x2000
senders = ["a1"]
  [groups.bases]
  a3 = 0x6000
"""


@pytest.fixture
def devices() -> Iterator[dict[str, tuple[Switch, P4RuntimeServer]]]:
    made: dict[str, tuple[Switch, P4RuntimeServer]] = {}
    try:
        for name in ("s1", "s2", "s3", "tor"):
            switch = Switch(priority_queues=8) if name == "tor" else Switch(cpu_port=c.CPU_PORT)
            server = P4RuntimeServer(switch, address="127.0.0.1:0")
            server.start()
            made[name] = (switch, server)
        yield made
    finally:
        for _, server in made.values():
            server.stop(grace=None)


def held(switch: Switch, table: str) -> int:
    return len(switch.table_entries(table))


def test_apply_installs_group_rows_and_they_carry_a_group_write(
    build_dir: Path, devices: dict[str, tuple[Switch, P4RuntimeServer]]
) -> None:
    topo = topology.parse(TRIO)
    plan: Plan = compute(topo)
    addresses = [DeviceAddress(name, f"127.0.0.1:{server.port}") for name, (_, server) in devices.items()]
    outcomes = asyncio.run(apply(topo, plan, addresses, Options(build_dir=build_dir, timeout=10.0)))
    assert [o.error for o in outcomes] == [None] * 4
    reports = {o.result.device.split(" ")[0]: o.result for o in outcomes}
    assert len(reports["s1"].inserted) == len(nic_config(plan.nics["s1"]).entries) == 7  # with the ACK alias
    # a pipeline just pushed has every register at zero: no stream needed an order
    assert reports["s1"].reset == reports["s3"].reset == []
    s1, s3, tor = devices["s1"][0], devices["s3"][0], devices["tor"][0]
    assert held(s1, "NicIngress.ack_path.mailbox") == 2  # one slot per member
    assert held(s3, "NicIngress.rx_path.peer") == held(s3, "NicIngress.rx_path.window") == 1
    assert len(reports["tor"].inserted) == len(tor_config(plan.tor).entries) == 7  # l2 3, binding 3, group MAC 1
    assert tor.mc_group_get(16 + 2) == [(0, [1, 2, 3])]

    fabric = Fabric()
    fabric.add_switch("tor", tor)
    accelerators: dict[str, Accelerator] = {}
    for server in topo.servers:
        nic = f"{server.name}.nic"
        fabric.add_switch(nic, devices[server.name][0])
        fabric.link((nic, c.NIC_UPLINK_PORT), ("tor", server.tor_port))
        (spec,) = server.accelerators
        end = (spec.name, 0)

        def send(frame: bytes, end: tuple[str, int] = end) -> None:
            fabric.send(end, frame)

        streams: list[TxStream | GroupTxStream] = [*plan.nics[server.name].tx_streams, *plan.nics[server.name].group_tx]
        accelerators[spec.name] = Accelerator(spec, send, streams)
        fabric.add_endpoint(spec.name, accelerators[spec.name])
        fabric.link(end, (nic, spec.pcie_port))
    data = bytes(range(256)) * 16  # 16 writes: the 16th is ACKed by each member (ACK_EVERY)
    assert accelerators["a1"].write("g", plan.group_stream("a1", "g").local_base, data) == 16
    fabric.run()
    assert bytes(accelerators["a2"].memory[0x2000:0x3000]) == data
    assert bytes(accelerators["a3"].memory[0x6000:0x7000]) == data
    assert not any(accelerators["a2"].memory[:0x2000]) and not any(accelerators["a3"].memory[:0x6000])
    sender = accelerators["a1"].group_senders["g"]
    assert sender.acked == {2: 16, 3: 16} and accelerators["a1"].unacked() == 0
