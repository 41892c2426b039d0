/* traffic_class.p4: the ToR classifies each frame, gives the protocol's
 * frames strict priority (standard_metadata.priority; effective with
 * simple_switch --priority-queues 8) and counts frames per class. */
#ifndef JS_TRAFFIC_CLASS_P4
#define JS_TRAFFIC_CLASS_P4

control TrafficClass(inout tor_headers_t hdr,
                     inout tor_meta_t meta,
                     inout standard_metadata_t standard_metadata) {
    counter(TC_COUNT, CounterType.packets_and_bytes) class_frames;

    apply {
        if (hdr.js.isValid()) {
            standard_metadata.priority = PRIO_JS;
            if (hdr.js.msg_type == MSG_DATA) {
                meta.tc = TC_JS_DATA;
            } else {
                meta.tc = TC_JS_CONTROL;
            }
        } else {
            standard_metadata.priority = PRIO_OTHER;
            meta.tc = TC_OTHER;
        }
        class_frames.count((bit<32>)meta.tc);
    }
}

#endif
