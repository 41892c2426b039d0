/* A sub-parser for VLAN tags, applied from the main parser; its accept
 * continues in the calling state. */
#include <core.p4>
#include <v1model.p4>

header ethernet_t { bit<48> dst; bit<48> src; bit<16> ether_type; }
header vlan_t { bit<3> pcp; bit<1> dei; bit<12> vid; bit<16> ether_type; }
header ipv4_lite_t { bit<8> version_ihl; bit<8> tos; bit<16> len; }
struct headers_t { ethernet_t ethernet; vlan_t outer; vlan_t inner; ipv4_lite_t ip; }
struct metadata_t { bit<16> ether_type; }

parser VlanParser(packet_in pkt, inout headers_t hdr, inout metadata_t meta) {
    state start {
        transition select(meta.ether_type) { 0x8100: outer; default: accept; }
    }
    state outer {
        pkt.extract(hdr.outer);
        meta.ether_type = hdr.outer.ether_type;
        transition select(meta.ether_type) { 0x8100: inner; default: accept; }
    }
    state inner {
        pkt.extract(hdr.inner);
        meta.ether_type = hdr.inner.ether_type;
        transition accept;
    }
}

parser MyParser(packet_in pkt, out headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    VlanParser() vlans;
    state start {
        pkt.extract(hdr.ethernet);
        meta.ether_type = hdr.ethernet.ether_type;
        vlans.apply(pkt, hdr, meta);
        transition select(meta.ether_type) { 0x0800: parse_ip; default: accept; }
    }
    state parse_ip { pkt.extract(hdr.ip); transition accept; }
}

control MyVerifyChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }
control MyIngress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    apply { std.egress_spec = hdr.ip.isValid() ? 9w1 : 9w2; }
}
control MyEgress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) { apply { } }
control MyComputeChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }
control MyDeparser(packet_out pkt, in headers_t hdr) { apply { pkt.emit(hdr); } }

V1Switch(MyParser(), MyVerifyChecksum(), MyIngress(), MyEgress(), MyComputeChecksum(), MyDeparser()) main;
