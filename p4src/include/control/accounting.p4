/* accounting.p4: every dropped frame counted by reason, every output counted
 * by kind; exceptions go to the controller with a packet-in header. */
#ifndef JS_ACCOUNTING_P4
#define JS_ACCOUNTING_P4

control Accounting(inout nic_headers_t hdr,
                   inout nic_meta_t meta,
                   inout standard_metadata_t standard_metadata) {
    counter(DROP_REASON_COUNT, CounterType.packets_and_bytes) drops;
    counter(OUT_KIND_COUNT, CounterType.packets_and_bytes) outputs;

    apply {
        if (meta.drop_reason != DROP_NONE) {
            drops.count((bit<32>)meta.drop_reason);
        }
        if (meta.punt_reason != 0) {
            hdr.packet_in.setValid();
            hdr.packet_in.ingress_port = (bit<16>)standard_metadata.ingress_port;
            hdr.packet_in.reason = meta.punt_reason;
            standard_metadata.egress_spec = CPU_PORT;
            meta.out_kind = OUT_CPU;
        }
        if (meta.out_kind == OUT_NONE) {
            mark_to_drop(standard_metadata);
        } else {
            outputs.count((bit<32>)meta.out_kind);
        }
    }
}

#endif
