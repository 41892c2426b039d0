/* A varbit local variable (a metadata header instance of its own, as p4c lays it out): the
   varbit fields of two headers are swapped through it, lengths included. */
#include <core.p4>
#include <v1model.p4>

header opt_t { bit<8> len; varbit<32> data; }
struct headers_t { opt_t first; opt_t second; }
struct metadata_t { varbit<32> unused_in_metadata; }

parser MyParser(packet_in pkt, out headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    state start {
        pkt.extract(hdr.first, (bit<32>) pkt.lookahead<bit<8>>() * 8);
        pkt.extract(hdr.second, (bit<32>) pkt.lookahead<bit<8>>() * 8);
        transition accept;
    }
}

control MyVerifyChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }

control MyIngress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    varbit<32> saved;
    apply {
        std.egress_spec = 1;
        saved = hdr.first.data;
        hdr.first.data = hdr.second.data;
        hdr.second.data = saved;
    }
}

control MyEgress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) { apply { } }
control MyComputeChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }
control MyDeparser(packet_out pkt, in headers_t hdr) {
    apply {
        pkt.emit(hdr.first);
        pkt.emit(hdr.second);
    }
}

V1Switch(MyParser(), MyVerifyChecksum(), MyIngress(), MyEgress(), MyComputeChecksum(), MyDeparser()) main;
