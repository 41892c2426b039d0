/* Generic functions specialized per call (T twice<T>(in T x), swap<T>), and hdr.stack.last
 * inside verify(). */
#include <core.p4>
#include <v1model.p4>

header ethernet_t {
    bit<48> dst;
    bit<48> src;
    bit<16> ether_type;
}

header tag_t {
    bit<8> v;
}

struct headers_t {
    ethernet_t eth;
    tag_t[2]   tags;
}

struct metadata_t {
}

T twice<T>(in T x) {
    return x + x;
}

void swap<T>(inout T a, inout T b) {
    T tmp = a;
    a = b;
    b = tmp;
}

parser MyParser(packet_in pkt, out headers_t hdr, inout metadata_t meta,
                inout standard_metadata_t std) {
    state start {
        pkt.extract(hdr.eth);
        pkt.extract(hdr.tags.next);
        verify(hdr.tags.last.v != 0xFF, error.ParserInvalidArgument);
        transition accept;
    }
}

control MyVerifyChecksum(inout headers_t hdr, inout metadata_t meta) {
    apply { }
}

control MyIngress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    apply {
        if (std.parser_error != error.NoError) {
            std.egress_spec = 5;
            return;
        }
        hdr.eth.ether_type = twice(hdr.eth.ether_type);
        hdr.tags[0].v = twice<bit<8>>(hdr.tags[0].v);
        swap(hdr.eth.dst, hdr.eth.src);
        std.egress_spec = 1;
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
        pkt.emit(hdr.tags);
    }
}

V1Switch(MyParser(), MyVerifyChecksum(), MyIngress(), MyEgress(), MyComputeChecksum(), MyDeparser()) main;
