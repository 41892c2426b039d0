/* void functions with inout parameters, an early return, and a function calling another. */
#include <core.p4>
#include <v1model.p4>

header ethernet_t { bit<48> dst; bit<48> src; bit<16> ether_type; }
struct headers_t { ethernet_t ethernet; }
struct metadata_t { bit<16> hits; }

void bump(inout bit<16> counter, in bit<16> by) {
    if (by == 0) {
        return;
    }
    counter = counter + by;
}

void bump_twice(inout bit<16> counter) {
    bump(counter, 1);
    bump(counter, 2);
}

parser MyParser(packet_in pkt, out headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    state start { pkt.extract(hdr.ethernet); transition accept; }
}

control MyVerifyChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }

control MyIngress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    action count_src() {
        bump_twice(meta.hits);
    }
    table by_src {
        key = { hdr.ethernet.src : exact; }
        actions = { count_src; NoAction; }
        default_action = count_src();
    }
    apply {
        by_src.apply();
        bump(hdr.ethernet.ether_type, meta.hits);
        bump(hdr.ethernet.ether_type, 0);
        std.egress_spec = 1;
    }
}

control MyEgress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) { apply { } }
control MyComputeChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }
control MyDeparser(packet_out pkt, in headers_t hdr) { apply { pkt.emit(hdr.ethernet); } }

V1Switch(MyParser(), MyVerifyChecksum(), MyIngress(), MyEgress(), MyComputeChecksum(), MyDeparser()) main;
