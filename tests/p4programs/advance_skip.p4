/* advance() skips a fixed-size shim and a variable amount given by a field. */
#include <core.p4>
#include <v1model.p4>

header ethernet_t { bit<48> dst; bit<48> src; bit<16> ether_type; }
header shim_len_t { bit<8> skip_bytes; }
header inner_t { bit<16> id; bit<16> value; }
struct headers_t { ethernet_t ethernet; shim_len_t shim; inner_t inner; }
struct metadata_t { }

parser MyParser(packet_in pkt, out headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    state start {
        pkt.extract(hdr.ethernet);
        transition select(hdr.ethernet.ether_type) { 0x88b5: skip; default: accept; }
    }
    state skip {
        pkt.advance(16);
        pkt.extract(hdr.shim);
        pkt.advance((bit<32>)hdr.shim.skip_bytes * 8);
        pkt.extract(hdr.inner);
        transition accept;
    }
}

control MyVerifyChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }
control MyIngress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    apply { std.egress_spec = (bit<9>)hdr.inner.id; }
}
control MyEgress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) { apply { } }
control MyComputeChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }
control MyDeparser(packet_out pkt, in headers_t hdr) { apply { pkt.emit(hdr.ethernet); pkt.emit(hdr.inner); } }

V1Switch(MyParser(), MyVerifyChecksum(), MyIngress(), MyEgress(), MyComputeChecksum(), MyDeparser()) main;
