/* Parameters with default values: a control and a parser applied by their type name, and a
   function, called without the argument take the default; given, the argument wins. */
#include <core.p4>
#include <v1model.p4>

header v_t { bit<8> a; bit<8> b; bit<8> c; bit<8> d; }
header w_t { bit<8> e; bit<8> f; }
struct headers_t { v_t v; w_t w; }
struct metadata_t { }

bit<8> plus(in bit<8> x, in bit<8> step = 1) {
    return x + step;
}

control Shift(out bit<8> x, in bit<8> y = 0x50) {
    apply { x = y >> 4; }
}

parser Offset(out bit<8> x, in bit<8> y = 0x20) {
    state start { x = y + 1; transition accept; }
}

parser MyParser(packet_in pkt, out headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    state start {
        pkt.extract(hdr.v);
        pkt.extract(hdr.w);
        Offset.apply(hdr.w.e);
        Offset.apply(hdr.w.f, hdr.w.f);
        transition accept;
    }
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
control MyDeparser(packet_out pkt, in headers_t hdr) { apply { pkt.emit(hdr.v); pkt.emit(hdr.w); } }

V1Switch(MyParser(), MyVerifyChecksum(), MyIngress(), MyEgress(), MyComputeChecksum(), MyDeparser()) main;
