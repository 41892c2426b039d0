/* Parameters with default values: a control applied and a function called without the
   argument take the default; given, the argument wins. */
#include <core.p4>
#include <v1model.p4>

header v_t { bit<8> a; bit<8> b; bit<8> c; bit<8> d; }
struct headers_t { v_t v; }
struct metadata_t { }

bit<8> plus(in bit<8> x, in bit<8> step = 1) {
    return x + step;
}

control Shift(out bit<8> x, in bit<8> y = 0x50) {
    apply { x = y >> 4; }
}

parser MyParser(packet_in pkt, out headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    state start { pkt.extract(hdr.v); transition accept; }
}

control MyVerifyChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }

control MyIngress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    apply {
        std.egress_spec = 1;
        Shift.apply(hdr.v.a);
        Shift.apply(hdr.v.b, hdr.v.b);
        hdr.v.c = plus(hdr.v.c);
        hdr.v.d = plus(hdr.v.d, 0x10);
    }
}

control MyEgress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) { apply { } }
control MyComputeChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }
control MyDeparser(packet_out pkt, in headers_t hdr) { apply { pkt.emit(hdr.v); } }

V1Switch(MyParser(), MyVerifyChecksum(), MyIngress(), MyEgress(), MyComputeChecksum(), MyDeparser()) main;
