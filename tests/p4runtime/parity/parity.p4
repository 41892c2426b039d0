// The program of the P4Runtime parity script (parity.py): every kind of object a P4Runtime client
// touches, compiled by softp4 for both softp4 and simple_switch_grpc.
#include <core.p4>
#include <v1model.p4>

@controller_header("packet_in") header packet_in_t { bit<9> ingress_port; bit<7> _pad; }
@controller_header("packet_out") header packet_out_t { bit<9> egress_port; bit<7> _pad; }
header ethernet_t { bit<48> dstAddr; bit<48> srcAddr; bit<16> etherType; }
struct headers { packet_out_t packet_out; packet_in_t packet_in; ethernet_t ethernet; }
struct metadata { bit<8> color; }
struct learn_t { bit<48> srcAddr; bit<9> ingress_port; }

parser MyParser(packet_in pkt, out headers hdr, inout metadata meta, inout standard_metadata_t sm) {
    state start { transition select(sm.ingress_port) { 255: parse_packet_out; default: parse_ethernet; } }
    state parse_packet_out { pkt.extract(hdr.packet_out); transition parse_ethernet; }
    value_set<bit<16>>(4) pvs;
    state parse_ethernet { pkt.extract(hdr.ethernet); transition select(hdr.ethernet.etherType) { pvs: accept; default: accept; } }
}

control ingress(inout headers hdr, inout metadata meta, inout standard_metadata_t sm) {
    counter(8, CounterType.packets_and_bytes) port_counter;
    direct_counter(CounterType.packets_and_bytes) dmac_counter;
    meter(8, MeterType.bytes) port_meter;
    direct_meter<bit<8>>(MeterType.bytes) smac_meter;
    register<bit<32>>(16) reg;
    action drop() { mark_to_drop(sm); }
    action forward(bit<9> port) { sm.egress_spec = port; }
    action set_mcast(bit<16> grp) { sm.mcast_grp = grp; }
    action to_cpu() { sm.egress_spec = 255; hdr.packet_in.setValid(); hdr.packet_in.ingress_port = sm.ingress_port; }
    action learn() { smac_meter.read(meta.color); digest<learn_t>(1, { hdr.ethernet.srcAddr, sm.ingress_port }); }
    action from_cpu() { sm.egress_spec = hdr.packet_out.egress_port; hdr.packet_out.setInvalid(); }
    action dmac_forward(bit<9> port) { dmac_counter.count(); port_counter.count(0); port_meter.execute_meter(0, meta.color); reg.write(0, 1); sm.egress_spec = port; }
    table smac { key = { hdr.ethernet.srcAddr: exact; } actions = { learn; NoAction; } default_action = learn();
                 meters = smac_meter; size = 256; }
    table dmac { key = { hdr.ethernet.dstAddr: exact; } actions = { dmac_forward; set_mcast; drop; }
                 default_action = drop(); counters = dmac_counter; size = 256; }
    table routes { key = { hdr.ethernet.dstAddr: lpm @name("dst"); } actions = { forward; drop; NoAction; }
                   default_action = NoAction(); size = 200000; }
    table acl { key = { hdr.ethernet.etherType: ternary; hdr.ethernet.srcAddr: optional; sm.ingress_port: range; }
                actions = { to_cpu; drop; @defaultonly NoAction; } default_action = NoAction(); size = 4; }
    table const_t { key = { hdr.ethernet.etherType: exact; } actions = { drop; NoAction; }
                    const entries = { 0x0806: drop(); } const default_action = NoAction(); }
    table ageing { key = { hdr.ethernet.dstAddr: exact; } actions = { forward; NoAction; } default_action = NoAction();
                   support_timeout = true; size = 16; }
    action_selector(HashAlgorithm.crc16, 32w16, 32w4) ecmp_selector;
    table ecmp { key = { hdr.ethernet.dstAddr: exact; hdr.ethernet.srcAddr: selector; }
                 actions = { forward; drop; @defaultonly NoAction; } implementation = ecmp_selector; size = 64; }
    apply {
        if (hdr.packet_out.isValid()) { from_cpu(); }
        else { smac.apply(); dmac.apply(); routes.apply(); acl.apply(); const_t.apply(); ecmp.apply(); ageing.apply(); }
    }
}
control egress(inout headers hdr, inout metadata meta, inout standard_metadata_t sm) { apply { } }
control MyDeparser(packet_out pkt, in headers hdr) { apply { pkt.emit(hdr.packet_in); pkt.emit(hdr.ethernet); } }
control MyVerifyChecksum(inout headers hdr, inout metadata meta) { apply { } }
control MyComputeChecksum(inout headers hdr, inout metadata meta) { apply { } }
V1Switch(MyParser(), MyVerifyChecksum(), ingress(), egress(), MyComputeChecksum(), MyDeparser()) main;
