/* select on a tuple of fields of odd widths, with masks and wildcards. */
#include <core.p4>
#include <v1model.p4>

header ethernet_t { bit<48> dst; bit<48> src; bit<16> ether_type; }
header vlan_t { bit<3> pcp; bit<1> dei; bit<12> vid; bit<16> ether_type; }
header marker_t { bit<8> value; }
struct headers_t { ethernet_t ethernet; vlan_t vlan; marker_t marker; }
struct metadata_t { bit<8> path; }

parser MyParser(packet_in pkt, out headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    state start {
        pkt.extract(hdr.ethernet);
        transition select(hdr.ethernet.ether_type) { 0x8100: parse_vlan; default: accept; }
    }
    state parse_vlan {
        pkt.extract(hdr.vlan);
        transition select(hdr.vlan.vid, hdr.vlan.pcp) {
            (12w0xaba, 3w3): marked;
            (12w0x100 &&& 12w0xf00, _): low;
            (_, 7): high;
            default: accept;
        }
    }
    state marked { pkt.extract(hdr.marker); meta.path = 1; transition accept; }
    state low { meta.path = 2; transition accept; }
    state high { meta.path = 3; transition accept; }
}

control MyVerifyChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }
control MyIngress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    apply { std.egress_spec = (bit<9>)meta.path; }
}
control MyEgress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) { apply { } }
control MyComputeChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }
control MyDeparser(packet_out pkt, in headers_t hdr) {
    apply { pkt.emit(hdr.ethernet); pkt.emit(hdr.vlan); pkt.emit(hdr.marker); }
}

V1Switch(MyParser(), MyVerifyChecksum(), MyIngress(), MyEgress(), MyComputeChecksum(), MyDeparser()) main;
