/* Compound assignment (P4-16 1.2.4): `x op= e` is `x = x op e` with `x` evaluated once, so a
   run-time index that calls a function is computed once; `>>=` and the saturating forms too. */
#include <core.p4>
#include <v1model.p4>

header ethernet_t { bit<48> dst; bit<48> src; bit<16> ether_type; }
header v_t { bit<8> i; bit<8> a; bit<8> b; bit<8> c; bit<8> d; }
header slot_t { bit<8> x; }
struct headers_t { ethernet_t ethernet; v_t v; slot_t[4] slots; }
struct metadata_t { }

bit<8> next_index(inout bit<8> i) {
    bit<8> current = i;
    i += 1;
    return current;
}

parser MyParser(packet_in pkt, out headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    state start {
        pkt.extract(hdr.ethernet);
        pkt.extract(hdr.v);
        pkt.extract(hdr.slots.next);
        pkt.extract(hdr.slots.next);
        pkt.extract(hdr.slots.next);
        pkt.extract(hdr.slots.next);
        transition accept;
    }
}

control MyVerifyChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }

control MyIngress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    apply {
        std.egress_spec = 1;
        hdr.v.a += 5;
        hdr.v.b >>= 2;
        hdr.v.c |+|= 0xf0;
        hdr.v.d[3:0] ^= 0xf;
        hdr.slots[next_index(hdr.v.i) & 3].x |= 0x80;
        hdr.slots[next_index(hdr.v.i) & 3].x -= 1;
    }
}

control MyEgress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) { apply { } }
control MyComputeChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }
control MyDeparser(packet_out pkt, in headers_t hdr) {
    apply {
        pkt.emit(hdr.ethernet);
        pkt.emit(hdr.v);
        pkt.emit(hdr.slots);
    }
}

V1Switch(MyParser(), MyVerifyChecksum(), MyIngress(), MyEgress(), MyComputeChecksum(), MyDeparser()) main;
