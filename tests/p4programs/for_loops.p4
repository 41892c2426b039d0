/* for loops (P4-16 1.2.4): in actions (jumps), over a range, over a header stack in an apply block. */
#include <core.p4>
#include <v1model.p4>
header h_t { bit<8> count; bit<32> sum; }
header tag_t { bit<8> v; }
struct headers_t { h_t h; tag_t[3] tags; }
struct metadata_t { }
parser P(packet_in pkt, out headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    state start { pkt.extract(hdr.h); transition accept; }
}
control VC(inout headers_t hdr, inout metadata_t meta) { apply { } }
control I(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    action sum_to_count() {
        hdr.h.sum = 0;
        for (bit<8> i = 1; i <= hdr.h.count; i = i + 1) {
            hdr.h.sum = hdr.h.sum + (bit<32>)i;
        }
    }
    action odd_until_five() {
        for (bit<8> i = 0; i < 10; i = i + 1) {
            if (i == 5) { break; }
            if (i[0:0] == 0) { continue; }
            hdr.h.sum = hdr.h.sum + 1;
        }
    }
    action whole_range() {
        for (bit<8> i in 0 .. 255) {
            hdr.h.sum = hdr.h.sum + 1;
        }
    }
    table t {
        key = { hdr.h.count : exact; }
        actions = { sum_to_count; odd_until_five; whole_range; }
        default_action = sum_to_count;
    }
    apply {
        t.apply();
        for (tag_t x in hdr.tags) {
            hdr.h.sum = hdr.h.sum + (bit<32>)x.v;
        }
    }
}
control E(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) { apply { } }
control CC(inout headers_t hdr, inout metadata_t meta) { apply { } }
control D(packet_out pkt, in headers_t hdr) { apply { pkt.emit(hdr.h); } }
V1Switch(P(), VC(), I(), E(), CC(), D()) main;
