/* tlp_check.p4: is the TLP a memory write we carry, and how long is it.
 * Fills meta.addr (byte address), meta.ph, meta.tlp_hdr_bytes,
 * meta.payload_bytes and meta.tlp_bytes. A write PCIe forbids is dropped:
 * byte enables against the rules of PCIe Base Spec 2.2.5 (DROP_BYTE_ENABLES),
 * a request across a 4 KiB boundary, 2.2.7 (DROP_4K_CROSS). */
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
            /* byte enables. 1 DW: Last DW BE 0000, any First DW BE (0000 is a
             * zero-length write). More: neither is 0000; and unless the write is
             * 2 DW and QW-aligned, the enabled bytes are contiguous: First DW BE
             * 1111/1110/1100/1000, Last DW BE 0001/0011/0111/1111. */
            bit<4> first = hdr.tlp.first_be;
            bit<4> last = hdr.tlp.last_be;
            if (meta.payload_bytes == 4) {
                if (last != 0) {
                    meta.drop_reason = DROP_BYTE_ENABLES;
                }
            } else if (first == 0 || last == 0) {
                meta.drop_reason = DROP_BYTE_ENABLES;
            } else if (meta.payload_bytes > 8 || meta.addr[2:2] == 1) {
                if ((first != 0xF && first != 0xE && first != 0xC && first != 0x8)
                        || (last != 0x1 && last != 0x3 && last != 0x7 && last != 0xF)) {
                    meta.drop_reason = DROP_BYTE_ENABLES;
                }
            }
            if (meta.drop_reason == DROP_NONE
                    && (bit<32>)meta.addr[11:0] + meta.payload_bytes > PCIE_PAGE_BYTES) {
                meta.drop_reason = DROP_4K_CROSS;
            }
        }
    }
}

#endif
