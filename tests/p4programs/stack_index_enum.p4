/* A serializable enum as a run-time header-stack index (p4c takes it as its underlying
   integer): the packet's first byte, cast to the enum, picks the slot that is set. */
#include <core.p4>
#include <v1model.p4>

enum bit<8> Slot_t { FIRST = 0, SECOND = 1, THIRD = 2 }

header sel_t { bit<8> slot; }
header slot_t { bit<8> x; }
struct headers_t { sel_t sel; slot_t[3] slots; }
struct metadata_t { }

parser MyParser(packet_in pkt, out headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    state start {
        pkt.extract(hdr.sel);
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
        Slot_t s = (Slot_t) hdr.sel.slot;
        hdr.slots[s].x = 0xee;
    }
}

control MyEgress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) { apply { } }
control MyComputeChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }
control MyDeparser(packet_out pkt, in headers_t hdr) {
    apply {
        pkt.emit(hdr.sel);
        pkt.emit(hdr.slots);
    }
}

V1Switch(MyParser(), MyVerifyChecksum(), MyIngress(), MyEgress(), MyComputeChecksum(), MyDeparser()) main;
