/* uplink_check.p4: a frame from the network must be ours (EtherType),
 * of our version, and of a known message type. */
#ifndef JS_UPLINK_CHECK_P4
#define JS_UPLINK_CHECK_P4

control UplinkCheck(inout nic_headers_t hdr, inout nic_meta_t meta) {
    apply {
        if (!hdr.ethernet.isValid()) {
            meta.drop_reason = DROP_PARSE;
        } else if (!hdr.js.isValid()) {
            meta.drop_reason = DROP_NOT_JS;
        } else if (hdr.js.version != JS_VERSION) {
            meta.drop_reason = DROP_BAD_VERSION;
        } else if (hdr.js.msg_type != MSG_DATA && hdr.js.msg_type != MSG_ACK
                   && hdr.js.msg_type != MSG_NACK) {
            meta.drop_reason = DROP_BAD_TYPE;
        }
    }
}

#endif
