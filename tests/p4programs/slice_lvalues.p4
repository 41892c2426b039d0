/* Slices as lvalues: a slice of a slice (`n[7:4][1:0]` is `n[5:4]`), and a slice as an inout
   argument of an action and of a function (copied in, copied back into just those bits, after
   the body's own writes to the field). */
#include <core.p4>
#include <v1model.p4>

header v_t { bit<8> a; bit<8> b; bit<8> c; }
struct headers_t { v_t v; }
struct metadata_t { }

bit<4> swap_nibble(inout bit<4> x) {
    bit<4> old = x;
    x = 4w0xa;
    return old;
}

parser MyParser(packet_in pkt, out headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    state start { pkt.extract(hdr.v); transition accept; }
}

control MyVerifyChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }

control MyIngress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    action set_low_bit(inout bit<1> bit0) {
        hdr.v.b = 0x40;   // overwritten by nothing: the copy-out writes bit 0 only
        bit0 = 1;
    }
    apply {
        std.egress_spec = 1;
        hdr.v.a[7:4][1:0] = 2w0;
        set_low_bit(hdr.v.b[0:0]);
        hdr.v.c[3:0] = swap_nibble(hdr.v.c[7:4]);
    }
}

control MyEgress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) { apply { } }
control MyComputeChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }
control MyDeparser(packet_out pkt, in headers_t hdr) { apply { pkt.emit(hdr.v); } }

V1Switch(MyParser(), MyVerifyChecksum(), MyIngress(), MyEgress(), MyComputeChecksum(), MyDeparser()) main;
