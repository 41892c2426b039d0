/* switch on the action a table ran, with a shared body and a default case. */
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
struct metadata_t { bit<8> verdict; }

parser MyParser(packet_in pkt, out headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    state start {
        pkt.extract(hdr.ethernet);
        transition select(hdr.ethernet.ether_type) { 0x0800: parse_ipv4; default: accept; }
    }
    state parse_ipv4 { pkt.extract(hdr.ipv4); transition accept; }
}

control MyVerifyChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }

control MyIngress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    action a_fwd(bit<9> port) { std.egress_spec = port; }
    action a_drop() { mark_to_drop(std); }
    action a_punt() { std.egress_spec = 64; }
    action a_mirror() { std.egress_spec = 5; }
    table decide {
        key = { hdr.ethernet.dst : exact; }
        actions = { a_fwd; a_drop; a_punt; a_mirror; }
        default_action = a_drop();
    }
    apply {
        switch (decide.apply().action_run) {
            a_fwd: { meta.verdict = 1; }
            a_punt:
            a_mirror: { meta.verdict = 2; hdr.ethernet.ether_type = 0x88b5; }
            default: { meta.verdict = 3; }
        }
        hdr.ethernet.src[7:0] = meta.verdict;
    }
}

control MyEgress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) { apply { } }
control MyComputeChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }
control MyDeparser(packet_out pkt, in headers_t hdr) { apply { pkt.emit(hdr.ethernet); pkt.emit(hdr.ipv4); } }

V1Switch(MyParser(), MyVerifyChecksum(), MyIngress(), MyEgress(), MyComputeChecksum(), MyDeparser()) main;
