"""The P4Runtime side of the controller: sessions with devices, reconcile, counters, packet-ins.

It talks P4Runtime only (through finsy), so it drives softp4 and BMv2's simple_switch_grpc alike.

    devices.py     NAME=HOST:PORT[@ID] addresses, and which topology device runs which program
    program.py     the compiled programs in the build directory
    session.py     one device: reach it, push the pipeline when its cookie differs, become primary
    desired.py     the plan's entries and groups as canonical P4Runtime messages
    reconcile.py   read, diff, write: make a device hold exactly the plan
    counters.py    counters by name; packet_in.py: packet-ins decoded
    operations.py  apply / counters / watch / serve over every device of a topology
"""

from controller.runtime.devices import DeviceAddress, parse_device
from controller.runtime.errors import ControllerError
from controller.runtime.operations import Options, Outcome, apply, check, counters, serve, watch

__all__ = [
    "ControllerError",
    "DeviceAddress",
    "Options",
    "Outcome",
    "apply",
    "check",
    "counters",
    "parse_device",
    "serve",
    "watch",
]
