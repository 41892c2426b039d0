/* l2_forward.p4: the ToR's L2 forwarding by destination MAC; broadcast and
 * unknown destinations flood through TOR_FLOOD_GROUP; group MACs map to the
 * multicast group of a group write. */
#ifndef JS_L2_FORWARD_P4
#define JS_L2_FORWARD_P4

control L2Forward(inout tor_headers_t hdr,
                  inout tor_meta_t meta,
                  inout standard_metadata_t standard_metadata) {
    direct_counter(CounterType.packets_and_bytes) l2_counter;

    action forward(bit<9> port) {
        standard_metadata.egress_spec = port;
    }

    action multicast(bit<16> group) {
        standard_metadata.mcast_grp = group;
    }

    action flood() {
        standard_metadata.mcast_grp = TOR_FLOOD_GROUP;
    }

    table l2 {
        key = {
            hdr.ethernet.dst_addr: exact @name("dst_mac");
        }
        actions = {
            forward;
            multicast;
            flood;
        }
        default_action = flood();
        counters = l2_counter;
        size = L2_TABLE_SIZE;
    }

    apply {
        if (hdr.ethernet.dst_addr == 0xFFFFFFFFFFFF) {
            standard_metadata.mcast_grp = TOR_FLOOD_GROUP;
        } else {
            l2.apply();
        }
    }
}

#endif
