"""Where the switch's packets come from and go to: Linux interfaces, nanomsg (PTF), pcap files.

Every port object has `start(deliver)`, where `deliver(port, frame)` is called for each frame
received, and `close()`. A `VethPort` is one switch port and has `send(frame)`; `NanomsgPorts`,
`PcapPorts` and `InProcessPorts` carry many ports and have `send(port, frame)`. `Link` joins
ports of two in-process switches.
"""

from softp4.switch.ports.inproc import InProcessPorts, Link
from softp4.switch.ports.nanomsg import NanomsgError, NanomsgPorts
from softp4.switch.ports.pcap import PcapCapture, PcapError, PcapPorts, read_pcap, write_pcap
from softp4.switch.ports.veth import PortError, VethPort

__all__ = [
    "InProcessPorts",
    "Link",
    "NanomsgError",
    "NanomsgPorts",
    "PcapCapture",
    "PcapError",
    "PcapPorts",
    "PortError",
    "VethPort",
    "read_pcap",
    "write_pcap",
]
