/* nic_parser.p4: the NIC's parser and deparser. */
#ifndef JS_NIC_PARSER_P4
#define JS_NIC_PARSER_P4

#include "headers.p4"

/* The NIC tells its ports apart by number: the uplink carries Ethernet, the
 * CPU port carries the controller's orders, every other port carries raw TLPs
 * from one accelerator. */
parser NicParser(packet_in pkt,
                 out nic_headers_t hdr,
                 inout nic_meta_t meta,
                 inout standard_metadata_t standard_metadata) {
    state start {
        transition select(standard_metadata.ingress_port) {
            NIC_UPLINK_PORT: parse_ethernet;
            CPU_PORT: parse_packet_out;
            default: parse_tlp;
        }
    }

    state parse_packet_out {
        pkt.extract(hdr.packet_out);
        transition accept;
    }

    state parse_ethernet {
        pkt.extract(hdr.ethernet);
        transition select(hdr.ethernet.ether_type) {
            ETHERTYPE_JS: parse_js;
            default: accept;
        }
    }

    state parse_js {
        pkt.extract(hdr.js);
        transition select(hdr.js.version, hdr.js.msg_type) {
            (JS_VERSION, MSG_DATA): parse_tlp;
            default: accept;
        }
    }

    state parse_tlp {
        pkt.extract(hdr.tlp);
        transition select(hdr.tlp.fmt, hdr.tlp.tlp_type) {
            (TLP_FMT_3DW_DATA, TLP_TYPE_MEM): parse_addr32;
            (TLP_FMT_4DW_DATA, TLP_TYPE_MEM): parse_addr64;
            default: accept;
        }
    }

    state parse_addr32 {
        pkt.extract(hdr.a32);
        transition select(hdr.tlp.length) {
            1: parse_dw0;
            default: accept;
        }
    }

    state parse_addr64 {
        pkt.extract(hdr.a64);
        transition select(hdr.tlp.length) {
            1: parse_dw0;
            default: accept;
        }
    }

    state parse_dw0 {
        pkt.extract(hdr.dw0);
        transition accept;
    }
}

control NicDeparser(packet_out pkt, in nic_headers_t hdr) {
    apply {
        pkt.emit(hdr.packet_in);
        pkt.emit(hdr.packet_out);
        pkt.emit(hdr.ethernet);
        pkt.emit(hdr.js);
        pkt.emit(hdr.tlp);
        pkt.emit(hdr.a32);
        pkt.emit(hdr.a64);
        pkt.emit(hdr.dw0);
        pkt.emit(hdr.ack_msg);
    }
}

#endif
