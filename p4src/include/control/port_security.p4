/* port_security.p4: source-port binding for the protocol's frames. The ToR
 * knows which NIC MAC is cabled to which port (the rows of `binding`, one per
 * NIC, installed with its L2 entry); a protocol frame (EtherType ETHERTYPE_JS)
 * whose source MAC is not bound to its ingress port is dropped and counted per
 * ingress port, so no server can speak the protocol under another NIC's MAC.
 * Other traffic is not checked: for it the ToR stays a plain L2 switch. */
#ifndef JS_PORT_SECURITY_P4
#define JS_PORT_SECURITY_P4

control PortSecurity(in tor_headers_t hdr,
                     inout tor_meta_t meta,
                     inout standard_metadata_t standard_metadata) {
    counter(PORT_COUNT, CounterType.packets_and_bytes) forged;

    action bound() { }

    action unbound() {
        meta.forged = 1;
    }

    table binding {
        key = {
            standard_metadata.ingress_port: exact @name("port");
            hdr.ethernet.src_addr: exact @name("src_mac");
        }
        actions = {
            bound;
            @defaultonly unbound;
        }
        const default_action = unbound();
        size = PORT_BINDING_TABLE_SIZE;
    }

    apply {
        /* the EtherType, not a parsed stream header: a truncated protocol frame is checked too */
        if (hdr.ethernet.ether_type == ETHERTYPE_JS) {
            binding.apply();
            if (meta.forged == 1) {
                forged.count((bit<32>)standard_metadata.ingress_port);
                mark_to_drop(standard_metadata);
            }
        }
    }
}

#endif
