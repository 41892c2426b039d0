/* tlp_check.p4: is the TLP a memory write we carry, and how long is it.
 * Fills meta.addr (byte address), meta.ph, meta.tlp_hdr_bytes,
 * meta.payload_bytes and meta.tlp_bytes. */
#ifndef JS_TLP_CHECK_P4
#define JS_TLP_CHECK_P4

control TlpCheck(inout nic_headers_t hdr, inout nic_meta_t meta) {
    apply {
        if (!hdr.tlp.isValid()) {
            meta.drop_reason = DROP_PARSE;
        } else if (!hdr.a32.isValid() && !hdr.a64.isValid()) {
            /* not a memory write (reads, completions, messages, config) */
            meta.drop_reason = DROP_NOT_MWR;
        } else if (hdr.tlp.td == 1 || hdr.tlp.ep == 1) {
            /* an ECRC would not survive the address translation; poisoned data never lands */
            meta.drop_reason = DROP_TLP_ATTR;
        } else {
            meta.is_mwr = 1;
            if (hdr.a32.isValid()) {
                meta.tlp_hdr_bytes = TLP_HDR_3DW_BYTES;
                meta.addr = ((bit<64>)hdr.a32.addr) << 2;
                meta.ph = hdr.a32.ph;
            } else {
                meta.tlp_hdr_bytes = TLP_HDR_4DW_BYTES;
                meta.addr = ((bit<64>)hdr.a64.addr) << 2;
                meta.ph = hdr.a64.ph;
            }
            if (hdr.tlp.length == 0) {
                meta.payload_bytes = TLP_MAX_PAYLOAD_BYTES;
            } else {
                meta.payload_bytes = ((bit<32>)hdr.tlp.length) << 2;
            }
            meta.tlp_bytes = meta.tlp_hdr_bytes + meta.payload_bytes;
        }
    }
}

#endif
