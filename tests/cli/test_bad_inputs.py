"""Bad input to every tool: one clear line, the documented exit status, no traceback, nothing left behind.

One table: softp4 (compile, p4c, shims, stf, switch), jetstream-ctl, the demos and the benchmarks' command
lines. Exit statuses are the same in every tool (softp4/cliargs.py): 1 the work failed (an input that is
not there or cannot be used, a program refused), 2 the command line is wrong. Each case runs the tool's
main in this process, except `softp4 switch` cases, which run the command in a process group of its own
so that the test can check that no process of it is left once it has exited.

`{name}` in a command line is a file of the `files` fixture, or `{grpc}` a softp4 switch serving P4Runtime
(started with --no-p4), `{busy}` a port something else listens on.
"""

from __future__ import annotations

import json
import os
import re
import runpy
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAIR = (ROOT / "topologies" / "pair.toml").read_text()
# what Python prints for an exception that escaped: never in a tool's output
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|^\w+(Error|Exception): |\b(Key|Type|Attribute|Index|"
                       r"Value|Name|Assertion|Recursion|Memory)Error\b", re.M)

V1 = """#include <core.p4>
#include <v1model.p4>
header h_t { bit<8> f; }
struct H { h_t h; }
struct M { }
parser P(packet_in p, out H h, inout M m, inout standard_metadata_t s) {
    state start { p.extract(h.h); transition accept; } }
control VC(inout H h, inout M m) { apply { } }
control I(inout H h, inout M m, inout standard_metadata_t s) { apply { BODY } }
control E(inout H h, inout M m, inout standard_metadata_t s) { apply { } }
control CC(inout H h, inout M m) { apply { } }
control D(packet_out p, in H h) { apply { p.emit(h.h); } }
V1Switch(P(), VC(), I(), E(), CC(), D()) main;
"""


def _topology(old: str, new: str) -> str:
    text = PAIR.replace(old, new, 1)
    assert text != PAIR, old
    return text


FILES: dict[str, str | bytes] = {
    "ok.p4": V1.replace("BODY", "s.egress_spec = 1;"),
    "syntax.p4": V1.replace("BODY", "s.egress_spec = ;"),
    "type.p4": V1.replace("BODY", "h.h.f = true;"),
    "undeclared.p4": V1.replace("BODY", "nosuch(1);"),
    "nomain.p4": V1.replace("V1Switch(P(), VC(), I(), E(), CC(), D()) main;", ""),
    "old_drop.p4": V1.replace("BODY", "mark_to_drop();"),
    "overflow.p4": V1.replace("BODY", "h.h.f = 300;"),
    "include.p4": '#include "nosuch.p4"\n' + V1.replace("BODY", ""),
    "empty.p4": "",
    "binary.p4": b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00",
    "foo.json": '{"foo": 1}',
    "notjson.json": "{not json",
    "list.json": "[1, 2, 3]",
    "binary.json": b"\x00\x01\x02\xff",
    "nostd.json": json.dumps({k: [] for k in ("header_types", "headers", "parsers", "deparsers", "actions",
                                              "pipelines")}),
    "badlists.json": json.dumps({k: 3 for k in ("header_types", "headers", "parsers", "deparsers", "actions",
                                                "pipelines")}),
    "bad.stf": "frobnicate 1 2\n",
    "unknown_table.stf": "add nosuch_table f:1 act()\n",
    "ok.stf": "packet 0 01\n",
    "topo_unknown_key.toml": _topology('name = "server1"', 'nmae = "server1"'),
    "topo_uplink.toml": _topology("pcie_port = 1", "pcie_port = 16"),
    "topo_tor_cpu.toml": _topology("tor_port = 1", "tor_port = 255"),
    "topo_dup_mac.toml": _topology('nic_mac = "02:4a:53:00:00:02"', 'nic_mac = "02:4a:53:00:00:01"'),
    "topo_dup_id.toml": _topology("id = 2", "id = 1"),
    "topo_mailbox.toml": _topology('size = "16KiB"', 'size = "48KiB"'),
    "topo_name.toml": _topology('name = "server1"', 'name = "server one"'),
    "topo_fraction.toml": _topology('memory = "64KiB"', 'memory = "1.5GiB"'),
    "topo_base.toml": _topology("base = 0x4000", "base = 0x4001"),
    "topo_syntax.toml": _topology("[[exports]]", "[[exports]\n"),
    "topo_tables.toml": 'name = "big"\n[[servers]]\nname = "s1"\nnic_mac = "02:00:00:00:01:01"\ntor_port = 1\n'
    + "".join(
        f'  [[servers.accelerators]]\n  name = "a{i}"\n  id = {i}\n  pcie_port = {19 + i}\n  memory = "64KiB"\n'
        for i in range(1, 66)),
    "topo_binary.toml": b"name = 1\n\x00\x01",
    "deploy_bad.toml": "[devices]\nserver1 = 5\n",
    "file.txt": "a file, not a directory\n",
}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, build_dir: Path) -> dict[str, str]:
    root = tmp_path_factory.mktemp("bad-inputs")
    paths = {"tmp": str(root)}
    for name, content in FILES.items():
        path = root / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        paths[name.replace(".", "_")] = str(path)
    (root / "adir").mkdir()
    paths["adir"] = str(root / "adir")
    # a build directory whose NIC "program" is not a BMv2 program: the pipeline push must be refused
    for prog in ("nic", "tor"):
        for build in ("badbuild", "noinfo"):
            (root / build / prog).mkdir(parents=True)
            (root / build / prog / f"{prog}.json").write_text('{"foo": 1}')
        info = f"{prog}.p4info.txtpb"
        (root / "badbuild" / prog / info).write_text((build_dir / prog / info).read_text())
    paths["badbuild"] = str(root / "badbuild")
    paths["noinfo"] = str(root / "noinfo")
    return paths


