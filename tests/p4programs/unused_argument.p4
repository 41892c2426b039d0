/* An action argument the body never uses is not copied in or out (as p4c removes the
   copies): a run-time stack index out of range in such an argument is harmless, while the
   used argument of `bump` is copied as usual, and so is the unused argument of `clobber`,
   which the body reaches by its own name (its copy-out undoes the body's write). */
#include <core.p4>
#include <v1model.p4>

header ethernet_t { bit<48> dst; bit<48> src; bit<16> ether_type; }
header item_t { bit<8> v; }
struct headers_t { ethernet_t ethernet; item_t[2] items; }
struct metadata_t { }

parser MyParser(packet_in pkt, out headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    state start {
        pkt.extract(hdr.ethernet);
        pkt.extract(hdr.items.next);
        pkt.extract(hdr.items.next);
        transition accept;
    }
}

control MyVerifyChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }

control MyIngress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    action ignore(inout bit<8> unused) { }
    action bump(inout bit<8> x) { x = x + 1; }
    action clobber(inout item_t unused) { hdr.items[0].v = 0x99; }
    apply {
        std.egress_spec = 1;
        ignore(hdr.items[hdr.ethernet.ether_type].v);
        bump(hdr.items[1].v);
        clobber(hdr.items[0]);
    }
}

control MyEgress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) { apply { } }
control MyComputeChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }
control MyDeparser(packet_out pkt, in headers_t hdr) {
    apply {
        pkt.emit(hdr.ethernet);
        pkt.emit(hdr.items);
    }
}

V1Switch(MyParser(), MyVerifyChecksum(), MyIngress(), MyEgress(), MyComputeChecksum(), MyDeparser()) main;
