"""jetstream-ctl: program the NICs and the ToR of a topology over P4Runtime.

    jetstream-ctl plan TOPOLOGY                             the address plan and every device's entries
    jetstream-ctl apply TOPOLOGY --device NAME=HOST:PORT    push pipelines if needed, reconcile every device
    jetstream-ctl counters TOPOLOGY --device ...            drops by reason, streams, ToR ports and classes
    jetstream-ctl watch TOPOLOGY --device ...               print packet-ins, decoded, until Ctrl-C
    jetstream-ctl serve TOPOLOGY --device ...               stay connected: reconcile on every (re)connect
    jetstream-ctl compose TOPOLOGY                          a compose file: a BMv2 container per switch

A device is a server's NIC (by the server's name) or the ToR (by its name in the topology); give its
P4Runtime address with `--device NAME=HOST:PORT[@DEVICE_ID]` (device id 1 by default), or list them all in
a deployment file (`--deployment FILE`, see docs/controller.md). Every failure is one clear message on
stderr: exit status 2 for a mistake on the command line, 1 when the work failed (a topology that cannot be
used, a device that refused or could not be reached), 130 on Ctrl-C; 0 when all went well.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from controller import compose, topology
from controller.plan import Plan, PlanError, compute
from controller.runtime import (
    ControllerError,
    DeviceAddress,
    Options,
    Outcome,
    apply,
    check,
    counters,
    parse_device,
    serve,
    watch,
)
from controller.runtime.counters import format_sections
from controller.runtime.devices import load_deployment
from controller.runtime.plan_text import plan_json, plan_lines
from controller.runtime.reconcile import Report

PROG = "jetstream-ctl"


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (exit status 2), pointing at --help instead of the usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _topology(path: str) -> tuple[topology.Topology, Plan]:
    """The topology and its plan; raises ControllerError naming the file (and the line) when unusable."""
    try:
        topo = topology.load(path)
        return topo, compute(topo)
    except (topology.TopologyError, PlanError) as exc:
        raise ControllerError(str(exc) if str(exc).startswith(path) else f"{path}: {exc}") from None


def _device(text: str) -> DeviceAddress:
    try:
        return parse_device(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"'{text}': give a positive number of seconds")
    return value


def _election_id(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 1 << 127:
        raise argparse.ArgumentTypeError(f"'{text}' is not an election id (an integer from 1 to 2^127-1)")
    return int(text)


def _count(text: str) -> int:
    if not text.isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(f"'{text}' is not a positive integer")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    topo = Parser(add_help=False)
    topo.add_argument("topology", metavar="TOPOLOGY", help="topology file (TOML)")

    devices = Parser(add_help=False)
    devices.add_argument(
        "--device", "-d", dest="devices", metavar="NAME=HOST:PORT[@ID]", type=_device, action="append",
        default=[], help="a device's P4Runtime address (repeat per device; NAME is a server or the ToR)",
    )
    devices.add_argument(
        "--deployment", metavar="FILE", help="TOML file listing the devices' addresses"
    )
    devices.add_argument("--build-dir", type=Path, default=Path("build"),
                         help="where `make build` put <prog>/<prog>.json and .p4info.txtpb (default: build)")
    devices.add_argument("--timeout", type=_positive_seconds, default=10.0,
                         help="seconds to wait for a device (default: 10)")
    devices.add_argument("--election-id", type=_election_id,
                         help="P4Runtime election id (default: the time in milliseconds, so the latest wins)")
    devices.add_argument("--verbose", "-v", action="store_true", help="more detail, and finsy's log")

    parser = Parser(prog=PROG, description=__doc__.splitlines()[0],
                    formatter_class=argparse.RawDescriptionHelpFormatter,
                    epilog="\n".join(__doc__.splitlines()[2:9]))
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)
    p_plan = sub.add_parser("plan", parents=[topo], help="print the address plan and the entries of every device")
    p_plan.add_argument("--check", metavar="BUILD_DIR", type=Path,
                        help="also resolve every entry against the P4Info of the programs in BUILD_DIR")
    p_plan.add_argument("--format", choices=["text", "json"], default="text",
                        help="text (default: the plan, every entry, then a summary) or json (the summary and "
                             "every device's entries and groups)")
    sub.add_parser("compose", parents=[topo],
                   help="print a compose file: every switch a BMv2 container, every cable a network (docs/docker.md)")
    p_apply = sub.add_parser("apply", parents=[topo, devices], help="push pipelines and reconcile every device")
    p_apply.add_argument("--force", action="store_true", help="push the pipeline even when the cookie matches")
    p_apply.add_argument("--dry-run", "-n", action="store_true",
                         help="only say what apply would change (with -v: every entry); write nothing")
    sub.add_parser("counters", parents=[topo, devices], help="print the devices' counters by name")
    p_watch = sub.add_parser("watch", parents=[topo, devices], help="print packet-ins, decoded, until Ctrl-C")
    p_watch.add_argument("--count", type=_count, help="stop after this many packet-ins")
    p_serve = sub.add_parser("serve", parents=[topo, devices],
                             help="stay connected: reconcile each device whenever it (re)connects, print packet-ins")
    p_serve.add_argument("--retry", type=_positive_seconds, default=2.0,
                         help="seconds between attempts to reach a device that is down (default: 2)")
    return parser


def _devices(args: argparse.Namespace, parser: argparse.ArgumentParser) -> list[DeviceAddress]:
    seen: set[str] = set()
    for device in args.devices:
        if device.name in seen:
            parser.error(f"--device {device.name}: given twice")
        seen.add(device.name)
    given: list[DeviceAddress] = load_deployment(args.deployment) if args.deployment else []
    names = {device.name: i for i, device in enumerate(given)}
    for device in args.devices:  # the command line overrides the deployment file
        if device.name in names:
            given[names[device.name]] = device
        else:
            names[device.name] = len(given)
            given.append(device)
    if not given:
        parser.error(f"{args.command}: give the devices with --device NAME=HOST:PORT or --deployment FILE")
    return given


def _options(args: argparse.Namespace) -> Options:
    return Options(build_dir=args.build_dir, timeout=args.timeout, election_id=args.election_id,
                   force=getattr(args, "force", False), dry_run=getattr(args, "dry_run", False))


def _report(outcomes: list[Outcome], show: Any, verbose: bool) -> int:
    failed = 0
    for outcome in outcomes:
        if outcome.error is not None:
            failed += 1
            print(f"error: {outcome.error}", file=sys.stderr)
            continue
        show(outcome, verbose)
    return 1 if failed else 0


def _show_apply(outcome: Outcome, verbose: bool) -> None:
    report: Report = outcome.result
    print(report.summary())
    if verbose:
        for title, items in (("inserted", report.inserted), ("modified", report.modified),
                             ("deleted", report.deleted)):
            for item in items:
                print(f"  {title}: {item}")
        for order in report.reset:
            print(f"  {order.describe()}")


def _show_counters(outcome: Outcome, verbose: bool) -> None:
    for line in format_sections(str(outcome.device), outcome.result):
        print(line)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `jetstream-ctl plan ... | head`: the reader has seen enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        topo, plan = _topology(args.topology)
    except ControllerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.command == "compose":
        print(compose.render(topo, str(args.topology)), end="")
        return 0
    if args.command == "plan":
        try:
            checked = check(topo, plan, args.check) if args.check is not None else None
            if args.format == "json":
                document = plan_json(topo, plan)
                if checked is not None:
                    document["resolves_in"] = list(map(str, checked))
                print(json.dumps(document, indent=1))
                return 0
            lines = plan_lines(topo, plan)
            if checked is not None:
                lines += ["", "every entry resolves in " + ", ".join(map(str, checked))]
        except ControllerError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print("\n".join(lines))
        return 0
    logging.basicConfig(format="%(name)s: %(levelname)s: %(message)s")
    logging.getLogger("finsy").setLevel(logging.INFO if args.verbose else logging.CRITICAL + 1)
    try:
        devices = _devices(args, parser)
    except ControllerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    options = _options(args)
    try:
        if args.command == "apply":
            return _report(asyncio.run(apply(topo, plan, devices, options)), _show_apply, args.verbose)
        if args.command == "counters":
            return _report(asyncio.run(counters(topo, plan, devices, options)), _show_counters, args.verbose)
        if args.command == "serve":
            asyncio.run(serve(topo, plan, devices, options, _print_flush, retry=args.retry))
            return 0
        outcomes = asyncio.run(watch(topo, plan, devices, options, _print_flush, args.count))
        return _report(outcomes, lambda outcome, verbose: None, args.verbose)
    except ControllerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a defect of ours: one line, the traceback only on request
        if args.verbose:
            raise
        print(f"error: {args.command} failed: {type(exc).__name__}: {exc} (run with --verbose for details)",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        if args.command in ("watch", "serve"):  # the normal way to end them
            return 0
        print(f"error: {args.command} interrupted; run it again to converge", file=sys.stderr)
        return 130


def _print_flush(line: str) -> None:
    print(line, flush=True)


if __name__ == "__main__":
    sys.exit(main())