@pytest.fixture(scope="module")
def ports() -> Iterator[dict[str, str]]:
    """`grpc`: a softp4 switch with no program (a process of its own); `busy`: a port in use."""
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    grpc = _free_port()
    switch = subprocess.Popen(
        [sys.executable, "-m", "softp4", "switch", "--no-p4", "--device-id", "1", "--grpc-server-addr",
         f"127.0.0.1:{grpc}"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )
    assert switch.stderr is not None
    assert "ready" in switch.stderr.readline()
    try:
        yield {"grpc": str(grpc), "busy": str(busy.getsockname()[1])}
    finally:
        switch.send_signal(signal.SIGTERM)
        switch.wait(timeout=30)
        busy.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Case:
    tool: str  # softp4, switch (a process), ctl, demo, groupdemo, or bench:<script>
    argv: str  # split on spaces after {name} substitution
    message: str  # a distinctive part of the first line on stderr (or stdout for a usage line)
    status: int
    new: bool = False  # a mistake the project had no test for before this table

    @property
    def id(self) -> str:
        return f"{self.tool}:{self.argv}"[:80]


CASES = [
    # --- softp4 and its commands ---
    Case("softp4", "", "usage: softp4 <command>", 2),
    Case("softp4", "frobnicate", "softp4: unknown command 'frobnicate'", 2),
    Case("softp4", "compile {tmp}/nope.p4", "softp4 compile: error: {tmp}/nope.p4: no such file", 1),
    Case("softp4", "compile {adir}", "{adir}: is a directory, not a P4 source file", 1, new=True),
    Case("softp4", "compile {binary_p4}", "binary.p4 is not a text file (a NUL byte): give the P4-16 source", 1,
         new=True),
    Case("softp4", "compile {empty_p4} -o {tmp}/e.json", "empty.p4:", 1, new=True),
    Case("softp4", "compile {syntax_p4} -o {tmp}/s.json", "syntax.p4:9:", 1),
    Case("softp4", "compile {type_p4} -o {tmp}/t.json", "type.p4:9:", 1),
    Case("softp4", "compile {undeclared_p4} -o {tmp}/u.json", "'nosuch' is not declared", 1),
    Case("softp4", "compile {nomain_p4} -o {tmp}/n.json", "nomain.p4:9:", 1, new=True),
    Case("softp4", "compile {include_p4} -o {tmp}/i.json", "include.p4:1:", 1),
    Case("softp4", "compile {old_drop_p4} -o {tmp}/d.json",
         "warning: mark_to_drop: Using deprecated feature mark_to_drop.", 1, new=True),
    Case("softp4", "compile --Werror {overflow_p4} -o {tmp}/w.json",
         "error: 8w300: value does not fit in 8 bits", 1, new=True),
    Case("softp4", "compile {ok_p4} -o /nonexistent-softp4-dir/x.json",
         "softp4 compile: error: cannot write /nonexistent-softp4-dir/x.json: No such file or directory", 1, new=True),
    Case("softp4", "compile {ok_p4} -o {tmp}/o.json --p4runtime-files /nonexistent-softp4-dir/p.txtpb",
         "cannot write /nonexistent-softp4-dir/p.txtpb", 1, new=True),
    Case("softp4", "compile {ok_p4} -o {file_txt}/x.json", "cannot write {file_txt}/x.json: Not a directory", 1,
         new=True),
    Case("softp4", "compile {ok_p4} --p4runtime-files p.yaml", "p.yaml: unknown P4Info format", 2),
    Case("softp4", "compile {ok_p4} --arch psa", "--arch psa: only v1model is supported", 2),
    Case("softp4", "compile {ok_p4} --frobnicate", "unrecognized arguments: --frobnicate (see softp4 compile --help)",
         2, new=True),
    Case("softp4", "compile {ok_p4} -o", "argument -o/--output: expected one argument", 2),
    Case("softp4", "compile {ok_p4} -D 1BAD", "invalid macro name in -D '1BAD'", 2),
    Case("softp4", "compile {ok_p4} --emit-externs", "--emit-externs: softp4 emits only v1model's externs", 2),
    Case("softp4", "compile", "no source file given", 2),
    Case("softp4", "p4c -x c {ok_p4}", "-x: softp4 takes only P4-16 sources", 2),
    Case("softp4", "p4c --target tofino {ok_p4}", "--target tofino: only bmv2 is supported", 2),
    Case("softp4", "p4c {tmp}/nope.p4", "softp4 p4c: error: {tmp}/nope.p4: no such file", 1),
    Case("softp4", "shims", "usage: softp4 shims DIR", 2),
    Case("softp4", "shims {file_txt}/sub", "softp4 shims: error: {file_txt}/sub:", 1, new=True),
    Case("softp4", "stf", "give the STF test file", 2),
    Case("softp4", "stf {ok_p4} {tmp}/nope.stf", "softp4 stf: error: {tmp}/nope.stf: no such file", 1, new=True),
    Case("softp4", "stf {ok_p4} {bad_stf}", "bad.stf:1:", 1),
    Case("softp4", "stf {ok_p4} {unknown_table_stf}", "nosuch_table", 1),
    Case("softp4", "stf --json {notjson_json} {ok_stf}", "notjson.json: error: not a readable JSON file", 1),
    Case("softp4", "stf --json {foo_json} {ok_stf}", "not a BMv2 program: no 'header_types'", 1, new=True),
    Case("softp4", "stf --json {nostd_json} {ok_stf}", "field standard_metadata.ingress_port is required", 1,
         new=True),
    Case("softp4", "stf --suite {tmp}/nodir", "softp4 stf: error: --suite {tmp}/nodir: no such directory", 1,
         new=True),
    Case("softp4", "stf --keep {tmp} {ok_p4} {ok_stf}", "--bmv2 and --keep go with --target bmv2", 2),
    Case("softp4", "stf --target tofino {ok_p4} {ok_stf}", "argument --target: invalid choice: 'tofino'", 2),
    # --- softp4 switch: a process each, nothing of it left behind ---
    Case("switch", "{foo_json} --grpc-server-addr 127.0.0.1:0",
         "foo.json: cannot load the program: not a BMv2 program: no 'header_types', 'headers', 'parsers', "
         "'deparsers', 'actions', 'pipelines' (compile", 1, new=True),
    Case("switch", "{nostd_json} --grpc-server-addr 127.0.0.1:0",
         "not a BMv2 program for simple_switch: field standard_metadata.ingress_port is required", 1, new=True),
    Case("switch", "{badlists_json} --grpc-server-addr 127.0.0.1:0", "'header_types' must be a list", 1, new=True),
    Case("switch", "{notjson_json} --grpc-server-addr 127.0.0.1:0", "config is not valid JSON", 1),
    Case("switch", "{list_json} --grpc-server-addr 127.0.0.1:0", "the top level of BMv2 JSON must be an object", 1,
         new=True),
    Case("switch", "{binary_json} --grpc-server-addr 127.0.0.1:0", "cannot read config", 1, new=True),
    Case("switch", "--no-p4 --grpc-server-addr 127.0.0.1:{busy}",
         "softp4 switch: error: P4Runtime server: cannot listen on 127.0.0.1:{busy}: address already in use", 1,
         new=True),
    Case("switch", "--no-p4 --grpc-server-addr 192.0.2.1:9559", "cannot listen on 192.0.2.1:9559: cannot assign", 1,
         new=True),
    Case("switch", "{tmp}/nope.json", "softp4 switch: error: {tmp}/nope.json: no such file", 1),
    Case("switch", "--dump-packet-data 64 {foo_json}", "--dump-packet-data: packet dumps in the log are not", 2,
         new=True),
    Case("switch", "--no-p4 -i 0@nosuchif9", "interface nosuchif9: no such network interface", 1),
    Case("switch", "--no-p4 --log-file /nonexistent-softp4-dir/x", "--log-file /nonexistent-softp4-dir/x.txt", 1),
    Case("softp4", "switch --no-p4 --device-id 18446744073709551616", "is out of range (0..18446744073709551615)",
         2, new=True),
    Case("softp4", "switch --no-p4 --thrift-port 70000", "70000 is out of range (0..65535)", 2, new=True),
    Case("softp4", "switch --no-p4 --cpu-port 512", "port 512 is out of range (0..511)", 2),
    Case("softp4", "switch --no-p4 --priority-queues 0", "0 priority queues: expected 1..8", 2),
    Case("softp4", "switch --no-p4 --grpc-server-ssl --grpc-server-cert {tmp}/c.pem --grpc-server-key {tmp}/k.pem",
         "--grpc-server-cert {tmp}/c.pem: no such file", 1, new=True),
    Case("softp4", "switch --no-p4 --pcap {file_txt}", "--pcap {file_txt}: not a directory", 1, new=True),
    # --- jetstream-ctl ---
    Case("ctl", "", "the following arguments are required: COMMAND", 2),
    Case("ctl", "plan {tmp}/nope.toml", "nope.toml: cannot read: No such file or directory", 1),
    Case("ctl", "plan {adir}", "cannot read: Is a directory", 1, new=True),
    Case("ctl", "plan {topo_unknown_key_toml}", ":9: servers[0].nmae: unknown key 'nmae' (did you mean 'name'?)", 1),
    Case("ctl", "plan {topo_uplink_toml}", "pcie_port: port 16 is the NIC's uplink", 1),
    Case("ctl", "plan {topo_tor_cpu_toml}", ":11: servers[0].tor_port: ToR port 255 is the ToR's CPU port", 1,
         new=True),
    Case("ctl", "plan {topo_dup_mac_toml}", ":21: servers[1].nic_mac: 02:4a:53:00:00:01 is already the MAC", 1),
    Case("ctl", "plan {topo_dup_id_toml}", "id 1 is already accelerator 'acc1'", 1),
    Case("ctl", "plan {topo_mailbox_toml}", ":33: exports[0]: window [0x4000, 0x10000) of 'acc2' overlaps its "
         "mailbox area", 1, new=True),
    Case("ctl", "plan {topo_name_toml}", "'server one' is not a usable name", 1, new=True),
    Case("ctl", "plan {topo_fraction_toml}", "memory: must be a size such as 4096", 1),
    Case("ctl", "plan {topo_base_toml}", "0x4001 is not a multiple of 4", 1),
    Case("ctl", "plan {topo_syntax_toml}", "not valid TOML", 1),
    Case("ctl", "plan {topo_tables_toml}", "topo_tables.toml:2: server 's1' (its NIC) needs 65 entries in table", 1,
         new=True),
    Case("ctl", "plan {topo_binary_toml}", "a binary file (a NUL byte), not a TOML topology", 1),
    Case("ctl", "plan --format yaml {topo_base_toml}", "argument --format: invalid choice: 'yaml'", 2),
    Case("ctl", "apply " + str(ROOT / "topologies" / "pair.toml"), "apply: give the devices with --device", 2),
    Case("ctl", "apply " + str(ROOT / "topologies" / "pair.toml") + " --device server1", "--device", 2),
    Case("ctl", "apply " + str(ROOT / "topologies" / "pair.toml") + " --device server1=h:1 --timeout 0",
         "'0': give a positive number of seconds", 2),
    Case("ctl", "apply " + str(ROOT / "topologies" / "pair.toml") + " --device server1=h:1 --timeout nan",
         "'nan': give a positive number of seconds", 2, new=True),
    Case("ctl", "apply " + str(ROOT / "topologies" / "pair.toml") + " --device server1=h:1 --election-id 0",
         "is not an election id", 2),
    Case("ctl", "watch " + str(ROOT / "topologies" / "pair.toml") + " --device server1=h:1 --count 0",
         "'0' is not a positive integer", 2),
    Case("ctl", "apply " + str(ROOT / "topologies" / "pair.toml") + " --deployment {tmp}/nope.toml",
         "nope.toml", 1),
    Case("ctl", "apply " + str(ROOT / "topologies" / "pair.toml") + " --deployment {deploy_bad_toml}",
         "deploy_bad.toml", 1, new=True),
    # a P4Runtime write the switch refuses: the pipeline push of a JSON that is not a BMv2 program
    Case("ctl", "apply " + str(ROOT / "topologies" / "pair.toml") + " --device server1=127.0.0.1:{grpc}@1 "
         "--build-dir {badbuild} --timeout 5", "not a BMv2 program", 1, new=True),
    Case("ctl", "apply " + str(ROOT / "topologies" / "pair.toml") + " --device server1=127.0.0.1:{grpc}@1 "
         "--build-dir {noinfo} --timeout 5", "noinfo/nic/nic.p4info.txtpb is missing: run `make build`", 1),
    # --- the demos ---
    Case("demo", "--bytes -5", "demo: --bytes -5: give a positive number of bytes", 2),
    Case("demo", "--bytes lots", "argument --bytes: invalid int value: 'lots'", 2, new=True),
    Case("demo", "--all-to-all --loss 100", "demo: --loss 100: give a percentage", 2),
    Case("demo", "--testbed netns --deadline 0", "demo: --deadline 0: give a positive number of seconds", 2),
    Case("demo", "--deadline soon", "argument --deadline: invalid float value: 'soon'", 2, new=True),
    Case("demo", "--target tofino", "argument --target: invalid choice: 'tofino'", 2),
    Case("demo", "--topology {tmp}/nope.toml", "nope.toml: cannot read", 1),
    Case("demo", "--topology {topo_uplink_toml}", "port 16 is the NIC's uplink", 1),
    Case("groupdemo", "--loss -1", "groupdemo: --loss must be at least 0 and below 100", 2),
    Case("groupdemo", "--seed -1", "seed -1 is out of range (at least 0)", 2, new=True),
    Case("groupdemo", "--topology {topo_binary_toml}", "a binary file (a NUL byte)", 1),
    # --- the benchmarks' command lines ---
    Case("bench:switch_inprocess.py", "--packets 0", "packet count 0 is out of range (at least 1)", 2, new=True),
    Case("bench:compile_time.py", "--runs 0", "run count 0 is out of range (at least 1)", 2, new=True),
    Case("bench:p4runtime_rates.py", "--batch -1", "batch size -1 is out of range (at least 1)", 2,
         new=True),
    Case("bench:p4c_corpus.py", "--p4c-testdata {adir} --check 101", "--check 101: give a number from 0 to 100", 2,
         new=True),
    Case("bench:switch_veth.py", "--packets many", "argument --packets: 'many' is not a whole packet count", 2),
]


def _in_process(main: Callable[[], object], capfd: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        status = main()
    except SystemExit as exc:
        status = exc.code
    out, err = capfd.readouterr()
    return (status if isinstance(status, int) else 1 if status else 0), out, err


def _run(case: Case, argv: list[str], capfd: pytest.CaptureFixture[str],
         monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    if case.tool == "switch":
        return _switch_process(argv)
    if case.tool.startswith("bench:"):
        script = ROOT / "benchmarks" / case.tool.split(":", 1)[1]
        monkeypatch.setattr(sys, "argv", [str(script), *argv])
        monkeypatch.syspath_prepend(str(script.parent))  # as `python benchmarks/X.py` has it: its siblings import
        return _in_process(lambda: runpy.run_path(str(script), run_name="__main__"), capfd)
    if case.tool == "softp4":
        from softp4.cli import main as softp4_main

        return _in_process(lambda: softp4_main(argv), capfd)
    if case.tool == "ctl":
        from controller.cli import main as ctl_main

        return _in_process(lambda: ctl_main(argv), capfd)
    from testbed import demo, groupdemo

    tool = demo if case.tool == "demo" else groupdemo
    return _in_process(lambda: tool.main(argv), capfd)


def _switch_process(argv: list[str]) -> tuple[int, str, str]:
    proc = subprocess.Popen([sys.executable, "-m", "softp4", "switch", *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"`softp4 switch {' '.join(argv)}` did not exit: bad input must not leave it running")
    try:  # its process group (the switch and anything it started): nothing of it may still run
        os.killpg(proc.pid, 0)
    except ProcessLookupError:
        pass
    else:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail(f"a process of `softp4 switch {' '.join(argv)}` is still running")
    return proc.returncode, out, err


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_is_one_clear_line(case: Case, files: dict[str, str], ports: dict[str, str],
                                     capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    names = {**files, **ports}
    argv = [word.format(**names) for word in case.argv.split()]
    status, out, err = _run(case, argv, capfd, monkeypatch)
    message = case.message.format(**names)
    text = err if err.strip() else out
    assert message in text, f"exit {status}, stdout {out!r}, stderr {err!r}"
    assert status == case.status, f"exit {status}, stderr {err!r}"
    assert not TRACEBACK.search(out + err), out + err
    # one line: all but a compiler diagnostic, which quotes the line and points at it (as p4c does), and the
    # usage text of `softp4` alone
    compiler = case.tool == "softp4" and argv[:1] in (["compile"], ["p4c"])
    if not compiler and not case.message.startswith("usage"):
        assert len([line for line in err.splitlines() if line.strip()]) == 1, err
    if "nonexistent-softp4-dir" in case.argv:
        assert not Path("/nonexistent-softp4-dir").exists()  # as p4c, no directory is made for an output file


def test_the_table_is_wide_enough() -> None:
    tools = {case.tool.split(":")[0] for case in CASES}
    assert len(CASES) >= 60 and sum(case.new for case in CASES) >= 10
    assert tools == {"softp4", "switch", "ctl", "demo", "groupdemo", "bench"}
    for status in (1, 2):
        assert {case.tool.split(":")[0] for case in CASES if case.status == status} >= {"softp4", "ctl", "demo"}
