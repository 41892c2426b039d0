/* hash() over tuples of header fields with several algorithms, base and max. */
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
struct metadata_t { bit<16> h_crc16; bit<32> h_crc32; bit<16> h_csum; bit<16> h_ident; }

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
        hash(meta.h_crc16, HashAlgorithm.crc16, (bit<16>)0,
             { hdr.ipv4.src_addr, hdr.ipv4.dst_addr, hdr.ipv4.protocol }, (bit<32>)65536);
        hash(meta.h_crc32, HashAlgorithm.crc32, (bit<32>)0,
             { hdr.ipv4.src_addr, hdr.ipv4.dst_addr }, (bit<64>)4294967296);
        hash(meta.h_csum, HashAlgorithm.csum16, (bit<16>)0, { hdr.ipv4.ttl, hdr.ipv4.protocol }, (bit<32>)65536);
        hash(meta.h_ident, HashAlgorithm.identity, (bit<16>)10, { hdr.ethernet.ether_type }, (bit<32>)8);
        hdr.ipv4.identification = meta.h_crc16;
        hdr.ipv4.src_addr = meta.h_crc32;
        hdr.ipv4.hdr_checksum = meta.h_csum;
        std.egress_spec = (bit<9>)meta.h_ident;
    }
}

control MyEgress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) { apply { } }
control MyComputeChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }
control MyDeparser(packet_out pkt, in headers_t hdr) { apply { pkt.emit(hdr.ethernet); pkt.emit(hdr.ipv4); } }

V1Switch(MyParser(), MyVerifyChecksum(), MyIngress(), MyEgress(), MyComputeChecksum(), MyDeparser()) main;
