"""A whole topology in this process: a NIC per server, the ToR, accelerators, and the cables between them.

    rack = Rack.build(topology.load("topologies/pair.toml"), build_dir="build")
    rack.accelerators["acc1"].write("acc2", rack.plan.tx_window("acc1", "acc2").local_base, data)
    rack.run()

Every device runs on softp4 (`testbed.inprocess.Device`) and is programmed from the address plan through
`controller.entries`, by name, as the P4Runtime controller programs real targets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from controller import entries
from controller.plan import GroupTxStream, Plan, TxStream, compute
from controller.protocol import constants as c
from controller.protocol.gobackn import DEFAULT_WINDOW
from controller.topology import Topology
from testbed.accelerator import Accelerator
from testbed.fabric import End, Fabric
from testbed.inprocess import Artifacts, Device, load_artifacts


@dataclass
class Rack:
    topology: Topology
    plan: Plan
    fabric: Fabric
    nics: dict[str, Device] = field(default_factory=dict)  # by server name
    tor: Device | None = None
    accelerators: dict[str, Accelerator] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        topo: Topology,
        build_dir: str | Path | None = None,
        *,
        nic: Artifacts | None = None,
        tor: Artifacts | None = None,
        window: int = DEFAULT_WINDOW,
    ) -> Rack:
        """The rack of `topo`, its accelerators with a send window of `window` TLPs per stream."""
        if nic is None or tor is None:
            if build_dir is None:
                raise ValueError("give a build directory or both programs' artifacts")
            nic = nic or load_artifacts(build_dir, "nic")
            tor = tor or load_artifacts(build_dir, "tor")
        the_plan = compute(topo)
        rack = cls(topo, the_plan, Fabric())
        rack.tor = Device(topo.tor_name, tor, priority_queues=8)  # PRIO_JS is 7: 8 queues, as on BMv2
        rack.tor.install(entries.tor_config(the_plan.tor))
        rack.fabric.add_switch(topo.tor_name, rack.tor)
        for server in topo.servers:
            nic_plan = the_plan.nics[server.name]
            name = f"{server.name}.nic"
            device = Device(name, nic, cpu_port=c.CPU_PORT)
            device.install(entries.nic_config(nic_plan))
            rack.nics[server.name] = device
            rack.fabric.add_switch(name, device)
            rack.fabric.link((name, c.NIC_UPLINK_PORT), (topo.tor_name, server.tor_port))
            for spec in server.accelerators:
                sending: list[TxStream | GroupTxStream] = [*nic_plan.tx_streams, *nic_plan.group_tx]
                streams = [s for s in sending if s.src.name == spec.name]
                end = (spec.name, 0)
                acc = Accelerator(spec, _sender(rack.fabric, end), streams, window=window)
                rack.accelerators[spec.name] = acc
                rack.fabric.add_endpoint(spec.name, acc)
                rack.fabric.link(end, (name, spec.pcie_port))
        return rack

    def run(self, max_timeouts: int = 8) -> int:
        """Deliver until quiet; while writes stay unacknowledged, fire the accelerators' ACK timers."""
        delivered = self.fabric.run()
        for _ in range(max_timeouts):
            if not any(acc.unacked() for acc in self.accelerators.values()):
                break
            for acc in self.accelerators.values():
                acc.timeout()
            delivered += self.fabric.run()
        return delivered


def _sender(fabric: Fabric, end: End) -> Callable[[bytes], None]:
    def send(frame: bytes) -> None:
        fabric.send(end, frame)

    return send
