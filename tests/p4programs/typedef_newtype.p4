/* typedef and type declarations, and a serializable enum used as a field and a table key. */
#include <core.p4>
#include <v1model.p4>

header ethernet_t { bit<48> dst; bit<48> src; bit<16> ether_type; }
header ipv4_t {
    bit<4> version; bit<4> ihl; bit<8> diffserv; bit<16> total_len;
    bit<16> identification; bit<3> flags; bit<13> frag_offset;
    bit<8> ttl; bit<8> protocol; bit<16> hdr_checksum;
    bit<32> src_addr; bit<32> dst_addr;
}
typedef bit<9> egress_port_t;
type bit<9> port_id_t;
enum bit<8> Verdict { DROP = 0, FORWARD = 1, TO_CPU = 0x7f }

struct headers_t { ethernet_t ethernet; ipv4_t ipv4; }
struct metadata_t { port_id_t in_port; Verdict verdict; }

parser MyParser(packet_in pkt, out headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    state start {
        pkt.extract(hdr.ethernet);
        transition select(hdr.ethernet.ether_type) { 0x0800: parse_ipv4; default: accept; }
    }
    state parse_ipv4 { pkt.extract(hdr.ipv4); transition accept; }
}

control MyVerifyChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }

control MyIngress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    action set_verdict(Verdict v) { meta.verdict = v; }
    table policy {
        key = { meta.in_port : exact; hdr.ethernet.ether_type : exact; }
        actions = { set_verdict; }
        default_action = set_verdict(Verdict.DROP);
    }
    apply {
        meta.in_port = (port_id_t)std.ingress_port;
        policy.apply();
        if (meta.verdict == Verdict.DROP) {
            mark_to_drop(std);
        } else if (meta.verdict == Verdict.TO_CPU) {
            std.egress_spec = 64;
        } else {
            std.egress_spec = (bit<9>)meta.in_port;
        }
        hdr.ethernet.src[7:0] = (bit<8>)meta.verdict;
    }
}

control MyEgress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) { apply { } }
control MyComputeChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }
control MyDeparser(packet_out pkt, in headers_t hdr) { apply { pkt.emit(hdr.ethernet); pkt.emit(hdr.ipv4); } }

V1Switch(MyParser(), MyVerifyChecksum(), MyIngress(), MyEgress(), MyComputeChecksum(), MyDeparser()) main;
