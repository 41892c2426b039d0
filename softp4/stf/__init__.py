"""p4c's STF packet tests on the softp4 switch: `softp4 stf prog.p4 prog.stf` (or `--json prog.json`).

Commands, one per line, `#` starts a comment, keywords in any case:

    add <table> [<prio>] <key>:<value> ... <action>(<param>:<value>, ...) [= <id>]
    setdefault <table> <action>(<param>:<value>, ...)
    packet <port> <hex bytes>
    expect <port> [<hex nibbles, * matches any>][$]     no data: any packets on that port
    wait | no_packet | remove all                        (no effect: packets run to completion)
    check_counter <counter>(<index or entry id>) [packets|bytes <op> <n>]   op: == != < <= > >=
    mirroring_add <session> <port> | mirroring_add_mc <session> <group> | mirroring_delete <session>
    mc_mgrp_create <group> | mc_node_create <rid> <ports...> | mc_node_update <handle> <ports...>
    mc_node_associate <group> <node handle>              (node handles count from 0, as in BMv2)
    register_write <reg> <index> <value> | register_reset <reg> | counter_write <c> <i> <pkts> <bytes>
    meter_set_rates <meter> <index> <rate>:<burst> ...   rates per microsecond, as BMv2's CLI;
    meter_array_set_rates <meter> <rate>:<burst> ...     a direct meter's index is the entry handle
    register_read, counter_read, mirroring_get, meter_get_rates   (accepted, no effect)

Names may be any suffix of the full name (`dmac` for `MyIngress.dmac`); key fields are the JSON key
names (`hdr.h.f`, `h.f`, `f`, `h$0.f` for `h[0].f`, `h.valid` or `valid` for `$valid$`). Values are
decimal, 0x hex, 0b binary or 0o octal; in hex/binary/octal a `*` digit is a wildcard (ternary mask
from the written digits, as p4c's BMv2 runner does), `v/len` is an LPM prefix, and an LPM value
without `/len` gets the written non-`*` digits as its prefix. A higher STF priority wins.

softp4 extensions (not in p4c's runner): `<key>:<low>-><high>` for range keys;
`pvs_add|pvs_remove <value set> <value>[&&&<mask>]`; `member <profile> <id> <action>(...)`,
`group <profile> <id> <member ids...>`, and `add <table> <key>... member(id:N)` or `group(id:N)`
for tables with an action profile or selector.

Checking follows p4c: only ports named by `packet` or `expect` exist (output elsewhere is lost);
per port the number of packets must equal the number of expects, compared in order; a received
packet may be longer than expected unless the expect ends in `$`.
"""
