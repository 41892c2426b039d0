"""Constants shared with the P4 programs: GENERATED from p4src/include/sizes.p4, do not edit.

Regenerate with `make constants`; tests/protocol fails when this file is stale.
"""

OWN_MAC_TABLE_SIZE = 8
PCIE_PORT_TABLE_SIZE = 64
TX_WINDOW_TABLE_SIZE = 1024
RX_PEER_TABLE_SIZE = 1024
RX_WINDOW_TABLE_SIZE = 1024
MAILBOX_TABLE_SIZE = 64
STREAM_COUNT = 1024
PORT_COUNT = 512
QUEUE_COUNT = 8
L2_TABLE_SIZE = 4096
PORT_BINDING_TABLE_SIZE = 4096
