/* Struct assignment and initializers, nested structs and tuples. */
#include <core.p4>
#include <v1model.p4>

header ethernet_t { bit<48> dst; bit<48> src; bit<16> ether_type; }
header ipv4_t {
    bit<4> version; bit<4> ihl; bit<8> diffserv; bit<16> total_len;
    bit<16> identification; bit<3> flags; bit<13> frag_offset;
    bit<8> ttl; bit<8> protocol; bit<16> hdr_checksum;
    bit<32> src_addr; bit<32> dst_addr;
}
struct pair_t { bit<8> x; bit<8> y; }
struct outer_t { pair_t inner; bit<8> tag; }

struct headers_t { ethernet_t ethernet; ipv4_t ipv4; }
struct metadata_t { pair_t a; pair_t b; outer_t nested; }

parser MyParser(packet_in pkt, out headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    state start {
        pkt.extract(hdr.ethernet);
        transition select(hdr.ethernet.ether_type) { 0x0800: parse_ipv4; default: accept; }
    }
    state parse_ipv4 { pkt.extract(hdr.ipv4); transition accept; }
}

control MyVerifyChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }

control MyIngress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    apply {
        meta.a = { hdr.ipv4.ttl, hdr.ipv4.protocol };
        meta.b = meta.a;
        meta.nested = { inner = { x = 1, y = 2 }, tag = 0x55 };
        tuple<bit<8>, bit<16>> tup = { meta.b.x, hdr.ipv4.total_len };
        hdr.ipv4.diffserv = tup[0];
        hdr.ipv4.identification = tup[1] + (bit<16>)meta.nested.inner.y;
        std.egress_spec = (bit<9>)meta.nested.tag;
    }
}

control MyEgress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) { apply { } }
control MyComputeChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }
control MyDeparser(packet_out pkt, in headers_t hdr) { apply { pkt.emit(hdr.ethernet); pkt.emit(hdr.ipv4); } }

V1Switch(MyParser(), MyVerifyChecksum(), MyIngress(), MyEgress(), MyComputeChecksum(), MyDeparser()) main;
