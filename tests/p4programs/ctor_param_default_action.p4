/* A constructor parameter of a top-level block (MyIngress(9w7)) used as a default-action
 * argument, also passed on to a nested control's constructor. */
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

control Tagger(inout headers_t hdr)(bit<8> tag) {
    action set_tag(bit<8> value) {
        hdr.eth.src[7:0] = value;
    }
    table tagging {
        key = { hdr.eth.ether_type : exact @name("type"); }
        actions = { set_tag; }
        default_action = set_tag(tag);
    }
    apply {
        tagging.apply();
    }
}

control MyIngress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std)(bit<9> fallback) {
    Tagger((bit<8>)fallback + 8w0x10) tagger;
    action forward(bit<9> port) {
        std.egress_spec = port;
    }
    table mac_fwd {
        key = { hdr.eth.dst : exact @name("dst"); }
        actions = { forward; }
        default_action = forward(fallback);
    }
    apply {
        mac_fwd.apply();
        tagger.apply(hdr);
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

V1Switch(MyParser(), MyVerifyChecksum(), MyIngress(9w7), MyEgress(), MyComputeChecksum(), MyDeparser()) main;
