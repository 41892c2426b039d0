/* MPLS label stack: the parser extracts labels into a header stack until
 * the bottom-of-stack bit; ingress pops the top label or pushes a new one. */
#include <core.p4>
#include <v1model.p4>

header ethernet_t { bit<48> dst; bit<48> src; bit<16> ether_type; }
header mpls_t { bit<20> label; bit<3> tc; bit<1> bos; bit<8> ttl; }
struct headers_t { ethernet_t ethernet; mpls_t[4] mpls; }
struct metadata_t { bit<8> depth; }

parser MyParser(packet_in pkt, out headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    state start {
        pkt.extract(hdr.ethernet);
        transition select(hdr.ethernet.ether_type) { 0x8847: parse_mpls; default: accept; }
    }
    state parse_mpls {
        pkt.extract(hdr.mpls.next);
        meta.depth = meta.depth + 1;
        transition select(hdr.mpls.last.bos) { 0: parse_mpls; 1: accept; }
    }
}

control MyVerifyChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }

control MyIngress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    action pop_label(bit<9> port) {
        hdr.mpls.pop_front(1);
        std.egress_spec = port;
    }
    action push_label(bit<20> label, bit<9> port) {
        hdr.mpls.push_front(1);
        hdr.mpls[0].setValid();
        hdr.mpls[0].label = label;
        hdr.mpls[0].bos = 0;
        hdr.mpls[0].ttl = 64;
        std.egress_spec = port;
    }
    table mpls_fwd {
        key = { hdr.mpls[0].label : exact; }
        actions = { pop_label; push_label; NoAction; }
        default_action = NoAction();
    }
    apply {
        if (hdr.mpls[0].isValid()) {
            mpls_fwd.apply();
        }
    }
}

control MyEgress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) { apply { } }
control MyComputeChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }
control MyDeparser(packet_out pkt, in headers_t hdr) { apply { pkt.emit(hdr.ethernet); pkt.emit(hdr.mpls); } }

V1Switch(MyParser(), MyVerifyChecksum(), MyIngress(), MyEgress(), MyComputeChecksum(), MyDeparser()) main;
