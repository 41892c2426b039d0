"""softp4: an embedded P4 toolchain.

A compiler from P4-16 (v1model) to BMv2 JSON and P4Info, and a switch that runs
BMv2 JSON with simple_switch's semantics, serves P4Runtime and moves packets.
It knows nothing of any particular P4 program.
"""

__version__ = "0.1.0"
