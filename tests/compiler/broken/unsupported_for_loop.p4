// error: a table apply inside a 'for' loop is not supported by softp4
#include <core.p4>
#include <v1model.p4>

header ethernet_t {
    bit<48> dstAddr;
    bit<48> srcAddr;
    bit<16> etherType;
}

header vlan_t {
    bit<16> tci;
    bit<16> etherType;
}

struct headers {
    ethernet_t ethernet;
    vlan_t[2]  vlans;
}

struct metadata {
    bit<8>  a;
    bit<16> b;
    int<8>  s;
}

parser P(packet_in pkt, out headers hdr, inout metadata meta, inout standard_metadata_t sm) {
    state start {
        pkt.extract(hdr.ethernet);
        transition accept;
    }
}

control I(inout headers hdr, inout metadata meta, inout standard_metadata_t sm) {
    table t { key = { hdr.ethernet.etherType : exact; } actions = { NoAction; } }
    apply {
        for (bit<8> i = 0; i < 4; i = i + 1) { t.apply(); }
    }
}

control VC(inout headers hdr, inout metadata meta) { apply { } }
control E(inout headers hdr, inout metadata meta, inout standard_metadata_t sm) { apply { } }
control CC(inout headers hdr, inout metadata meta) { apply { } }
control D(packet_out pkt, in headers hdr) { apply { pkt.emit(hdr.ethernet); } }
V1Switch(P(), VC(), I(), E(), CC(), D()) main;
