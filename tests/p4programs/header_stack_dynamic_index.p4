/* Header stack elements chosen at run time: read, write and invalidate hdr.s[i]. */
#include <core.p4>
#include <v1model.p4>
header h_t { bit<8> v; }
header idx_t { bit<8> i; bit<8> x; }
struct headers_t { idx_t idx; h_t[4] s; }
struct metadata_t { }
parser MyParser(packet_in pkt, out headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    state start { pkt.extract(hdr.idx); pkt.extract(hdr.s.next); pkt.extract(hdr.s.next); pkt.extract(hdr.s.next); pkt.extract(hdr.s.next); transition accept; }
}
control V(inout headers_t hdr, inout metadata_t meta) { apply { } }
control I(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    apply {
        hdr.idx.x = hdr.s[hdr.idx.i].v;
        hdr.s[hdr.idx.i].v = 0xee;
        if (hdr.s[hdr.idx.i + 1].isValid()) { hdr.s[hdr.idx.i + 1].setInvalid(); }
        std.egress_spec = 1;
    }
}
control E(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) { apply { } }
control C(inout headers_t hdr, inout metadata_t meta) { apply { } }
control D(packet_out pkt, in headers_t hdr) { apply { pkt.emit(hdr); } }
V1Switch(MyParser(), V(), I(), E(), C(), D()) main;
