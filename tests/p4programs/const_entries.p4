/* A table whose entries are fixed in the program: exact, ternary and lpm
 * keys with masks, wildcards and explicit action data. */
#include <core.p4>
#include <v1model.p4>

header ethernet_t { bit<48> dst; bit<48> src; bit<16> ether_type; }
header ipv4_t {
    bit<4> version; bit<4> ihl; bit<8> diffserv; bit<16> total_len;
    bit<16> identification; bit<3> flags; bit<13> frag_offset;
    bit<8> ttl; bit<8> protocol; bit<16> hdr_checksum;
    bit<32> src_addr; bit<32> dst_addr;
}
struct headers_t { ethernet_t ethernet; ipv4_t ipv4; }
struct metadata_t { }

parser MyParser(packet_in pkt, out headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    state start {
        pkt.extract(hdr.ethernet);
        transition select(hdr.ethernet.ether_type) { 0x0800: parse_ipv4; default: accept; }
    }
    state parse_ipv4 { pkt.extract(hdr.ipv4); transition accept; }
}

control MyVerifyChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }

control MyIngress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    action set_port(bit<9> port) { std.egress_spec = port; }
    action drop() { mark_to_drop(std); }
    table by_type {
        key = { hdr.ethernet.ether_type : exact; }
        actions = { set_port; drop; }
        const entries = {
            0x0800 : set_port(1);
            0x86dd : set_port(2);
            0x0806 : drop();
        }
        const default_action = set_port(3);
    }
    table by_proto {
        key = { hdr.ipv4.protocol : ternary; hdr.ipv4.dst_addr : ternary; }
        actions = { set_port; NoAction; }
        const entries = {
            (6, 0x0a000000 &&& 0xff000000) : set_port(4);
            (17, _) : set_port(5);
            (_, 0xc0a80001) : set_port(6);
        }
        default_action = NoAction();
    }
    apply {
        by_type.apply();
        if (hdr.ipv4.isValid()) {
            by_proto.apply();
        }
    }
}

control MyEgress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) { apply { } }
control MyComputeChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }
control MyDeparser(packet_out pkt, in headers_t hdr) { apply { pkt.emit(hdr.ethernet); pkt.emit(hdr.ipv4); } }

V1Switch(MyParser(), MyVerifyChecksum(), MyIngress(), MyEgress(), MyComputeChecksum(), MyDeparser()) main;
