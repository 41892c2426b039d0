/* tlp_address.p4: write meta.new_addr into the TLP, choosing the 3 DW header
 * below 4 GiB and the 4 DW header above it, as PCIe requires. */
#ifndef JS_TLP_ADDRESS_P4
#define JS_TLP_ADDRESS_P4

control TlpAddress(inout nic_headers_t hdr, inout nic_meta_t meta) {
    apply {
        if (meta.new_addr[63:32] == 0) {
            hdr.a64.setInvalid();
            hdr.a32.setValid();
            hdr.a32.addr = meta.new_addr[31:2];
            hdr.a32.ph = meta.ph;
            hdr.tlp.fmt = TLP_FMT_3DW_DATA;
            meta.tlp_hdr_bytes = TLP_HDR_3DW_BYTES;
        } else {
            hdr.a32.setInvalid();
            hdr.a64.setValid();
            hdr.a64.addr = meta.new_addr[63:2];
            hdr.a64.ph = meta.ph;
            hdr.tlp.fmt = TLP_FMT_4DW_DATA;
            meta.tlp_hdr_bytes = TLP_HDR_4DW_BYTES;
        }
        meta.tlp_bytes = meta.tlp_hdr_bytes + meta.payload_bytes;
    }
}

#endif
