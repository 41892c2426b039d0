/* ack_path.p4: an ACK or NACK from the network becomes an 8-byte memory write
 * into the sending accelerator's mailbox slot for that stream, on its PCIe
 * port, so that the accelerator (not a host) frees or re-issues its writes.
 * A slot never goes backwards: the NIC keeps the last number it delivered per
 * slot (acked) and drops an ACK or NACK behind it (DROP_STALE_ACK), such as one
 * overtaken on the way by a later one. */
#ifndef JS_ACK_PATH_P4
#define JS_ACK_PATH_P4

control AckPath(inout nic_headers_t hdr,
                inout nic_meta_t meta,
                inout standard_metadata_t standard_metadata) {
    counter(STREAM_COUNT, CounterType.packets) acks;
    counter(STREAM_COUNT, CounterType.packets) nacks;
    register<bit<16>>(MAILBOX_TABLE_SIZE) acked;
    TlpAddress() tlp_address;

    action to_mailbox(bit<9> port, bit<64> addr, bit<16> requester_id, bit<16> stream, bit<16> slot) {
        meta.deliver_port = port;
        meta.new_addr = addr;
        meta.stream = stream;
        meta.slot = slot;
        hdr.tlp.setValid();
        hdr.tlp.requester_id = requester_id;
    }

    action unknown_stream() {
        meta.drop_reason = DROP_ACK_UNKNOWN;
    }

    table mailbox {
        key = {
            hdr.js.src: exact @name("peer");
            hdr.js.dst: exact @name("accel");
            hdr.js.stream_dst: exact @name("stream_dst");
            /* an ACK or NACK counts only from the acknowledging accelerator's own NIC */
            hdr.ethernet.src_addr: exact @name("peer_mac");
        }
        actions = {
            to_mailbox;
            @defaultonly unknown_stream;
        }
        const default_action = unknown_stream();
        size = MAILBOX_TABLE_SIZE;
    }

    apply {
        if (hdr.packet_out.isValid()) {
            acked.write((bit<32>)meta.stream, hdr.packet_out.seq);
            meta.punt_reason = PUNT_ORDER_DONE;
            return;
        }
        if (standard_metadata.packet_length != ETH_HDR_BYTES + JS_HDR_BYTES
                && standard_metadata.packet_length != ETH_MIN_FRAME_BYTES) {
            meta.drop_reason = DROP_LENGTH;
        } else {
            mailbox.apply();
        }
        if (meta.drop_reason == DROP_NONE) {
            /* both ACK and NACK say "everything before seq was applied" */
            bit<16> last;
            acked.read(last, (bit<32>)meta.slot);
            if (hdr.js.seq - last >= JS_SEQ_HALF) {
                meta.drop_reason = DROP_STALE_ACK;
            } else {
                acked.write((bit<32>)meta.slot, hdr.js.seq);
            }
        }
        if (meta.drop_reason == DROP_NONE) {
            if (hdr.js.msg_type == MSG_ACK) {
                acks.count((bit<32>)meta.stream);
            } else {
                nacks.count((bit<32>)meta.stream);
            }
            hdr.ack_msg.setValid();
            hdr.ack_msg.version = hdr.js.version;
            hdr.ack_msg.msg_type = hdr.js.msg_type;
            hdr.ack_msg.flags = hdr.js.flags;
            hdr.ack_msg.peer = hdr.js.src;
            hdr.ack_msg.stream_dst = hdr.js.stream_dst;
            hdr.ack_msg.seq = hdr.js.seq;
            hdr.tlp.tlp_type = TLP_TYPE_MEM;
            hdr.tlp.t9 = 0;
            hdr.tlp.tc = 0;
            hdr.tlp.t8 = 0;
            hdr.tlp.attr2 = 0;
            hdr.tlp.ln = 0;
            hdr.tlp.th = 0;
            hdr.tlp.td = 0;
            hdr.tlp.ep = 0;
            hdr.tlp.attr = 0;
            hdr.tlp.at = 0;
            hdr.tlp.length = 2;
            hdr.tlp.tag = 0;
            hdr.tlp.last_be = 0xF;
            hdr.tlp.first_be = 0xF;
            meta.ph = 0;
            meta.payload_bytes = 8;
            tlp_address.apply(hdr, meta);
            hdr.ethernet.setInvalid();
            hdr.js.setInvalid();
            standard_metadata.egress_spec = meta.deliver_port;
            meta.out_kind = OUT_MAILBOX;
        }
    }
}

#endif
