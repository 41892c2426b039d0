"""Compile time of softp4 (and of p4c-bm2-ss, if present) for programs of about 100, 1,000 and 3,000 lines.

The programs are generated here: realistic v1model code with header types, a parser
with one state per header, and one control block per feature, each with its own actions
(parameters, arithmetic, slices, concatenation, conditionals), tables (exact, lpm,
ternary, range keys; counters), registers and an apply block with if/else and switch on
action_run.  p4src/nic.p4 and p4src/tor.p4 are timed too.

For softp4 two figures per program:
  * cold: `softp4 compile` in a fresh process, as a Makefile runs it (interpreter start and
    imports included), median of --runs runs;
  * warm: compile_source() in this process after one warm-up run, median of --runs runs, split
    into the stages the driver runs: preprocess, parse, typecheck (front end), BMv2 JSON (back
    end) and P4Info.
Goal (issue 2): no slower than p4c-bm2-ss, about 0.6 s for a 2,800-line program on 2 cores.
p4c-bm2-ss (on PATH, or the command P4C names) is timed cold like softp4 when it is there.

    [P4C=/path/to/p4c-bm2-ss] .venv/bin/python benchmarks/compile_time.py [--runs 5] [--keep DIR]

Prints figures; asserts nothing.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from softp4.cliargs import Parser, integer

ROOT = Path(__file__).resolve().parent.parent
TARGETS = (100, 1000, 3000)

# field widths the extra header types of a generated program cycle through
WIDTHS = (8, 16, 32, 12, 4, 24, 48, 3, 13, 1)


# --------------------------------------------------------------------------------------------
# program generator


def _custom_header(i: int) -> tuple[str, list[tuple[str, int]]]:
    fields: list[tuple[str, int]] = []
    total = 0
    for j in range(4 + i % 5):
        w = WIDTHS[(i + j) % len(WIDTHS)]
        fields.append((f"f{j}", w))
        total += w
    pad = (-total) % 8
    if pad:
        fields.append(("pad", pad))
    fields.append(("next_type", 16))
    return f"tag{i}_t", fields


def _block(i: int, n_headers: int) -> list[str]:
    """One control: actions, tables, a counter and a register, and its apply block."""
    h = f"hdr.tag{i % n_headers}"
    name = f"Feature{i}"
    return [
        f"control {name}(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t sm) {{",
        f"    counter(64, CounterType.packets_and_bytes) hits_{i};",
        f"    register<bit<32>>(256) state_{i};",
        "    bit<32> tmp = 0;",
        "",
        f"    action set_port_{i}(bit<9> port, bit<16> cls) {{",
        "        sm.egress_spec = port;",
        f"        meta.cls = cls ^ (bit<16>){i};",
        f"        hits_{i}.count((bit<32>)port);",
        "    }",
        f"    action rewrite_{i}(bit<48> dmac, bit<8> delta) {{",
        "        hdr.ethernet.src = hdr.ethernet.dst;",
        "        hdr.ethernet.dst = dmac;",
        "        hdr.ipv4.ttl = hdr.ipv4.ttl - delta;",
        f"        meta.hash = meta.hash + (bit<32>)delta * {3 + i % 7};",
        "    }",
        f"    action mark_{i}(bit<6> dscp) {{",
        "        hdr.ipv4.diffserv = dscp ++ hdr.ipv4.diffserv[1:0];",
        f"        meta.flags = meta.flags | 8w{1 << (i % 8)};",
        "    }",
        f"    action remember_{i}() {{",
        f"        state_{i}.read(tmp, (bit<32>)meta.cls[7:0]);",
        "        tmp = tmp + 1;",
        f"        state_{i}.write((bit<32>)meta.cls[7:0], tmp);",
        "        meta.hash = tmp > 100 ? tmp : meta.hash;",
        "    }",
        f"    action drop_{i}() {{",
        "        mark_to_drop(sm);",
        "    }",
        "",
        f"    table classify_{i} {{",
        "        key = {",
        '            hdr.ipv4.srcAddr : ternary @name("src");',
        '            hdr.ipv4.protocol : exact @name("proto");',
        f'            {h}.isValid() : exact @name("tagged");',
        '            meta.l4_dport : range @name("dport");',
        "        }",
        f"        actions = {{ mark_{i}; remember_{i}; NoAction; }}",
        "        default_action = NoAction();",
        f"        size = {512 + 64 * (i % 4)};",
        "    }",
        f"    table route_{i} {{",
        '        key = { hdr.ipv4.dstAddr : lpm @name("dst"); }',
        f"        actions = {{ set_port_{i}; drop_{i}; }}",
        f"        default_action = drop_{i}();",
        "        size = 1024;",
        "    }",
        f"    table next_hop_{i} {{",
        '        key = { meta.cls : exact; sm.egress_spec : exact @name("port"); }',
        f"        actions = {{ rewrite_{i}; NoAction; }}",
        "        const default_action = NoAction();",
        "    }",
        "",
        "    apply {",
        "        if (!hdr.ipv4.isValid()) {",
        "            return;",
        "        }",
        f"        if ({h}.isValid() && {h}.next_type == 16w0x{0x800 + i:04x}) {{",
        f"            meta.cls = (bit<16>){h}.f0 + 16w{i};",
        "        } else if (hdr.ipv4.ttl < 8w2) {",
        f"            drop_{i}();",
        "            exit;",
        "        }",
        f"        switch (route_{i}.apply().action_run) {{",
        f"            set_port_{i}: {{",
        f"                if (classify_{i}.apply().hit) {{",
        f"                    next_hop_{i}.apply();",
        "                }",
        "            }",
        f"            drop_{i}: {{ meta.flags = meta.flags & ~8w1; }}",
        "        }",
        "    }",
        "}",
        "",
    ]


def generate_program(blocks: int, n_headers: int) -> str:
    """A v1model program with `n_headers` extra header types and `blocks` feature controls."""
    out = [
        "/* Generated by benchmarks/compile_time.py: a synthetic v1model program for timing compilers. */",
        "#include <core.p4>",
        "#include <v1model.p4>",
        "",
        "typedef bit<48> mac_t;",
        "typedef bit<32> ip4_t;",
        "const bit<16> TYPE_IPV4 = 0x0800;",
        "const bit<8> PROTO_TCP = 6;",
        "const bit<8> PROTO_UDP = 17;",
        "",
        "header ethernet_t {",
        "    mac_t dst;",
        "    mac_t src;",
        "    bit<16> ether_type;",
        "}",
        "",
        "header ipv4_t {",
        "    bit<4> version;",
        "    bit<4> ihl;",
        "    bit<8> diffserv;",
        "    bit<16> totalLen;",
        "    bit<16> identification;",
        "    bit<3> flags;",
        "    bit<13> fragOffset;",
        "    bit<8> ttl;",
        "    bit<8> protocol;",
        "    bit<16> hdrChecksum;",
        "    ip4_t srcAddr;",
        "    ip4_t dstAddr;",
        "}",
        "",
        "header l4_t {",
        "    bit<16> sport;",
        "    bit<16> dport;",
        "}",
        "",
    ]
    headers = [_custom_header(i) for i in range(n_headers)]
    for name, fields in headers:
        out.append(f"header {name} {{")
        out += [f"    bit<{w}> {f};" for f, w in fields]
        out += ["}", ""]
    out += ["struct headers_t {", "    ethernet_t ethernet;"]
    out += [f"    tag{i}_t tag{i};" for i in range(n_headers)]
    out += ["    ipv4_t ipv4;", "    l4_t l4;", "}", ""]
    out += [
        "struct metadata_t {",
        "    bit<16> cls;",
        "    bit<32> hash;",
        "    bit<8> flags;",
        "    bit<16> l4_dport;",
        "}",
        "",
        "parser MyParser(packet_in pkt, out headers_t hdr, inout metadata_t meta, inout standard_metadata_t sm) {",
        "    state start {",
        "        pkt.extract(hdr.ethernet);",
        "        transition select(hdr.ethernet.ether_type) {",
        "            TYPE_IPV4: parse_ipv4;",
    ]
    out += [f"            16w0x{0x9000 + i:04x}: parse_tag{i};" for i in range(n_headers)]
    out += ["            default: accept;", "        }", "    }"]
    for i in range(n_headers):
        nxt = f"parse_tag{i + 1}" if i + 1 < n_headers else "parse_ipv4"
        out += [
            f"    state parse_tag{i} {{",
            f"        pkt.extract(hdr.tag{i});",
            f"        transition select(hdr.tag{i}.next_type) {{",
            f"            16w0x{0x9000 + i + 1:04x} &&& 16w0xffff: {nxt};",
            "            TYPE_IPV4: parse_ipv4;",
            "            default: accept;",
            "        }",
            "    }",
        ]
    out += [
        "    state parse_ipv4 {",
        "        pkt.extract(hdr.ipv4);",
        "        verify(hdr.ipv4.ihl >= 5, error.HeaderTooShort);",
        "        transition select(hdr.ipv4.fragOffset, hdr.ipv4.protocol) {",
        "            (0, PROTO_TCP): parse_l4;",
        "            (0, PROTO_UDP): parse_l4;",
        "            default: accept;",
        "        }",
        "    }",
        "    state parse_l4 {",
        "        pkt.extract(hdr.l4);",
        "        meta.l4_dport = hdr.l4.dport;",
        "        transition accept;",
        "    }",
        "}",
        "",
        "control MyVerifyChecksum(inout headers_t hdr, inout metadata_t meta) {",
        "    apply {",
        "        verify_checksum(hdr.ipv4.isValid(),",
        "            { hdr.ipv4.version, hdr.ipv4.ihl, hdr.ipv4.diffserv, hdr.ipv4.totalLen,",
        "              hdr.ipv4.identification, hdr.ipv4.flags, hdr.ipv4.fragOffset, hdr.ipv4.ttl,",
        "              hdr.ipv4.protocol, hdr.ipv4.srcAddr, hdr.ipv4.dstAddr },",
        "            hdr.ipv4.hdrChecksum, HashAlgorithm.csum16);",
        "    }",
        "}",
        "",
    ]
    for i in range(blocks):
        out += _block(i, max(1, n_headers))
    out += [
        "control MyIngress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t sm) {",
    ]
    out += [f"    Feature{i}() feature_{i};" for i in range(blocks)]
    out += ["    apply {"]
    out += [f"        feature_{i}.apply(hdr, meta, sm);" for i in range(blocks)]
    out += [
        "        hash(meta.hash, HashAlgorithm.crc32, 32w0, { hdr.ipv4.srcAddr, hdr.ipv4.dstAddr }, 32w65536);",
        "    }",
        "}",
        "",
        "control MyEgress(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t sm) {",
        "    apply {",
        "        if (sm.egress_port == sm.ingress_port) {",
        "            mark_to_drop(sm);",
        "        }",
        "    }",
        "}",
        "",
        "control MyComputeChecksum(inout headers_t hdr, inout metadata_t meta) {",
        "    apply {",
        "        update_checksum(hdr.ipv4.isValid(),",
        "            { hdr.ipv4.version, hdr.ipv4.ihl, hdr.ipv4.diffserv, hdr.ipv4.totalLen,",
        "              hdr.ipv4.identification, hdr.ipv4.flags, hdr.ipv4.fragOffset, hdr.ipv4.ttl,",
        "              hdr.ipv4.protocol, hdr.ipv4.srcAddr, hdr.ipv4.dstAddr },",
        "            hdr.ipv4.hdrChecksum, HashAlgorithm.csum16);",
        "    }",
        "}",
        "",
        "control MyDeparser(packet_out pkt, in headers_t hdr) {",
        "    apply {",
        "        pkt.emit(hdr.ethernet);",
    ]
    out += [f"        pkt.emit(hdr.tag{i});" for i in range(n_headers)]
    out += [
        "        pkt.emit(hdr.ipv4);",
        "        pkt.emit(hdr.l4);",
        "    }",
        "}",
        "",
        "V1Switch(MyParser(), MyVerifyChecksum(), MyIngress(), MyEgress(), MyComputeChecksum(), MyDeparser()) main;",
    ]
    return "\n".join(out) + "\n"


def program_of_about(lines: int) -> str:
    """The generated program whose line count is nearest to `lines` (one header type per 3 blocks)."""
    best = generate_program(0, 0)
    blocks = 1
    while best.count("\n") < lines:
        text = generate_program(blocks, max(1, blocks // 3))
        if abs(text.count("\n") - lines) > abs(best.count("\n") - lines):
            break
        best = text
        blocks += 1
    return best


# --------------------------------------------------------------------------------------------
# timing


def _median_time(fn: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def staged_compile(source: str, filename: str, include_dirs: list[str]) -> dict[str, float]:
    """Run the driver's stages one by one (as compile_source does); seconds per stage."""
    from softp4.compiler.bmv2 import to_bmv2_json
    from softp4.compiler.driver import TARGET_DEFINES
    from softp4.compiler.p4info import p4info_from_program
    from softp4.compiler.parser import parse
    from softp4.compiler.preprocess import preprocess_source
    from softp4.compiler.typecheck import check_program

    clock = time.perf_counter
    t0 = clock()
    text = preprocess_source(source, filename, include_dirs, dict(TARGET_DEFINES), warnings=[])
    t1 = clock()
    program = parse(text, filename)
    t2 = clock()
    checked = check_program(program)
    t3 = clock()
    to_bmv2_json(checked.program, program_name=filename, warnings=[])
    t4 = clock()
    p4info_from_program(checked)
    t5 = clock()
    return {"preprocess": t1 - t0, "parse": t2 - t1, "typecheck": t3 - t2, "bmv2": t4 - t3, "p4info": t5 - t4}


