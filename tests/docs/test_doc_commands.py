"""Every command in README.md and docs/*.md works when pasted into a shell on a fresh clone after `make run`.

What is a command, and what is done with it:

- a fenced block tagged `sh` holds commands to paste. It is run, as one `bash -e -o pipefail` script, in a
  copy of the checkout (its files, a build, the checkout's `.venv`), each block with a timeout, in a
  network namespace of its own when this is root (so the P4Runtime ports a block names never meet
  another test's), and every process it leaves behind (a switch started with `&`) is killed afterwards.
  Blocks that need root or BMv2 (`sudo`, `simple_switch...`, `TARGET=bmv2`, `--target bmv2` (but for
  `softp4 p4c`, where it names the backend),
  `TESTBED=netns`, `--testbed netns`, veth ports `-i N@IFACE`, `switch_veth.py`) are not run here: the
  testbed and reference suites run what they do (`DOC_TEST_ROOT=1`, as root, runs them too). A block can
  opt out of running with the line
  `<!-- doc-test: not run: REASON -->` right above it; the reason is required.
- every `sh` block is also checked: `bash -n`; every `make` target and variable exists in the Makefile;
  every option given to a project tool (`.venv/bin/softp4 SUB`, `.venv/bin/jetstream-ctl SUB`,
  `.venv/bin/python -m MODULE`, `.venv/bin/python SCRIPT.py`) is one its `--help` lists; every file of
  the checkout it names exists; no project tool is called bare (`softp4`, `jetstream-ctl`: on a fresh
  clone they are in `.venv/bin/`), and no project module is run by a `python` outside the venv.
- an untagged block whose first line is such a command is a synopsis (`[--option N]` is optional,
  `a|b` a choice); an inline span of prose that starts with `.venv/bin/` or `make ` is a command too;
  both get the same checks but `bash -n`, and bare tool names are allowed in a synopsis.
- an untagged block right below `<!-- doc-test: output of: COMMAND -->` is a figure the code makes: it
  must equal what COMMAND prints now. `.venv/bin/python tests/docs/test_doc_commands.py --regenerate`
  rewrites every such block from its command.
"""

from __future__ import annotations

import functools
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
VENV = ROOT / ".venv"
SHELL_TAGS = {"sh", "bash", "shell"}
MARKER = re.compile(r"^<!--\s*doc-test:\s*(not run|output of):\s*(.*?)\s*-->$")
NEEDS_ROOT_OR_BMV2 = re.compile(
    r"\bsudo\b|simple_switch|TARGET=bmv2|(?<!p4c )--target bmv2|TESTBED=netns|--testbed netns|switch_veth\.py"
    r"|-i \d+@"
)
PROJECT_TOOLS = ("softp4", "jetstream-ctl")
# options whose value is a file the command writes (not one that must exist)
OUTPUT_OPTIONS = {"-o", "--output", "--p4runtime-files", "--report", "--keep", "--work", "--workdir", "--png",
                  "--log-file", "--build-dir"}
SEPARATORS = {"&&", "||", ";", "|", "&", "(", ")"}
RUN_TIMEOUT = 600
OUTPUT_TIMEOUT = 120


@dataclass(frozen=True)
class Block:
    doc: Path
    line: int  # of the opening fence, 1-based
    tag: str
    text: str
    marker: tuple[str, str] | None  # ("not run" | "output of", the reason or the command)

    @property
    def where(self) -> str:
        return f"{self.doc.relative_to(ROOT)}:{self.line}"


