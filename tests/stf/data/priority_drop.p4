/* Sets standard_metadata.priority from the packet. simple_switch with one queue per port (its
 * default) drops every packet whose priority is not 0; so does softp4. */
#include <core.p4>
#include <v1model.p4>

header prio_t { bit<8> priority; bit<8> port; }
struct headers_t { prio_t p; }
struct metadata_t { }

parser PrioParser(packet_in pkt, out headers_t hdr, inout metadata_t meta, inout standard_metadata_t sm) {
    state start { pkt.extract(hdr.p); transition accept; }
}
control NoVerify(inout headers_t hdr, inout metadata_t meta) { apply { } }
control SetPriority(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t sm) {
    apply {
        sm.priority = (bit<3>)hdr.p.priority;
        sm.egress_spec = (bit<9>)hdr.p.port;
    }
}
control NoEgress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t sm) { apply { } }
control NoUpdate(inout headers_t hdr, inout metadata_t meta) { apply { } }
control PrioDeparser(packet_out pkt, in headers_t hdr) { apply { pkt.emit(hdr.p); } }

V1Switch(PrioParser(), NoVerify(), SetPriority(), NoEgress(), NoUpdate(), PrioDeparser()) main;
