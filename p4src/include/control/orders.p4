/* orders.p4: an order of the controller, taken from a packet-out on the CPU
 * port. A well-formed order goes to the path that owns the registers it
 * resets (TX: next_seq; RX: expected and nacked; mailbox: acked), which
 * answers it; anything else is refused: counted DROP_BAD_ORDER and answered
 * PUNT_ORDER_REFUSED. */
#ifndef JS_ORDERS_P4
#define JS_ORDERS_P4

control Orders(inout nic_headers_t hdr, inout nic_meta_t meta) {
    apply {
        if (hdr.packet_out.op == ORDER_RESET_MAILBOX) {
            if (hdr.packet_out.stream < MAILBOX_TABLE_SIZE) {
                meta.path = PATH_ACK;
            } else {
                meta.drop_reason = DROP_BAD_ORDER;
            }
        } else if (hdr.packet_out.stream >= STREAM_COUNT) {
            meta.drop_reason = DROP_BAD_ORDER;
        } else if (hdr.packet_out.op == ORDER_RESET_TX_STREAM) {
            meta.path = PATH_TX;
        } else if (hdr.packet_out.op == ORDER_RESET_RX_STREAM) {
            meta.path = PATH_RX;
        } else {
            meta.drop_reason = DROP_BAD_ORDER;
        }
        if (meta.drop_reason == DROP_NONE) {
            meta.stream = hdr.packet_out.stream;
        } else {
            meta.punt_reason = PUNT_ORDER_REFUSED;
        }
    }
}

#endif
