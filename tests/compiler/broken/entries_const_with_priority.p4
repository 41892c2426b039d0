// error: a table with 'const' entries cannot have priorities
/* Entry priorities: @priority(N) on const entries is the BMv2 priority as written (lower wins),
 * other entries are numbered by position; `priority = N:` with largest_priority_wins and
 * priority_delta on mutable initial entries. */
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
    action set_port(bit<9> port) {
        std.egress_spec = port;
    }
    action mark(bit<8> value) {
        hdr.eth.dst[7:0] = value;
    }
    table by_type {
        key = { hdr.eth.ether_type : ternary; }
        actions = { set_port; NoAction; }
        default_action = NoAction();
        const entries = {
            0x1111 &&& 0x000F : set_port(1) @priority(3);
            priority = 2: 0x1181 : set_port(2);
            0x1181 &&& 0xF00F : set_port(3) @priority(1);
        }
    }
    table by_src {
        key = { hdr.eth.src[7:0] : ternary @name("src_low"); }
        actions = { mark; NoAction; }
        default_action = NoAction();
        largest_priority_wins = false;
        priority_delta = 10;
        entries = {
            priority = 10: 0x01 &&& 0x0F : mark(4);
                           0x02          : mark(5);
            priority = 5:  0x11          : mark(6);
        }
    }
    apply {
        by_type.apply();
        by_src.apply();
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