def warm_softp4(path: Path, include_dirs: list[str], runs: int) -> dict[str, float]:
    """Median seconds per stage over `runs` in-process compiles, after one warm-up."""
    source = path.read_text()
    staged_compile(source, str(path), include_dirs)
    samples = [staged_compile(source, str(path), include_dirs) for _ in range(runs)]
    result = {k: statistics.median(s[k] for s in samples) for k in samples[0]}
    result["total"] = statistics.median(sum(s.values()) for s in samples)
    return result


def cold_command(cmd: list[str], runs: int) -> float | None:
    """Median wall seconds of `cmd` run as a fresh process; None when it fails."""

    def run() -> None:
        subprocess.run(cmd, check=True, capture_output=True)

    try:
        run()
    except (subprocess.CalledProcessError, OSError) as exc:
        err = getattr(exc, "stderr", b"") or b""
        print(f"    {cmd[0]} failed: {err.decode(errors='replace').strip().splitlines()[-1:] or exc}")
        return None
    return _median_time(run, runs)


def softp4_cmd(path: Path, out: Path, include_dirs: list[str]) -> list[str]:
    softp4 = shutil.which("softp4") or str(Path(sys.executable).parent / "softp4")
    cmd = [softp4, "compile", str(path), "-o", str(out / "prog.json")]
    cmd += ["--p4runtime-files", str(out / "prog.p4info.txtpb")]
    for d in include_dirs:
        cmd += ["-I", d]
    return cmd