def blocks(doc: Path) -> list[Block]:
    lines = doc.read_text().splitlines()
    found = []
    i = 0
    while i < len(lines):
        fence = re.match(r"^(\s*)```(\S*)\s*$", lines[i])
        if fence is None:
            i += 1
            continue
        indent, tag = fence.groups()
        end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == "```"), len(lines))
        body = "\n".join(line.removeprefix(indent) for line in lines[i + 1 : end])
        above = next((lines[j].strip() for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        marker = MARKER.match(above)
        found.append(Block(doc, i + 1, tag, body, (marker.group(1), marker.group(2)) if marker else None))
        i = end + 1
    return found


def prose_spans(doc: Path) -> list[tuple[str, str]]:
    """(where, span) for every inline code span outside fences that is a command."""
    text = doc.read_text()
    spans = []
    fenced = [(m.start(), m.end()) for m in re.finditer(r"(?ms)^\s*```.*?^\s*```\s*$", text)]
    for m in re.finditer(r"`([^`]+)`", text):
        if any(a <= m.start() < b for a, b in fenced):
            continue
        span = " ".join(m.group(1).split())
        if re.match(r"^([A-Z_][A-Z0-9_]*=\S+\s+)*(sudo\s+)?(\.venv/bin/\S|make\s)", span):
            spans.append((f"{doc.relative_to(ROOT)}:{text.count(chr(10), 0, m.start()) + 1}", span))
    return spans


ALL_BLOCKS = [b for doc in DOCS for b in blocks(doc)]
COMMAND_BLOCKS = [b for b in ALL_BLOCKS if b.tag in SHELL_TAGS]
SYNOPSES = [b for b in ALL_BLOCKS if b.tag == "" and b.marker is None
            and re.match(r"^\s*(sudo\s+)?(\.venv/bin/|softp4 |jetstream-ctl |make )", b.text)]
FIGURES = [b for b in ALL_BLOCKS if b.marker is not None and b.marker[0] == "output of"]
SPANS = [span for doc in DOCS for span in prose_spans(doc)]


def commands(text: str) -> Iterator[list[str]]:
    """The simple commands of a shell text: words, without separators, redirections and comments."""
    for line in text.replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|()<>")
        lexer.whitespace_split = True
        try:
            words = list(lexer)
        except ValueError:
            continue  # bash -n reports it
        command: list[str] = []
        skip = False
        for word in words:
            if skip:
                skip = False
            elif word in SEPARATORS:
                if command:
                    yield command
                command = []
            elif set(word) <= set("<>&") or re.fullmatch(r"\d?[<>]+&?\d*", word):
                skip = not word.endswith(tuple("0123456789"))  # `> file`: the file is no argument
            else:
                command.append(word)
        if command:
            yield command


@functools.cache
def makefile() -> tuple[set[str], set[str]]:
    """The Makefile's targets and the variables it sets or reads."""
    text = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([A-Za-z0-9_.%/-]+)\s*:(?!=)", text, re.M))
    for phony in re.findall(r"^\.PHONY:(.*)$", text, re.M):
        targets |= set(phony.split())
    variables = set(re.findall(r"^([A-Z_][A-Z0-9_]*)\s*[?:+]?=", text, re.M))
    variables |= set(re.findall(r"\$\(([A-Z_][A-Z0-9_]*)\)", text))
    return targets, variables


@functools.cache
def help_text(*command: str) -> str:
    result = subprocess.run([*command, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            stdin=subprocess.DEVNULL, check=False)
    return result.stdout + result.stderr if result.returncode == 0 else ""


def tracked_dirs() -> set[str]:
    return {p.name for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith(".") and p.name != "build"}


def check_command(argv: list[str], synopsis: bool) -> list[str]:
    """What is wrong with one command as the docs give it (empty when nothing)."""
    problems = []
    while argv and re.match(r"^[A-Z_][A-Z0-9_]*=", argv[0]):
        name = argv.pop(0).split("=", 1)[0]
        if argv and argv[0] == "make" and name not in makefile()[1]:
            problems.append(f"make variable {name} is not in the Makefile")
    if argv[:1] == ["sudo"]:
        argv = argv[1:]
    if not argv:
        return problems
    prog = argv[0]
    if prog == "make":
        targets, variables = makefile()
        for word in argv[1:]:
            if "=" in word:
                if word.split("=", 1)[0] not in variables:
                    problems.append(f"make variable {word.split('=', 1)[0]} is not in the Makefile")
            elif not word.startswith("-") and word not in targets:
                problems.append(f"make target '{word}' is not in the Makefile")
        return problems
    if prog in PROJECT_TOOLS:
        if not synopsis:
            return [*problems, f"bare `{prog}`: on a fresh clone it is `.venv/bin/{prog}`"]
        prog = f".venv/bin/{prog}"
        argv = [prog, *argv[1:]]
    if prog in ("python", "python3") and "-m" in argv[1:2] and argv[2:3] != ["venv"]:
        return [*problems, f"`{prog} -m {argv[2]}` outside the venv: on a fresh clone it is `.venv/bin/python`"]
    if not prog.startswith(".venv/bin/"):
        return problems
    tool = prog.removeprefix(".venv/bin/")
    args = argv[1:]
    helper: tuple[str, ...] | None = None
    if tool in PROJECT_TOOLS:
        sub = next((a for a in args if not a.startswith("-")), None)
        helper = (str(VENV / "bin" / tool), *([sub] if sub else []))
        args = args[1:] if sub is not None and args and args[0] == sub else args
    elif tool == "python" and args[:1] == ["-m"] and len(args) > 1:
        if args[1].split(".")[0] in ("testbed", "controller", "softp4", "benchmarks"):
            helper = (str(VENV / "bin" / "python"), "-m", args[1])
        args = args[2:]
    elif tool == "python" and args and args[0].endswith(".py"):
        if not (ROOT / args[0]).is_file():
            return [*problems, f"{args[0]} does not exist"]
        helper = (str(VENV / "bin" / "python"), args[0])
        args = args[1:]
    elif not (VENV / "bin" / tool).exists():
        return [*problems, f"{prog} is not installed by `make venv`"]
    if helper is not None:
        text = help_text(*helper)
        if not text:
            return [*problems, f"`{' '.join(helper)} --help` failed"]
        for word in args:
            if word == "--":
                break  # the rest goes to another program
            name = word.split("=", 1)[0]
            listed = re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text)
            if re.fullmatch(r"--?[A-Za-z][\w-]*", name) and name not in ("-h", "--help") and not listed:
                problems.append(f"`{' '.join(argv[:2])}`: option {name} is not in its --help")
    dirs = tracked_dirs()
    previous = ""
    for word in argv[1:]:
        if (previous not in OUTPUT_OPTIONS and not word.startswith("-") and "://" not in word
                and word.split("/", 1)[0] in dirs and "/" in word and not any(c in word for c in "<>{}$")):
            if not list(ROOT.glob(word)) and not (ROOT / word).exists():
                problems.append(f"{word} does not exist")
        previous = word.split("=", 1)[0]
    return problems


def synopsis_text(text: str) -> str:
    """A synopsis made a command: optional parts kept, the first of every choice taken."""
    return re.sub(r"\|[^\s\]]+", "", text).replace("[", " ").replace("]", " ").replace("...", " ")


def block_id(block: Block) -> str:
    return block.where


@pytest.mark.parametrize("block", COMMAND_BLOCKS, ids=block_id)
def test_command_blocks_are_sound(block: Block) -> None:
    syntax = subprocess.run(["bash", "-n"], input=block.text, capture_output=True, text=True, check=False)
    assert syntax.returncode == 0, f"{block.where}: bash -n: {syntax.stderr.strip()}"
    problems = [p for argv in commands(block.text) for p in check_command(argv, synopsis=False)]
    assert problems == [], f"{block.where}: " + "; ".join(problems)
    if block.marker is not None and block.marker[0] == "not run":
        assert block.marker[1], f"{block.where}: `doc-test: not run:` needs its reason"


@pytest.mark.parametrize("block", SYNOPSES, ids=block_id)
def test_synopses_name_what_exists(block: Block) -> None:
    problems = [p for argv in commands(synopsis_text(block.text)) for p in check_command(argv, synopsis=True)]
    assert problems == [], f"{block.where}: " + "; ".join(problems)


@pytest.mark.parametrize(("where", "span"), SPANS, ids=[w for w, _ in SPANS])
def test_commands_in_prose_name_what_exists(where: str, span: str) -> None:
    problems = [p for argv in commands(synopsis_text(span)) for p in check_command(argv, synopsis=False)]
    assert problems == [], f"{where}: `{span}`: " + "; ".join(problems)


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory, build_dir: Path) -> Path:
    """A copy of the checkout as a fresh clone has it after `make run`: its files, a build, the venv."""
    if not (VENV / "bin" / "python").exists():
        pytest.skip("no .venv: run `make venv` first")
    copy = tmp_path_factory.mktemp("clone")
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    old = time.time() - 86400
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, copy / name)
            os.utime(copy / name, (old, old))  # older than the build and the venv: make rebuilds nothing
    shutil.copytree(build_dir, copy / "build", ignore=shutil.ignore_patterns("netns", "ptf", "run"))
    for path in (copy / "build").rglob("*"):
        os.utime(path)
    (copy / ".venv").symlink_to(VENV)
    return copy


