"""`python -m testbed.containers`: the images and the compiler of the Docker path (docs/docker.md).

    images  [--target bmv2|softp4] [--image IMAGE] [--p4c-image IMAGE]   find, pull or build them; print them
    compile [--target bmv2|softp4] [--image IMAGE] -- COMPILER ARGS      compile in the compiler's image
    clean                                                                remove what runs left behind

Exit status: 0 done, 1 Docker or an image failed (one line says why), 2 usage, 130 Ctrl-C; `compile`
exits with the compiler's status.
"""

from __future__ import annotations

import argparse
import sys

from testbed.containers import compile as compiler
from testbed.containers.engine import DockerError, usable
from testbed.containers.images import ImageError, Images

COMPILER_KIND = {"bmv2": "p4c", "softp4": "project"}
SWITCH_KIND = {"bmv2": "bmv2", "softp4": "project"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m testbed.containers", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    images = commands.add_parser("images", help="find, pull or build the images a run uses, and print them")
    compile_ = commands.add_parser("compile", help="compile in the compiler's image (arguments after --)")
    for sub in (images, compile_):
        sub.add_argument("--target", choices=sorted(COMPILER_KIND), default="bmv2")
        sub.add_argument("--image", help="the switch's image (images) or the compiler's (compile); "
                                         "default the public one, else a local stand-in")
    images.add_argument("--p4c-image", help="the compiler's image for bmv2 (default p4lang/p4c)")
    compile_.add_argument("args", nargs=argparse.REMAINDER, help="the compiler's arguments")
    commands.add_parser("clean", help="remove the containers, networks and volumes of runs that are gone")
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except (DockerError, ImageError) as exc:
        print(f"docker: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("docker: interrupted", file=sys.stderr)
        return 130


def _run(args: argparse.Namespace) -> int:
    docker, problem = usable()
    if docker is None:
        print(f"docker: {problem}", file=sys.stderr)
        return 1
    if args.command == "clean":
        cleaned = docker.remove_stale()
        print(f"docker: removed what {len(cleaned)} finished run(s) left" if cleaned else "docker: nothing left behind")
        return 0
    images = Images(docker)
    if args.command == "images":
        switch = images.resolve(SWITCH_KIND[args.target], args.image)
        tool = images.resolve(COMPILER_KIND[args.target], args.p4c_image if args.target == "bmv2" else switch)
        print(f"switch: {switch}\ncompiler: {tool}")
        return 0
    compiler_args = args.args[1:] if args.args[:1] == ["--"] else args.args
    if not compiler_args:
        print("docker: compile: give the compiler's arguments after --", file=sys.stderr)
        return 2
    return compiler.run(docker, images.resolve(COMPILER_KIND[args.target], args.image), args.target, compiler_args)


if __name__ == "__main__":
    sys.exit(main())
