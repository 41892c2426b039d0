/* A control type applied directly (Chain.apply), a control instance passed as a constructor
 * argument to two others, and so applied twice: its counter exists once. */
#include <core.p4>
#include <v1model.p4>

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

control step_t(inout bit<16> x);

control Inc(inout bit<16> x) {
    counter(32w4, CounterType.packets) seen;
    apply {
        x = x + 1;
        seen.count((bit<32>)x[1:0]);
    }
}

control Shift(inout bit<16> x)(step_t then, bit<4> by) {
    apply {
        x = x << by;
        then.apply(x);
    }
}

control Chain(inout bit<16> x) {
    Inc() inc;
    Shift(inc, 4w1) twice;
    Shift(inc, 4w3) eight_times;
    apply {
        twice.apply(x);
        eight_times.apply(x);
    }
}

parser MyParser(packet_in pkt, out headers_t hdr, inout metadata_t meta,
                inout standard_metadata_t std) {
    state start {
        pkt.extract(hdr.eth);
        transition accept;
    }
}

control MyVerifyChecksum(inout headers_t hdr, inout metadata_t meta) {
    apply { }
}

control MyIngress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    apply {
        Chain.apply(hdr.eth.ether_type);
        std.egress_spec = 2;
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
