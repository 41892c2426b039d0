/* tx_path.p4: a memory write from a local accelerator (PCIe port) becomes a
 * DATA frame on the uplink: source by port, window by address, bounds,
 * translation, sequence number, Ethernet and stream header.
 * A one-DW write into a rewind window sets the stream's next sequence number
 * (go-back-N: the accelerator rewinds before it re-issues). An order of the
 * controller (orders.p4) sets it too, when the stream is created. */
#ifndef JS_TX_PATH_P4
#define JS_TX_PATH_P4

control TxPath(inout nic_headers_t hdr,
               inout nic_meta_t meta,
               inout standard_metadata_t standard_metadata) {
    register<bit<16>>(STREAM_COUNT) next_seq;
    counter(STREAM_COUNT, CounterType.packets_and_bytes) frames;
    counter(STREAM_COUNT, CounterType.packets) rewinds;
    TlpCheck() tlp_check;
    TlpAddress() tlp_address;

    action set_source(bit<16> accel, mac_addr_t nic_mac) {
        meta.accel = accel;
        meta.nic_mac = nic_mac;
    }

    action unknown_port() {
        meta.drop_reason = DROP_UNKNOWN_PORT;
    }

    table pcie_port {
        key = {
            standard_metadata.ingress_port: exact @name("port");
        }
        actions = {
            set_source;
            @defaultonly unknown_port;
        }
        const default_action = unknown_port();
        size = PCIE_PORT_TABLE_SIZE;
    }

    action to_peer(mac_addr_t dst_mac, bit<16> dst, bit<16> window, bit<64> local_base,
                   bit<64> remote_base, bit<64> size, bit<16> stream, bit<8> flags) {
        hdr.ethernet.setValid();
        hdr.ethernet.dst_addr = dst_mac;
        hdr.js.setValid();
        hdr.js.dst = dst;
        hdr.js.window = window;
        meta.win_base = local_base;
        meta.win_target = remote_base;
        meta.win_size = size;
        meta.stream = stream;
        meta.win_flags = flags;
    }

    action rewind_window(bit<64> local_base, bit<16> stream) {
        meta.rewind = 1;
        meta.win_base = local_base;
        meta.win_size = 4;
        meta.stream = stream;
    }

    action no_window() {
        meta.drop_reason = DROP_NO_TX_WINDOW;
    }

    table window {
        key = {
            meta.accel: exact @name("accel");
            meta.addr: lpm @name("addr");
        }
        actions = {
            to_peer;
            rewind_window;
            @defaultonly no_window;
        }
        const default_action = no_window();
        size = TX_WINDOW_TABLE_SIZE;
    }

    apply {
        if (hdr.packet_out.isValid()) {
            next_seq.write((bit<32>)meta.stream, hdr.packet_out.seq);
            meta.punt_reason = PUNT_ORDER_DONE;
            return;
        }
        pcie_port.apply();
        if (meta.drop_reason == DROP_NONE) {
            tlp_check.apply(hdr, meta);
        }
        if (meta.drop_reason == DROP_NOT_MWR) {
            meta.punt_reason = PUNT_NOT_MWR;
        }
        if (meta.drop_reason == DROP_NONE) {
            if (standard_metadata.packet_length != meta.tlp_bytes) {
                meta.drop_reason = DROP_LENGTH;
            }
        }
        if (meta.drop_reason == DROP_NONE) {
            window.apply();
        }
        if (meta.drop_reason == DROP_NONE) {
            bit<64> len = (bit<64>)meta.payload_bytes;
            if (meta.addr < meta.win_base) {
                meta.drop_reason = DROP_NO_TX_WINDOW;
            } else if (len > meta.win_size || meta.addr - meta.win_base > meta.win_size - len) {
                meta.drop_reason = DROP_TX_CROSS;
            } else if (meta.rewind == 0) {
                meta.new_addr = meta.win_target + (meta.addr - meta.win_base);
                /* the plan keeps a window's offset in its 4 KiB page; this holds whatever it is given */
                if ((bit<32>)meta.new_addr[11:0] + meta.payload_bytes > PCIE_PAGE_BYTES) {
                    meta.drop_reason = DROP_4K_CROSS;
                }
            }
        }
        if (meta.drop_reason == DROP_NONE && meta.rewind == 1) {
            if (hdr.dw0.isValid() && hdr.tlp.first_be == 0xF) {
                /* the doorbell holds the next sequence number as a little-endian integer */
                next_seq.write((bit<32>)meta.stream, hdr.dw0.data[23:16] ++ hdr.dw0.data[31:24]);
                rewinds.count((bit<32>)meta.stream);
            } else {
                meta.drop_reason = DROP_REWIND;
            }
        } else if (meta.drop_reason == DROP_NONE) {
            next_seq.read(meta.seq, (bit<32>)meta.stream);
            next_seq.write((bit<32>)meta.stream, meta.seq + 1);
            tlp_address.apply(hdr, meta);
            hdr.ethernet.src_addr = meta.nic_mac;
            hdr.ethernet.ether_type = ETHERTYPE_JS;
            hdr.js.version = JS_VERSION;
            hdr.js.msg_type = MSG_DATA;
            hdr.js.flags = meta.win_flags;
            hdr.js.src = meta.accel;
            hdr.js.seq = meta.seq;
            hdr.js.stream_dst = 0;
            frames.count((bit<32>)meta.stream);
            standard_metadata.egress_spec = NIC_UPLINK_PORT;
            meta.out_kind = OUT_UPLINK;
        }
    }
}

#endif
