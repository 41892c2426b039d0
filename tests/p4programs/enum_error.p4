/* A plain enum in metadata and the error type as a table key. */
#include <core.p4>
#include <v1model.p4>

header ethernet_t { bit<48> dst; bit<48> src; bit<16> ether_type; }
header ipv4_t {
    bit<4> version; bit<4> ihl; bit<8> diffserv; bit<16> total_len;
    bit<16> identification; bit<3> flags; bit<13> frag_offset;
    bit<8> ttl; bit<8> protocol; bit<16> hdr_checksum;
    bit<32> src_addr; bit<32> dst_addr;
}
enum Color { Red, Green, Blue }

struct headers_t { ethernet_t ethernet; ipv4_t ipv4; }
struct metadata_t { Color color; error last_error; }

parser MyParser(packet_in pkt, out headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    state start {
        pkt.extract(hdr.ethernet);
        transition select(hdr.ethernet.ether_type) { 0x0800: parse_ipv4; default: accept; }
    }
    state parse_ipv4 { pkt.extract(hdr.ipv4); transition accept; }
}

control MyVerifyChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }

control MyIngress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    action paint(bit<9> port) { meta.color = Color.Green; std.egress_spec = port; }
    action stop() { meta.color = Color.Red; mark_to_drop(std); }
    table by_error {
        key = { std.parser_error : exact; }
        actions = { paint; stop; }
        const entries = {
            error.NoError : paint(1);
            error.PacketTooShort : stop();
        }
        default_action = paint(2);
    }
    apply {
        meta.color = Color.Blue;
        meta.last_error = std.parser_error;
        by_error.apply();
        if (meta.color == Color.Green) {
            hdr.ethernet.ether_type = 0x0101;
        }
    }
}

control MyEgress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) { apply { } }
control MyComputeChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }
control MyDeparser(packet_out pkt, in headers_t hdr) { apply { pkt.emit(hdr.ethernet); pkt.emit(hdr.ipv4); } }

V1Switch(MyParser(), MyVerifyChecksum(), MyIngress(), MyEgress(), MyComputeChecksum(), MyDeparser()) main;