def p4c_cmd(p4c: str, path: Path, out: Path, include_dirs: list[str]) -> list[str]:
    cmd = [p4c, "--std", "p4-16", "--arch", "v1model", str(path), "-o", str(out / "p4c.json")]
    cmd += ["--p4runtime-files", str(out / "p4c.p4info.txtpb")]
    for d in include_dirs:
        cmd += ["-I", d]
    return cmd


def main() -> None:
    ap = Parser(prog="compile_time.py", description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=integer(1, None, "run count"), default=5,
                    help="runs per figure; the median is printed (default 5)")
    ap.add_argument("--keep", type=Path, help="write the generated programs into this directory")
    args = ap.parse_args()
    runs = args.runs
    p4c = shutil.which(os.environ.get("P4C") or "p4c-bm2-ss")  # P4C names it, as for `make build`

    with tempfile.TemporaryDirectory(prefix="softp4-compile-bench-") as tmp_name:
        tmp = Path(tmp_name)
        programs: list[tuple[str, Path, list[str]]] = []
        gen_dir = args.keep or tmp
        gen_dir.mkdir(parents=True, exist_ok=True)
        for target in TARGETS:
            path = gen_dir / f"generated_{target}.p4"
            path.write_text(program_of_about(target))
            programs.append((f"generated ~{target}", path, []))
        for name in ("nic", "tor"):
            programs.append((f"p4src/{name}.p4", ROOT / "p4src" / f"{name}.p4", [str(ROOT / "p4src")]))

        print(f"compile time, median of {runs} runs (seconds)")
        print("  warm = compile in this process after a warm-up; cold = `softp4 compile` as a new process")
        header = f"{'program':22s} {'lines':>6s} {'prep':>6s} {'parse':>6s} {'check':>6s} {'bmv2':>6s} {'p4info':>6s}"
        header += f" {'warm':>6s} {'cold':>6s}"
        if p4c:
            header += f" {'p4c':>6s}"
        print(header)
        for label, path, incs in programs:
            lines = _lines_with_includes(path, incs)
            warm = warm_softp4(path, incs, runs)
            cold = cold_command(softp4_cmd(path, tmp, incs), runs)
            row = f"{label:22s} {lines:6d}"
            row += "".join(f" {warm[k]:6.3f}" for k in ("preprocess", "parse", "typecheck", "bmv2", "p4info", "total"))
            row += f" {cold:6.3f}" if cold is not None else "      -"
            if p4c:
                p4c_time = cold_command(p4c_cmd(p4c, path, tmp, incs), runs)
                row += f" {p4c_time:6.3f}" if p4c_time is not None else "      -"
            print(row, flush=True)
        if not p4c:
            print("no p4c-bm2-ss (PATH, P4C): no p4c column (goal from issue 2: about 0.6 s for 2,800 lines)")


def _lines_with_includes(path: Path, include_dirs: list[str]) -> int:
    """Lines of the program and of the project files it includes with `#include "..."` (not core/v1model)."""
    seen: set[Path] = set()

    def count(p: Path) -> int:
        if p in seen or not p.is_file():
            return 0
        seen.add(p)
        total = 0
        for line in p.read_text().splitlines():
            total += 1
            s = line.strip()
            if s.startswith("#include") and '"' in s:
                name = s.split('"')[1]
                for d in [p.parent, *map(Path, include_dirs)]:
                    if (d / name).is_file():
                        total += count((d / name).resolve())
                        break
        return total

    return count(path.resolve())


if __name__ == "__main__":
    main()
