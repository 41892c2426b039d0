/* Evaluation order and copy semantics: operands left to right, `&&`/`||`/`?:` evaluate only
   what the language evaluates, a function's side effect is not seen by an operand read before
   it, an argument the callee also reaches by another name is copied in and out, and `exit`
   inside an action still copies out its arguments.

   Packet: ethernet, then h (op = which case runs, a..f results). */
#include <core.p4>
#include <v1model.p4>

header ethernet_t { bit<48> dst; bit<48> src; bit<16> ether_type; }
header h_t { bit<8> op; bit<8> a; bit<8> b; bit<8> c; bit<8> d; bit<8> e; bit<8> f; }
struct headers_t { ethernet_t ethernet; h_t h; }
struct metadata_t { bit<8> unused; }

bit<8> bump(inout bit<8> x) {
    x = x + 1;
    return 8w10;
}

bool mark(inout bit<8> x) {
    x = 8w0x55;
    return true;
}

parser MyParser(packet_in pkt, out headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    state start {
        pkt.extract(hdr.ethernet);
        pkt.extract(hdr.h);
        transition accept;
    }
}

control MyVerifyChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }

control MyIngress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    action set_and_exit(inout bit<8> v) {
        v = 8w0x77;
        exit;
    }
    action overwrite_through_copy(inout h_t copy) {
        hdr.h.a = 8w0x11;      // changes hdr.h, not `copy`; copy-out puts the old a back
        copy.b = copy.a;
    }
    action read_copy(in h_t copy) {
        hdr.h.c = 8w0x22;
        hdr.h.d = copy.c;      // the value c had at the call
    }
    apply {
        std.egress_spec = 1;
        if (hdr.h.op == 1) {
            // short circuit: neither mark() runs; the `?:` runs only its taken branch
            bool x = (hdr.h.a == 0) || mark(hdr.h.b);
            bool y = (hdr.h.a != 0) && mark(hdr.h.c);
            hdr.h.d = x ? 8w1 : 8w2;
            hdr.h.e = y ? 8w1 : 8w2;
            hdr.h.f = (hdr.h.a == 0) ? bump(hdr.h.a) : bump(hdr.h.b);
        } else if (hdr.h.op == 2) {
            // the left operand is read before bump() changes it: 5 + 10, and 5 == 5
            hdr.h.b = hdr.h.a + bump(hdr.h.a);
            if (hdr.h.c == bump(hdr.h.c) - 4) {
                hdr.h.d = 8w1;
            }
            h_t t = { hdr.h.op, hdr.h.e, bump(hdr.h.e), 0, 0, 0, 0 };
            hdr.h.f = t.a;
        } else if (hdr.h.op == 3) {
            overwrite_through_copy(hdr.h);
            read_copy(hdr.h);
        } else if (hdr.h.op == 4) {
            set_and_exit(hdr.h.a);
        }
        hdr.h.op = 0xff;   // not reached after exit
    }
}

control MyEgress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) { apply { } }
control MyComputeChecksum(inout headers_t hdr, inout metadata_t meta) { apply { } }
control MyDeparser(packet_out pkt, in headers_t hdr) {
    apply {
        pkt.emit(hdr.ethernet);
        pkt.emit(hdr.h);
    }
}

V1Switch(MyParser(), MyVerifyChecksum(), MyIngress(), MyEgress(), MyComputeChecksum(), MyDeparser()) main;
