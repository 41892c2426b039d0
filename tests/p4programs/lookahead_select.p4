/* The parser peeks at the next bytes with lookahead to choose a state
 * without consuming them. */
#include <core.p4>
#include <v1model.p4>

header ethernet_t { bit<48> dst; bit<48> src; bit<16> ether_type; }
header tag_t { bit<8> kind; bit<8> len; bit<16> value; }
header probe_t { bit<4> version; bit<4> flags; bit<8> hops; }
struct headers_t { ethernet_t ethernet; tag_t tag; probe_t probe; }
struct metadata_t { bit<8> peeked; }

parser MyParser(packet_in pkt, out headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    state start {
        pkt.extract(hdr.ethernet);
        transition select(pkt.lookahead<bit<8>>()) {
            0x01: parse_tag;
            0x40 &&& 0xf0: parse_probe;
            default: accept;
        }
    }
    state parse_tag {
        meta.peeked = pkt.lookahead<tag_t>().len;
        pkt.extract(hdr.tag);
        transition accept;
    }
    state parse_probe {
        pkt.extract(hdr.probe);
        transition accept;
    }
}

control MyVerifyChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }

control MyIngress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    apply {
        std.egress_spec = 1;
        if (hdr.tag.isValid()) {
            hdr.tag.value = (bit<16>)meta.peeked;
        }
    }
}

control MyEgress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) { apply { } }
control MyComputeChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }
control MyDeparser(packet_out pkt, in headers_t hdr) {
    apply { pkt.emit(hdr.ethernet); pkt.emit(hdr.tag); pkt.emit(hdr.probe); }
}

V1Switch(MyParser(), MyVerifyChecksum(), MyIngress(), MyEgress(), MyComputeChecksum(), MyDeparser()) main;
