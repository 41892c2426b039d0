/*
 * nic.p4: the JetStream transparent NIC (v1model).
 *
 * PCIe ports carry raw TLPs of local accelerators; NIC_UPLINK_PORT carries
 * Ethernet. A memory write from an accelerator goes out as a DATA frame;
 * a DATA frame from the network lands as a memory write on the destination
 * accelerator's PCIe port; ACK and NACK frames become mailbox writes for
 * the sending accelerator. A packet-out from the controller is an order that
 * resets a stream's registers. docs/protocol.md describes the protocol.
 */
#include <core.p4>
#include <v1model.p4>

#include "include/defines.p4"
#include "include/sizes.p4"
#include "include/headers.p4"
#include "include/nic_parser.p4"
#include "include/control/tlp_check.p4"
#include "include/control/tlp_address.p4"
#include "include/control/tx_path.p4"
#include "include/control/station.p4"
#include "include/control/uplink_check.p4"
#include "include/control/rx_path.p4"
#include "include/control/ack_path.p4"
#include "include/control/orders.p4"
#include "include/control/accounting.p4"
#include "include/control/output_shape.p4"

control NicVerifyChecksum(inout nic_headers_t hdr, inout nic_meta_t meta) {
    apply { }
}

control NicIngress(inout nic_headers_t hdr,
                   inout nic_meta_t meta,
                   inout standard_metadata_t standard_metadata) {
    TxPath() tx_path;
    Station() station;
    UplinkCheck() uplink_check;
    RxPath() rx_path;
    AckPath() ack_path;
    Orders() orders;
    Accounting() accounting;

    apply {
        mark_to_drop(standard_metadata);
        if (standard_metadata.ingress_port == NIC_UPLINK_PORT && hdr.ethernet.isValid()) {
            /* a unicast frame for another NIC is not ours to judge, whatever it holds */
            station.apply(hdr, meta);
        }
        if (meta.drop_reason != DROP_NONE) {
            /* not for this NIC: counted by accounting, nothing else */
        } else if (standard_metadata.parser_error != error.NoError) {
            meta.drop_reason = DROP_PARSE;
        } else if (hdr.packet_out.isValid()) {
            orders.apply(hdr, meta);
        } else if (standard_metadata.ingress_port == NIC_UPLINK_PORT) {
            uplink_check.apply(hdr, meta);
            if (hdr.js.msg_type == MSG_DATA) {
                meta.path = PATH_RX;
            } else {
                meta.path = PATH_ACK;
            }
        } else {
            meta.path = PATH_TX;
        }
        if (meta.drop_reason == DROP_NONE) {
            if (meta.path == PATH_TX) {
                tx_path.apply(hdr, meta, standard_metadata);
            } else if (meta.path == PATH_RX) {
                rx_path.apply(hdr, meta, standard_metadata);
            } else if (meta.path == PATH_ACK) {
                ack_path.apply(hdr, meta, standard_metadata);
            }
        }
        accounting.apply(hdr, meta, standard_metadata);
    }
}

control NicEgress(inout nic_headers_t hdr,
                  inout nic_meta_t meta,
                  inout standard_metadata_t standard_metadata) {
    OutputShape() output_shape;

    apply {
        output_shape.apply(hdr, meta, standard_metadata);
    }
}

control NicComputeChecksum(inout nic_headers_t hdr, inout nic_meta_t meta) {
    apply { }
}

V1Switch(NicParser(),
         NicVerifyChecksum(),
         NicIngress(),
         NicEgress(),
         NicComputeChecksum(),
         NicDeparser()) main;
