"""P4Runtime server over a softp4 `Switch` (gRPC, finsy's protobuf stubs)."""

from softp4.switch.p4runtime.server import P4RuntimeServer

__all__ = ["P4RuntimeServer"]
