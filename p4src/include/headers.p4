/* headers.p4: header types of the JetStream frame and of PCIe memory-write TLPs,
 * and the header and metadata structs of the NIC and the ToR.
 * The bit layouts are drawn in docs/protocol.md. */
#ifndef JS_HEADERS_P4
#define JS_HEADERS_P4

#include "defines.p4"

typedef bit<48> mac_addr_t;

header ethernet_t {
    mac_addr_t dst_addr;
    mac_addr_t src_addr;
    bit<16>    ether_type;
}

/* JetStream stream header, 12 bytes, right after Ethernet (EtherType 0x88B5). */
header js_t {
    bit<4>  version;     /* JS_VERSION */
    bit<4>  msg_type;    /* MSG_DATA, MSG_ACK, MSG_NACK */
    bit<8>  flags;       /* FLAG_ACK_REQ, FLAG_GROUP */
    bit<16> src;         /* sending accelerator (ACK/NACK: the accelerator that acknowledges) */
    bit<16> dst;         /* destination accelerator or group (ACK/NACK: the stream's sender) */
    bit<16> window;      /* DATA: window id exported by the receiver; ACK/NACK: 0 */
    bit<16> seq;         /* DATA: sequence number; ACK: next expected (cumulative); NACK: expected */
    bit<16> stream_dst;  /* ACK/NACK: the stream's destination as its sender names it; DATA: 0 */
}

/* First two DWs of a PCIe request TLP (memory write with 3 DW or 4 DW header). */
header tlp_t {
    bit<3>  fmt;
    bit<5>  tlp_type;
    bit<1>  t9;
    bit<3>  tc;
    bit<1>  t8;
    bit<1>  attr2;       /* ID-based ordering */
    bit<1>  ln;
    bit<1>  th;
    bit<1>  td;          /* TLP digest (ECRC) present */
    bit<1>  ep;          /* poisoned */
    bit<2>  attr;        /* [1] relaxed ordering, [0] no snoop */
    bit<2>  at;
    bit<10> length;      /* payload in DW, 0 means 1024 */
    bit<16> requester_id;
    bit<8>  tag;
    bit<4>  last_be;
    bit<4>  first_be;
}

/* Address DW of a 3 DW header: address bits 31:2, then PH. */
header tlp_addr32_t {
    bit<30> addr;
    bit<2>  ph;
}

/* Address DWs of a 4 DW header: address bits 63:2, then PH. */
header tlp_addr64_t {
    bit<62> addr;
    bit<2>  ph;
}

/* The first payload DW of a one-DW write (used by the stream rewind doorbell;
 * re-emitted unchanged otherwise). */
header tlp_dw_t {
    bit<32> data;
}

/* Payload of the 8-byte mailbox write that tells an accelerator about an ACK or NACK. */
header ack_msg_t {
    bit<4>  version;
    bit<4>  msg_type;    /* MSG_ACK or MSG_NACK */
    bit<8>  flags;
    bit<16> peer;        /* the accelerator that acknowledges */
    bit<16> stream_dst;  /* the stream: its destination accelerator or group */
    bit<16> seq;         /* ACK: next expected (all before it applied); NACK: expected */
}

@controller_header("packet_in")
header packet_in_t {
    bit<16> ingress_port;
    bit<8>  reason;      /* PUNT_* */
}

/* An order of the controller (a P4Runtime packet-out; only the CPU port parses
 * one). The NIC answers every order with a packet-in (PUNT_ORDER_DONE or
 * PUNT_ORDER_REFUSED) whose payload is this header, so the controller can wait
 * until an order has taken effect. */
@controller_header("packet_out")
header packet_out_t {
    bit<8>  op;          /* ORDER_* */
    bit<16> stream;      /* index of the stream's registers (mailbox: of the slot's) */
    bit<16> seq;         /* TX: the stream's next sequence number; RX: the expected one;
                          * mailbox: the last number acknowledged */
}

struct nic_headers_t {
    packet_in_t  packet_in;
    packet_out_t packet_out;
    ethernet_t   ethernet;
    js_t         js;
    tlp_t        tlp;
    tlp_addr32_t a32;
    tlp_addr64_t a64;
    tlp_dw_t     dw0;
    ack_msg_t    ack_msg;
}

struct nic_meta_t {
    bit<8>     drop_reason;   /* DROP_*; DROP_NONE while the frame is good */
    bit<8>     punt_reason;   /* PUNT_*; the frame goes to the controller */
    bit<8>     out_kind;      /* OUT_* */
    bit<8>     path;          /* PATH_*: which ingress path handles the frame */
    bit<16>    accel;         /* TX: source accelerator; RX: local destination accelerator */
    bit<16>    stream;        /* index of the stream's registers and counters */
    bit<16>    slot;          /* mailbox slot of an ACK or NACK (index of ack_path.acked) */
    bit<16>    seq;
    bit<16>    expected;
    bit<16>    ack_seq;       /* sequence number carried by the ACK or NACK to send */
    bit<32>    tlp_hdr_bytes;
    bit<32>    payload_bytes;
    bit<32>    tlp_bytes;     /* header + payload */
    bit<64>    addr;          /* byte address of the write */
    bit<64>    new_addr;      /* translated byte address */
    bit<2>     ph;
    bit<1>     is_mwr;
    bit<1>     rewind;        /* the write is a stream rewind doorbell */
    mac_addr_t nic_mac;       /* this NIC's MAC (ACK and NACK source) */
    bit<9>     deliver_port;  /* PCIe port of the local accelerator */
    bit<16>    ack_group;     /* multicast group: deliver on PCIe and ACK on the uplink */
    bit<64>    win_base;
    bit<64>    win_size;
    bit<64>    win_target;    /* where the window's first byte goes */
    bit<8>     win_flags;
}

struct tor_headers_t {
    ethernet_t ethernet;
    js_t       js;
}

struct tor_meta_t {
    bit<8> tc;                /* TC_* */
    bit<1> forged;            /* a protocol frame whose source MAC is not bound to its ingress port */
}

#endif
