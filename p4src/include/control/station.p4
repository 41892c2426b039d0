/* station.p4: the NIC's receive filter on the destination MAC, as any Ethernet
 * NIC has. A unicast frame for another NIC (one the ToR flooded because it did
 * not know the destination yet) is dropped and counted (DROP_NOT_MY_MAC) before
 * any other check, so it never reaches the peer lookup and never becomes a
 * packet-in. Group frames (multicast bit set, broadcast included) go on: the
 * peer check decides about those. The NIC's own MACs are the rows of own_mac
 * (one per MAC; the controller installs the NIC's MAC from the topology). */
#ifndef JS_STATION_P4
#define JS_STATION_P4

control Station(in nic_headers_t hdr, inout nic_meta_t meta) {
    action for_us() { }

    action not_for_us() {
        meta.drop_reason = DROP_NOT_MY_MAC;
    }

    table own_mac {
        key = {
            hdr.ethernet.dst_addr: exact @name("dst_mac");
        }
        actions = {
            for_us;
            @defaultonly not_for_us;
        }
        const default_action = not_for_us();
        size = OWN_MAC_TABLE_SIZE;
    }

    apply {
        /* the individual/group bit is the least significant bit of the first octet */
        if (hdr.ethernet.dst_addr[40:40] == 0) {
            own_mac.apply();
        }
    }
}

#endif
