/* Table applies inside expressions: `t.apply().hit && c` always applies t (left of &&);
 * `c || t.apply().miss` applies t only when c is false (short-circuit, as P4 evaluates it). */
#include <core.p4>
#include <v1model.p4>

header ethernet_t {
    bit<48> dst;
    bit<48> src;
    bit<16> ether_type;
}

struct headers_t {
    ethernet_t eth;
}

struct metadata_t {
}

parser MyParser(packet_in pkt, out headers_t hdr, inout metadata_t meta,
                inout standard_metadata_t std) {
    state start {
        pkt.extract(hdr.eth);
        transition accept;
    }
}

control MyVerifyChecksum(inout headers_t hdr, inout metadata_t meta) {
    apply { }
}

control MyIngress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    action mark_type() {
        hdr.eth.dst[7:0] = 0x11;
    }
    action mark_src() {
        hdr.eth.dst[15:8] = 0x22;
    }
    table by_type {
        key = { hdr.eth.ether_type : exact @name("type"); }
        actions = { mark_type; NoAction; }
        default_action = NoAction();
    }
    table by_src {
        key = { hdr.eth.src : exact @name("src"); }
        actions = { mark_src; NoAction; }
        default_action = NoAction();
    }
    apply {
        std.egress_spec = 1;
        if (by_type.apply().hit && hdr.eth.dst[47:40] == 0xAA) {
            std.egress_spec = 2;
        }
        if (hdr.eth.dst[39:32] == 0xBB || by_src.apply().miss) {
            hdr.eth.src[7:0] = 0x33;
        }
    }
}

control MyEgress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    apply { }
}

control MyComputeChecksum(inout headers_t hdr, inout metadata_t meta) {
    apply { }
}

control MyDeparser(packet_out pkt, in headers_t hdr) {
    apply {
        pkt.emit(hdr.eth);
    }
}

V1Switch(MyParser(), MyVerifyChecksum(), MyIngress(), MyEgress(), MyComputeChecksum(), MyDeparser()) main;
