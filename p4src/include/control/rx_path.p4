/* rx_path.p4: a DATA frame from the network: TLP and length, known peer
 * (accelerator and its NIC's source MAC), window exported to that peer, bounds, then exactly the next sequence number
 * of the stream. Accepted writes are re-based into local memory and go to the
 * accelerator's PCIe port (with an ACK on the uplink when one is due); a gap
 * drops and NACKs once; a duplicate is dropped and re-ACKed. An order of the
 * controller (orders.p4) sets a stream's expected number and clears its NACK
 * mark, when the stream is created. */
#ifndef JS_RX_PATH_P4
#define JS_RX_PATH_P4

control RxPath(inout nic_headers_t hdr,
               inout nic_meta_t meta,
               inout standard_metadata_t standard_metadata) {
    register<bit<16>>(STREAM_COUNT) expected;
    register<bit<1>>(STREAM_COUNT) nacked;
    counter(STREAM_COUNT, CounterType.packets_and_bytes) frames;
    counter(STREAM_COUNT, CounterType.packets) out_of_order;
    TlpCheck() tlp_check;
    TlpAddress() tlp_address;

    action accept_stream(bit<16> stream, bit<16> accel, bit<9> port, bit<16> ack_group,
                         mac_addr_t nic_mac) {
        meta.stream = stream;
        meta.accel = accel;
        meta.deliver_port = port;
        meta.ack_group = ack_group;
        meta.nic_mac = nic_mac;
    }

    action unknown_peer() {
        meta.drop_reason = DROP_UNKNOWN_PEER;
        meta.punt_reason = PUNT_UNKNOWN_PEER;
    }

    table peer {
        key = {
            hdr.js.src: exact @name("src");
            hdr.js.dst: exact @name("dst");
            /* the peer is bound to its NIC's MAC: a frame claiming accelerator `src`
             * from any other MAC is an unknown peer */
            hdr.ethernet.src_addr: exact @name("src_mac");
        }
        actions = {
            accept_stream;
            @defaultonly unknown_peer;
        }
        const default_action = unknown_peer();
        size = RX_PEER_TABLE_SIZE;
    }

    action exported(bit<64> base, bit<64> size, bit<64> local_base) {
        meta.win_base = base;
        meta.win_size = size;
        meta.win_target = local_base;
    }

    action not_exported() {
        meta.drop_reason = DROP_NO_RX_WINDOW;
    }

    table window {
        key = {
            hdr.js.src: exact @name("src");
            meta.accel: exact @name("accel");
            hdr.js.window: exact @name("window");
        }
        actions = {
            exported;
            @defaultonly not_exported;
        }
        const default_action = not_exported();
        size = RX_WINDOW_TABLE_SIZE;
    }

    apply {
        if (hdr.packet_out.isValid()) {
            expected.write((bit<32>)meta.stream, hdr.packet_out.seq);
            nacked.write((bit<32>)meta.stream, 0);
            meta.punt_reason = PUNT_ORDER_DONE;
            return;
        }
        tlp_check.apply(hdr, meta);
        if (meta.drop_reason == DROP_NONE) {
            bit<32> frame_bytes = ETH_HDR_BYTES + JS_HDR_BYTES + meta.tlp_bytes;
            if (standard_metadata.packet_length != frame_bytes) {
                /* only Ethernet's padding of a short frame may follow the TLP */
                if (standard_metadata.packet_length != ETH_MIN_FRAME_BYTES
                        || frame_bytes > ETH_MIN_FRAME_BYTES) {
                    meta.drop_reason = DROP_LENGTH;
                }
            }
        }
        if (meta.drop_reason == DROP_NONE) {
            peer.apply();
        }
        if (meta.drop_reason == DROP_NONE) {
            window.apply();
        }
        if (meta.drop_reason == DROP_NONE) {
            bit<64> len = (bit<64>)meta.payload_bytes;
            if (meta.addr < meta.win_base || len > meta.win_size
                    || meta.addr - meta.win_base > meta.win_size - len) {
                meta.drop_reason = DROP_RX_BOUNDS;
            } else {
                meta.new_addr = meta.win_target + (meta.addr - meta.win_base);
                if ((bit<32>)meta.new_addr[11:0] + meta.payload_bytes > PCIE_PAGE_BYTES) {
                    meta.drop_reason = DROP_4K_CROSS;
                }
            }
        }
        if (meta.drop_reason == DROP_NONE) {
            expected.read(meta.expected, (bit<32>)meta.stream);
            bit<16> ahead = hdr.js.seq - meta.expected;
            if (ahead == 0) {
                expected.write((bit<32>)meta.stream, hdr.js.seq + 1);
                nacked.write((bit<32>)meta.stream, 0);
                frames.count((bit<32>)meta.stream);
                tlp_address.apply(hdr, meta);
                meta.ack_seq = hdr.js.seq + 1;
                if (meta.ack_group != 0 && ((hdr.js.flags & FLAG_ACK_REQ) != 0
                        || (meta.ack_seq & ACK_EVERY_MASK) == 0)) {
                    standard_metadata.mcast_grp = meta.ack_group;
                    meta.out_kind = OUT_TLP_AND_ACK;
                } else {
                    standard_metadata.egress_spec = meta.deliver_port;
                    meta.out_kind = OUT_TLP;
                }
            } else {
                out_of_order.count((bit<32>)meta.stream);
                meta.ack_seq = meta.expected;
                if (ahead < JS_SEQ_HALF) {
                    /* a gap: NACK the expected number once, then drop until it comes */
                    meta.drop_reason = DROP_GAP;
                    bit<1> already;
                    nacked.read(already, (bit<32>)meta.stream);
                    if (already == 0) {
                        nacked.write((bit<32>)meta.stream, 1);
                        standard_metadata.egress_spec = NIC_UPLINK_PORT;
                        meta.out_kind = OUT_NACK;
                    }
                } else {
                    /* a duplicate: re-ACK, so a sender whose ACK was lost learns where we are */
                    meta.drop_reason = DROP_DUPLICATE;
                    standard_metadata.egress_spec = NIC_UPLINK_PORT;
                    meta.out_kind = OUT_ACK;
                }
            }
        }
    }
}

#endif
