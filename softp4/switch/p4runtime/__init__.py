"""P4Runtime server over a softp4 `Switch` (gRPC, finsy's protobuf stubs).

    server = P4RuntimeServer(switch, address="127.0.0.1:9559", device_id=1, cpu_port=255, tls=None)
    server.start(); server.wait(); server.stop()       # server.port: the bound port (address ":0")

Supported, as simple_switch_grpc (BMv2 + PI) does it:

- Capabilities (API version 1.3.0); SetForwardingPipelineConfig with VERIFY, VERIFY_AND_SAVE,
  VERIFY_AND_COMMIT and COMMIT (RECONCILE_AND_COMMIT is UNIMPLEMENTED), `p4_device_config` as raw
  BMv2 JSON or the tutorials' legacy wrapper message; GetForwardingPipelineConfig with every
  response type, returning the device config exactly as pushed.
- Write and Read of table entries (default and const entries, priorities, every match kind,
  don't-care fields omitted, canonical values, direct counter data and meter config in entries),
  counter, direct counter, meter, direct meter, register, value set and digest entries, action
  profile members and (weighted) selector groups with indirect table entries (one-shot action
  sets too), multicast groups and clone sessions; wildcard reads (id 0, index unset).
- Batch errors: UNKNOWN with one p4.v1.Error per update in the `grpc-status-details-bin` trailer.
- StreamChannel: arbitration by election id, packet-out and packet-in through the
  @controller_header("packet_out"/"packet_in") metadata and the CPU port, digest lists and acks.
- TLS with a certificate and key given by path.

Not supported: roles other than the default one (arbitration with a role is UNIMPLEMENTED, a
request naming one is NOT_FOUND), idle timeouts (UNIMPLEMENTED on tables that declare them,
INVALID_ARGUMENT on others; no IdleTimeoutNotification is ever sent), default entries of indirect
tables, watch ports, ROLLBACK_ON_ERROR and DATAPLANE_ATOMIC (all UNIMPLEMENTED), extern entries,
backup replicas.
device_id 0 is accepted as this device (the P4 tutorials send it).
"""

from softp4.switch.p4runtime.server import P4RuntimeServer

__all__ = ["P4RuntimeServer"]
