/* tor_parser.p4: the ToR's parser and deparser. */
#ifndef JS_TOR_PARSER_P4
#define JS_TOR_PARSER_P4

#include "headers.p4"

parser TorParser(packet_in pkt,
                 out tor_headers_t hdr,
                 inout tor_meta_t meta,
                 inout standard_metadata_t standard_metadata) {
    state start {
        pkt.extract(hdr.ethernet);
        transition select(hdr.ethernet.ether_type) {
            ETHERTYPE_JS: parse_js;
            default: accept;
        }
    }

    state parse_js {
        pkt.extract(hdr.js);
        transition accept;
    }
}

control TorDeparser(packet_out pkt, in tor_headers_t hdr) {
    apply {
        pkt.emit(hdr.ethernet);
        pkt.emit(hdr.js);
    }
}

#endif
