/* sizes.p4: every table, register and counter size of the NIC and ToR. */
#ifndef JS_SIZES_P4
#define JS_SIZES_P4

/* NIC */
#define OWN_MAC_TABLE_SIZE 8
#define PCIE_PORT_TABLE_SIZE 64
#define TX_WINDOW_TABLE_SIZE 1024
#define RX_PEER_TABLE_SIZE 1024
#define RX_WINDOW_TABLE_SIZE 1024
#define MAILBOX_TABLE_SIZE 64
#define STREAM_COUNT 1024

/* ToR */
#define PORT_COUNT 512
#define QUEUE_COUNT 8
#define L2_TABLE_SIZE 4096
#define PORT_BINDING_TABLE_SIZE 4096

#endif
