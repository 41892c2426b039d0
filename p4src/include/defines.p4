/*
 * defines.p4: every number the NIC and ToR programs share with the controller.
 *
 * controller/protocol/constants.py is generated from this file
 * (`make constants`, i.e. python -m controller.protocol.gen_constants).
 * Keep each definition on one line as `#define NAME VALUE` with a plain
 * integer value (decimal or 0x hex): the generator reads exactly that form.
 * docs/protocol.md explains every value.
 */
#ifndef JS_DEFINES_P4
#define JS_DEFINES_P4

/* ---- Ethernet ---------------------------------------------------------- */
#define ETHERTYPE_JS 0x88B5
#define ETH_HDR_BYTES 14
#define ETH_MIN_FRAME_BYTES 60

/* ---- stream header (12 bytes) ------------------------------------------ */
#define JS_VERSION 1
#define JS_HDR_BYTES 12
#define JS_SEQ_BITS 16
#define JS_SEQ_HALF 0x8000

/* message types (4 bits) */
#define MSG_DATA 1
#define MSG_ACK 2
#define MSG_NACK 3

/* flags (8 bits) */
#define FLAG_ACK_REQ 0x01
#define FLAG_GROUP 0x02

/* the receiver sends a cumulative ACK for every ACK_EVERY-th accepted frame
 * of a stream (when (seq + 1) is a multiple of ACK_EVERY); power of two */
#define ACK_EVERY 16
#define ACK_EVERY_MASK 0x000F

/* ---- PCIe TLP (memory write) ------------------------------------------- */
#define TLP_FMT_3DW_NO_DATA 0
#define TLP_FMT_4DW_NO_DATA 1
#define TLP_FMT_3DW_DATA 2
#define TLP_FMT_4DW_DATA 3
#define TLP_TYPE_MEM 0
#define TLP_HDR_3DW_BYTES 12
#define TLP_HDR_4DW_BYTES 16
#define TLP_MAX_PAYLOAD_BYTES 4096
/* no request may cross a 4 KiB boundary (PCIe Base Spec 2.2.7) */
#define PCIE_PAGE_BYTES 4096

/* ---- ports (bit<9>) ------------------------------------------------------ */
/* NIC: the network uplink; every other port except the CPU port is a PCIe
 * port carrying raw TLPs of one accelerator */
#define NIC_UPLINK_PORT 16
#define CPU_PORT 255
#define DROP_PORT 511

/* ---- NIC: what a frame becomes on its way out (nic_meta_t.out_kind) ----- */
#define OUT_NONE 0
#define OUT_UPLINK 1
#define OUT_TLP 2
#define OUT_ACK 3
#define OUT_NACK 4
#define OUT_TLP_AND_ACK 5
#define OUT_MAILBOX 6
#define OUT_CPU 7
#define OUT_KIND_COUNT 8

/* replica ids of the per-accelerator "deliver and ACK" multicast groups */
#define RID_DELIVER 1
#define RID_ACK 2

/* ---- NIC drop reasons: index of NicIngress.accounting.drops -------------- */
#define DROP_NONE 0
#define DROP_PARSE 1
#define DROP_BAD_VERSION 2
#define DROP_BAD_TYPE 3
#define DROP_NOT_MWR 4
#define DROP_TLP_ATTR 5
#define DROP_LENGTH 6
#define DROP_UNKNOWN_PORT 7
#define DROP_NO_TX_WINDOW 8
#define DROP_TX_CROSS 9
#define DROP_UNKNOWN_PEER 10
#define DROP_NO_RX_WINDOW 11
#define DROP_RX_BOUNDS 12
#define DROP_DUPLICATE 13
#define DROP_GAP 14
#define DROP_NOT_JS 15
#define DROP_ACK_UNKNOWN 16
#define DROP_REWIND 17
#define DROP_NOT_MY_MAC 18
#define DROP_BAD_ORDER 19
#define DROP_BYTE_ENABLES 20
#define DROP_4K_CROSS 21
#define DROP_STALE_ACK 22
#define DROP_REASON_COUNT 23

/* packet-in reasons (packet_in_t.reason) */
#define PUNT_UNKNOWN_PEER 1
#define PUNT_NOT_MWR 2
#define PUNT_ORDER_DONE 3
#define PUNT_ORDER_REFUSED 4

/* orders of the controller to a NIC (packet_out_t.op), sent as a P4Runtime
 * packet-out and answered by a packet-in that echoes the order */
#define ORDER_RESET_TX_STREAM 1
#define ORDER_RESET_RX_STREAM 2
#define ORDER_RESET_MAILBOX 3

/* NIC: which path a frame takes through ingress (nic_meta_t.path) */
#define PATH_NONE 0
#define PATH_TX 1
#define PATH_RX 2
#define PATH_ACK 3

/* ---- ToR ----------------------------------------------------------------- */
/* multicast group that floods broadcast and unknown destinations */
#define TOR_FLOOD_GROUP 1
/* egress queue priority (standard_metadata.priority, 0 lowest .. 7 highest) */
#define PRIO_JS 7
#define PRIO_OTHER 0
/* traffic classes counted by the ToR */
#define TC_OTHER 0
#define TC_JS_DATA 1
#define TC_JS_CONTROL 2
#define TC_COUNT 3

#endif
