/*
 * tor.p4: the top-of-rack switch (v1model). An ordinary L2 switch for every
 * frame, NIC frames included; it adds multicast group writes, counters per
 * port and per traffic class, strict priority for the protocol's frames, and
 * source-port binding of the protocol's frames (port security).
 */
#include <core.p4>
#include <v1model.p4>

#include "include/defines.p4"
#include "include/sizes.p4"
#include "include/headers.p4"
#include "include/tor_parser.p4"
#include "include/control/port_security.p4"
#include "include/control/l2_forward.p4"
#include "include/control/traffic_class.p4"
#include "include/control/port_counters.p4"

control TorVerifyChecksum(inout tor_headers_t hdr, inout tor_meta_t meta) {
    apply { }
}

control TorIngress(inout tor_headers_t hdr,
                   inout tor_meta_t meta,
                   inout standard_metadata_t standard_metadata) {
    PortRxCounter() port_rx;
    PortSecurity() port_security;
    TrafficClass() traffic_class;
    L2Forward() l2_forward;

    apply {
        port_rx.apply(standard_metadata);
        if (hdr.ethernet.isValid()) {
            port_security.apply(hdr, meta, standard_metadata);
            if (meta.forged == 0) {
                traffic_class.apply(hdr, meta, standard_metadata);
                l2_forward.apply(hdr, meta, standard_metadata);
            }
        } else {
            mark_to_drop(standard_metadata);
        }
    }
}

control TorEgress(inout tor_headers_t hdr,
                  inout tor_meta_t meta,
                  inout standard_metadata_t standard_metadata) {
    PortTxCounter() port_tx;

    apply {
        if (standard_metadata.egress_port == standard_metadata.ingress_port) {
            /* never back out of the port it came in on (flood and group pruning) */
            mark_to_drop(standard_metadata);
        } else {
            port_tx.apply(standard_metadata);
        }
    }
}

control TorComputeChecksum(inout tor_headers_t hdr, inout tor_meta_t meta) {
    apply { }
}

V1Switch(TorParser(),
         TorVerifyChecksum(),
         TorIngress(),
         TorEgress(),
         TorComputeChecksum(),
         TorDeparser()) main;
