/* Optional match kind: each key either matches exactly or is a wildcard. */
#include <core.p4>
#include <v1model.p4>

header ethernet_t { bit<48> dst; bit<48> src; bit<16> ether_type; }
header vlan_t { bit<3> pcp; bit<1> dei; bit<12> vid; bit<16> ether_type; }
struct headers_t { ethernet_t ethernet; vlan_t vlan; }
struct metadata_t { }

parser MyParser(packet_in pkt, out headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    state start {
        pkt.extract(hdr.ethernet);
        transition select(hdr.ethernet.ether_type) { 0x8100: parse_vlan; default: accept; }
    }
    state parse_vlan { pkt.extract(hdr.vlan); transition accept; }
}

control MyVerifyChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }

control MyIngress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    action to_port(bit<9> port) { std.egress_spec = port; }
    action drop() { mark_to_drop(std); }
    table classify {
        key = {
            std.ingress_port : optional @name("in_port");
            hdr.vlan.vid : optional @name("vid");
            hdr.ethernet.ether_type : exact @name("ether_type");
        }
        actions = { to_port; drop; }
        default_action = drop();
    }
    apply { classify.apply(); }
}

control MyEgress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) { apply { } }
control MyComputeChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }
control MyDeparser(packet_out pkt, in headers_t hdr) { apply { pkt.emit(hdr.ethernet); pkt.emit(hdr.vlan); } }

V1Switch(MyParser(), MyVerifyChecksum(), MyIngress(), MyEgress(), MyComputeChecksum(), MyDeparser()) main;
