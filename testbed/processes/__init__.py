"""A topology as real interfaces and switch processes: the process testbed behind `make run TESTBED=netns`.

    wiring.py     veth pairs, one per cable, named uniquely per run and always deleted again
    switches.py   one switch process per device: `softp4 switch` or BMv2's `simple_switch_grpc`
    relay.py      a lossy relay joining two cable ends, for `--loss` (netem cannot see softp4's frames)
    rack.py       the rack: cables, switches programmed by the controller over P4Runtime, accelerators
                  on AF_PACKET sockets at the PCIe ends of their cables
    demo.py       the demo of `testbed.demo` run on that rack
"""
