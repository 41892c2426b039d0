/* `_` as an out argument: extract<H>(_) skips a header, f(_) discards a result. */
#include <core.p4>
#include <v1model.p4>

header pre_t {
    bit<16> tag;
}

header ethernet_t {
    bit<48> dst;
    bit<48> src;
    bit<16> ether_type;
}

struct headers_t {
    ethernet_t eth;
}

struct metadata_t {
}

parser MyParser(packet_in pkt, out headers_t hdr, inout metadata_t meta,
                inout standard_metadata_t std) {
    state start {
        pkt.extract<pre_t>(_);
        pkt.extract(hdr.eth);
        transition accept;
    }
}

control MyVerifyChecksum(inout headers_t hdr, inout metadata_t meta) {
    apply { }
}

bit<9> split(in bit<16> v, out bit<8> high) {
    high = v[15:8];
    return (bit<9>)v[1:0];
}

control MyIngress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    action send(out bit<8> seen, bit<8> value) {
        seen = value;
        hdr.eth.src[7:0] = value;
    }
    apply {
        std.egress_spec = split(hdr.eth.ether_type, _);
        send(_, 0x5A);
    }
}

control MyEgress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    apply { }
}

control MyComputeChecksum(inout headers_t hdr, inout metadata_t meta) {
    apply { }
}

control MyDeparser(packet_out pkt, in headers_t hdr) {
    apply {
        pkt.emit(hdr.eth);
    }
}

V1Switch(MyParser(), MyVerifyChecksum(), MyIngress(), MyEgress(), MyComputeChecksum(), MyDeparser()) main;
