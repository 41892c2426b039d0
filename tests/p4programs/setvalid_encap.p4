/* Encapsulation: setValid() adds an outer header, setInvalid() removes it, a header is copied. */
#include <core.p4>
#include <v1model.p4>

header ethernet_t { bit<48> dst; bit<48> src; bit<16> ether_type; }
header ipv4_t {
    bit<4> version; bit<4> ihl; bit<8> diffserv; bit<16> total_len;
    bit<16> identification; bit<3> flags; bit<13> frag_offset;
    bit<8> ttl; bit<8> protocol; bit<16> hdr_checksum;
    bit<32> src_addr; bit<32> dst_addr;
}
struct headers_t { ethernet_t ethernet; ipv4_t outer; ipv4_t ipv4; }
struct metadata_t {  }

parser MyParser(packet_in pkt, out headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    state start {
        pkt.extract(hdr.ethernet);
        transition select(hdr.ethernet.ether_type) { 0x0800: parse_ipv4; default: accept; }
    }
    state parse_ipv4 { pkt.extract(hdr.ipv4); transition accept; }
}

control MyVerifyChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }

control MyIngress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    action encap(bit<32> tunnel_dst) {
        hdr.outer.setValid();
        hdr.outer = hdr.ipv4;
        hdr.outer.dst_addr = tunnel_dst;
        hdr.outer.protocol = 4;
        hdr.outer.total_len = hdr.ipv4.total_len + 20;
        std.egress_spec = 2;
    }
    action decap() {
        hdr.ipv4 = hdr.outer;
        hdr.outer.setInvalid();
        std.egress_spec = 1;
    }
    table tunnel {
        key = { hdr.ipv4.dst_addr : lpm; }
        actions = { encap; decap; NoAction; }
        default_action = NoAction();
    }
    apply { if (hdr.ipv4.isValid()) { tunnel.apply(); } }
}

control MyEgress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) { apply { } }
control MyComputeChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }
control MyDeparser(packet_out pkt, in headers_t hdr) { apply { pkt.emit(hdr.ethernet); pkt.emit(hdr.outer); pkt.emit(hdr.ipv4); } }

V1Switch(MyParser(), MyVerifyChecksum(), MyIngress(), MyEgress(), MyComputeChecksum(), MyDeparser()) main;
