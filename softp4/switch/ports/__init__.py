"""Where the switch's packets come from and go to: Linux interfaces, nanomsg (PTF), pcap files.

Every port object has `start(deliver)`, where `deliver(port, frame)` is called for each frame
received, and `close()`. A `VethPort` is one switch port and has `send(frame)`; `NanomsgPorts`
and `PcapPorts` carry many ports and have `send(port, frame)`.
"""

from softp4.switch.ports.nanomsg import NanomsgError, NanomsgPorts
from softp4.switch.ports.pcap import PcapError, PcapPorts, read_pcap, write_pcap
from softp4.switch.ports.veth import PortError, VethPort

__all__ = [
    "NanomsgError",
    "NanomsgPorts",
    "PcapError",
    "PcapPorts",
    "PortError",
    "VethPort",
    "read_pcap",
    "write_pcap",
]
