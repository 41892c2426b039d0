/* output_shape.p4: the last shape of each copy. A TLP for a PCIe port loses
 * Ethernet, stream header and any Ethernet padding; an ACK or NACK keeps
 * Ethernet and the stream header, turned back towards the sender, and loses
 * the TLP. Copies of the deliver-and-ACK multicast group are told apart by
 * their replica id. */
#ifndef JS_OUTPUT_SHAPE_P4
#define JS_OUTPUT_SHAPE_P4

control OutputShape(inout nic_headers_t hdr,
                       inout nic_meta_t meta,
                       inout standard_metadata_t standard_metadata) {
    action to_tlp() {
        hdr.ethernet.setInvalid();
        hdr.js.setInvalid();
        truncate(meta.tlp_bytes);
    }

    action to_ack(bit<4> msg_type) {
        hdr.ethernet.dst_addr = hdr.ethernet.src_addr;
        hdr.ethernet.src_addr = meta.nic_mac;
        hdr.js.msg_type = msg_type;
        hdr.js.flags = 0;
        hdr.js.stream_dst = hdr.js.dst;
        hdr.js.dst = hdr.js.src;
        hdr.js.src = meta.accel;
        hdr.js.window = 0;
        hdr.js.seq = meta.ack_seq;
        hdr.tlp.setInvalid();
        hdr.a32.setInvalid();
        hdr.a64.setInvalid();
        hdr.dw0.setInvalid();
        truncate(ETH_HDR_BYTES + JS_HDR_BYTES);
    }

    action to_mailbox() {
        truncate(meta.tlp_bytes);
    }

    apply {
        if (meta.out_kind == OUT_TLP_AND_ACK) {
            if (standard_metadata.egress_rid == RID_ACK) {
                to_ack(MSG_ACK);
            } else {
                to_tlp();
            }
        } else if (meta.out_kind == OUT_TLP) {
            to_tlp();
        } else if (meta.out_kind == OUT_ACK) {
            to_ack(MSG_ACK);
        } else if (meta.out_kind == OUT_NACK) {
            to_ack(MSG_NACK);
        } else if (meta.out_kind == OUT_MAILBOX) {
            to_mailbox();
        }
    }
}

#endif