def run_script(script: str, cwd: Path, timeout: float, log: Path) -> tuple[int | None, str]:
    """Run `script` with bash (in a network namespace of its own when root), kill what it leaves running;
    (exit status or None on timeout, what it printed)."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "MAKEFLAGS", "MAKELEVEL")}
    body = "set -e -o pipefail\n" + script + "\n"
    command = ["bash", "-c", body]
    if os.geteuid() == 0 and shutil.which("unshare") and shutil.which("ip"):
        # a mount namespace too, for a /sys of the new network namespace (interfaces are looked up there)
        command = ["unshare", "--net", "--mount", "bash", "-c", "mount -t sysfs sysfs /sys\nip link set lo up\n" + body]
    with log.open("w") as out:
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            status: int | None = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            status = None
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # the switches a block started with `&`
            except ProcessLookupError:
                pass
            proc.wait()
    return status, log.read_text(errors="replace")


# DOC_TEST_ROOT=1 runs the blocks that need root or BMv2 too (as root, with BMv2 where the docs say it is)
RUN_ROOT = os.environ.get("DOC_TEST_ROOT") == "1" and os.geteuid() == 0
RUNNABLE = [b for b in COMMAND_BLOCKS if b.marker is None and (RUN_ROOT or not NEEDS_ROOT_OR_BMV2.search(b.text))]


@pytest.mark.parametrize("block", RUNNABLE, ids=block_id)
def test_command_blocks_work_when_pasted(block: Block, checkout: Path, tmp_path: Path) -> None:
    status, output = run_script(block.text, checkout, RUN_TIMEOUT, tmp_path / "output.txt")
    assert status is not None, f"{block.where}: still running after {RUN_TIMEOUT} s:\n{output[-3000:]}"
    assert status == 0, f"{block.where}: exit status {status}:\n{output[-3000:]}"
    assert "Traceback" not in output, f"{block.where}:\n{output[-3000:]}"


def figure_of(block: Block, cwd: Path, log: Path) -> str:
    status, output = run_script(block.marker[1] if block.marker else "", cwd, OUTPUT_TIMEOUT, log)
    assert status == 0, f"{block.where}: `{block.marker}` failed ({status}):\n{output[-2000:]}"
    return output.rstrip("\n")


@pytest.mark.parametrize("block", FIGURES, ids=block_id)
def test_figures_are_what_the_code_prints(block: Block, checkout: Path, tmp_path: Path) -> None:
    assert figure_of(block, checkout, tmp_path / "figure.txt") == block.text, (
        f"{block.where}: the figure differs from what `{block.marker[1] if block.marker else ''}` prints: "
        "regenerate it with `.venv/bin/python tests/docs/test_doc_commands.py --regenerate`"
    )


def test_the_docs_have_commands_to_check() -> None:
    """The extraction finds what the docs hold (a broken parser would check nothing)."""
    assert len(COMMAND_BLOCKS) >= 10 and len(RUNNABLE) >= 5 and FIGURES and SPANS
    assert any("make run" in b.text for b in COMMAND_BLOCKS)


@pytest.mark.parametrize(("command", "problem"), [
    (["softp4", "compile", "x.p4"], "bare `softp4`: on a fresh clone it is `.venv/bin/softp4`"),
    (["make", "runn"], "make target 'runn' is not in the Makefile"),
    (["make", "run", "TOPOLGY=x"], "make variable TOPOLGY is not in the Makefile"),
    ([".venv/bin/jetstream-ctl", "plan", "--fromat", "json", "topologies/pair.toml"],
     "`.venv/bin/jetstream-ctl plan`: option --fromat is not in its --help"),
    ([".venv/bin/python", "-m", "testbed.demo", "--topology", "topologies/nope.toml"],
     "topologies/nope.toml does not exist"),
    (["python3", "-m", "testbed.demo"], "`python3 -m testbed.demo` outside the venv"),
])
def test_the_checks_catch_what_does_not_work(command: list[str], problem: str) -> None:
    assert any(p.startswith(problem) for p in check_command(command, synopsis=False)), check_command(command, False)


def regenerate() -> int:
    """Rewrite every figure block of the docs from its command, run in this checkout."""
    import tempfile

    changed = 0
    for doc in DOCS:
        lines = doc.read_text().splitlines(keepends=True)
        for block in sorted((b for b in FIGURES if b.doc == doc), key=lambda b: -b.line):
            with tempfile.TemporaryDirectory() as tmp:
                text = figure_of(block, ROOT, Path(tmp) / "figure.txt")
            end = next(j for j in range(block.line, len(lines)) if lines[j].strip() == "```")
            new = [line + "\n" for line in text.split("\n")]
            if lines[block.line : end] != new:
                lines[block.line : end] = new
                changed += 1
        doc.write_text("".join(lines))
    print(f"{changed} figures rewritten")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] != ["--regenerate"]:
        sys.exit("usage: .venv/bin/python tests/docs/test_doc_commands.py --regenerate")
    sys.exit(regenerate())
