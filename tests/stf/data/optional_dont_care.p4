/* Const entries of a table with two optional keys; `_` is a don't-care (p4c writes it with mask 0). */
#include <core.p4>
#include <v1model.p4>

header tag_t { bit<8> kind; bit<16> vlan; bit<8> seen; }
struct headers_t { tag_t tag; }
struct metadata_t { }

parser TagParser(packet_in pkt, out headers_t hdr, inout metadata_t meta, inout standard_metadata_t sm) {
    state start { pkt.extract(hdr.tag); transition accept; }
}
control NoVerify(inout headers_t hdr, inout metadata_t meta) { apply { } }
control Classify(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t sm) {
    action to_port(bit<9> port) { sm.egress_spec = port; hdr.tag.seen = (bit<8>)port; }
    table by_kind_and_vlan {
        key = { hdr.tag.kind : optional; hdr.tag.vlan : optional; }
        actions = { to_port; }
        default_action = to_port(9);
        const entries = {
            (0x10, 0x0064) : to_port(1);
            (_,    0x0064) : to_port(2);
            (0x10, _)      : to_port(3);
            (_,    _)      : to_port(4);
        }
    }
    apply { by_kind_and_vlan.apply(); }
}
control NoEgress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t sm) { apply { } }
control NoUpdate(inout headers_t hdr, inout metadata_t meta) { apply { } }
control TagDeparser(packet_out pkt, in headers_t hdr) { apply { pkt.emit(hdr.tag); } }

V1Switch(TagParser(), NoVerify(), Classify(), NoEgress(), NoUpdate(), TagDeparser()) main;
