/* port_counters.p4: frames and bytes received and sent per ToR port, and sent per queue. */
#ifndef JS_PORT_COUNTERS_P4
#define JS_PORT_COUNTERS_P4

control PortRxCounter(in standard_metadata_t standard_metadata) {
    counter(PORT_COUNT, CounterType.packets_and_bytes) rx;

    apply {
        rx.count((bit<32>)standard_metadata.ingress_port);
    }
}

control PortTxCounter(in standard_metadata_t standard_metadata) {
    counter(PORT_COUNT, CounterType.packets_and_bytes) tx;
    /* frames sent per egress queue (standard_metadata.priority) */
    counter(QUEUE_COUNT, CounterType.packets_and_bytes) queue;

    apply {
        tx.count((bit<32>)standard_metadata.egress_port);
        queue.count((bit<32>)standard_metadata.priority);
    }
}

#endif
