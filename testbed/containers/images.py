"""The images a run uses: the public one when it is here or can be pulled, else a local stand-in.

    bmv2     p4lang/behavioral-model  (simple_switch_grpc on PATH)  stand-in jetstream/behavioral-model:p4ref
    p4c      p4lang/p4c               (p4c-bm2-ss on PATH)          stand-in jetstream/p4c:p4ref
    base     debian:bookworm-slim                                   stand-in jetstream/debian:bookworm
    project  (none public: always built from the repository's Dockerfile)  jetstream/jetstream:dev

A stand-in is built where the public image cannot be pulled (no registry, as on an offline machine), and
the run says so in one line. The base comes from Debian's packages (`mmdebstrap --variant=minbase bookworm
- | docker import`); BMv2 and p4c from the toolchain `P4REF` names (else the one on PATH, else /opt/p4ref):
the binaries and the shared libraries of the prefix they load (found with `ldd`) are copied into a build
context under `build/docker/`, at the prefix's own path (their RUNPATH points there), debug sections
stripped, and the Debian packages that hold their other libraries (`dpkg -S`) are installed in the image.
Nothing of p4c or BMv2 is ever in the repository; the context is assembled at run time, only on a host
that has the toolchain.

Builds are cached: every image built here carries the label `org.jetstream-p4.inputs`, a hash of what
went into it (the files' names, sizes and times, the Dockerfile, the base image's id); an image whose label
matches is used as it is, without even a `docker build`. A stand-in once built is used rather than trying
the pull again (`docker rmi` it to try again).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from softp4 import reference
from testbed.containers.engine import LABEL, Docker, DockerError

ROOT = Path(__file__).resolve().parents[2]
INPUTS_LABEL = f"{LABEL}.inputs"
PUBLIC = {"bmv2": "p4lang/behavioral-model", "p4c": "p4lang/p4c", "base": "debian:bookworm-slim"}
STAND_INS = {"bmv2": "jetstream/behavioral-model:p4ref", "p4c": "jetstream/p4c:p4ref",
             "base": "jetstream/debian:bookworm"}
PROJECT = "jetstream/jetstream:dev"
# what each stand-in holds of the P4REF prefix (relative paths); shared libraries are added by ldd
TOOLS = {"bmv2": ("bin/simple_switch_grpc", "bin/simple_switch"), "p4c": ("bin/p4c-bm2-ss",)}
TREES = {"bmv2": (), "p4c": ("share/p4c/p4include",)}
# packages a tool runs rather than loads: p4c-bm2-ss preprocesses the program with `cpp`
RUNS = {"bmv2": (), "p4c": ("cpp",)}
# the build backend of pyproject.toml, for `pip install -e .` in the image without an index
SETUPTOOLS = "setuptools>=77"
# what the Dockerfile copies into the project's image: a change elsewhere (docs, tests) rebuilds nothing
PROJECT_INPUTS = ("Dockerfile", ".dockerignore", "pyproject.toml", "README.md", "softp4/", "controller/", "testbed/",
                  "p4src/", "ptf_tests/", "topologies/")
PULL_TIMEOUT = 900.0
BUILD_TIMEOUT = 1800.0


class ImageError(RuntimeError):
    """An image that can be neither found, pulled nor built here; the message says why and what to do."""


Say = Callable[[str], None]


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@dataclass
class Images:
    """Resolves image names for one run; `context_dir` is where build contexts are assembled."""

    docker: Docker
    context_dir: Path = ROOT / "build" / "docker"
    say: Say = _say

    def resolve(self, kind: str, public: str | None = None) -> str:
        """The image to use for `kind` (bmv2, p4c, base, project), `public` naming the public image
        (default the usual one): it when it is here or can be pulled, else the local stand-in."""
        if kind == "project":  # a name given is used when it is here; else the repository's Dockerfile
            other = public not in (None, "", PROJECT) and self.docker.image_exists(public)
            return public if other and public else self.project()
        public = public or PUBLIC[kind]
        if self.docker.image_exists(public):
            return public
        stand_in = STAND_INS[kind]
        if self.docker.image_exists(stand_in) and self._current(kind, stand_in):
            return stand_in
        try:
            self.docker.run(["pull", "--quiet", public], timeout=PULL_TIMEOUT)
        except DockerError as exc:
            reason = str(exc).rsplit('": ', 1)[-1]  # after docker's `Get "https://...": `
            self.say(f"docker: cannot pull {public} ({_short(reason)}): building the local stand-in {stand_in}")
            self._build_stand_in(kind, stand_in)
            return stand_in
        return public

    def _current(self, kind: str, image: str) -> bool:
        """Whether a stand-in already built is still what its inputs would make (the base always is)."""
        if kind == "base":
            return True
        return self.docker.image_label(image, INPUTS_LABEL) == self._toolchain_inputs(kind)[0]

    def _build_stand_in(self, kind: str, tag: str) -> None:
        if kind == "base":
            self._build_base(tag)
            return
        digest, files, packages = self._toolchain_inputs(kind)
        base = self.resolve("base")
        prefix = _prefix()
        context = self.context_dir / kind
        if context.exists():
            shutil.rmtree(context)
        for relative in files:
            _place(prefix / relative, context / "root" / prefix.relative_to("/") / relative)
        for tree in TREES[kind]:
            shutil.copytree(prefix / tree, context / "root" / prefix.relative_to("/") / tree)
        dockerfile = _toolchain_dockerfile(kind, base, prefix, packages, digest)
        (context / "Dockerfile").write_text(dockerfile)
        self._docker_build(tag, context)

    def _toolchain_inputs(self, kind: str) -> tuple[str, list[str], list[str]]:
        """(the inputs' hash, the prefix's files to copy, the Debian packages to install) for bmv2 or p4c."""
        prefix = _prefix()
        binaries = [prefix / tool for tool in TOOLS[kind]]
        for binary in binaries:
            if not binary.is_file():
                raise ImageError(f"the {kind} stand-in needs {binary}: {reference.missing_message(binary.name)}")
        ours, system = _shared_libraries(binaries, prefix)
        files = [str(b.relative_to(prefix)) for b in binaries] + [str(p.relative_to(prefix)) for p in ours]
        packages = sorted({*_debian_packages(system), *RUNS[kind]})
        trees = [f for tree in TREES[kind] for f in sorted((prefix / tree).rglob("*")) if f.is_file()]
        stamp = [f"{f}:{(prefix / f).stat().st_size}:{(prefix / f).stat().st_mtime_ns}" for f in files]
        stamp += [f"{f}:{f.stat().st_size}:{f.stat().st_mtime_ns}" for f in trees]
        stamp += [f"package:{p}" for p in packages]
        stamp.append(_toolchain_dockerfile(kind, "BASE", prefix, packages, "DIGEST"))
        return _digest(stamp), files, packages

    def _build_base(self, tag: str) -> None:
        mmdebstrap = shutil.which("mmdebstrap")
        if mmdebstrap is None:
            raise ImageError(f"cannot make the base image {tag}: mmdebstrap is missing (apt-get install mmdebstrap), "
                             f"and {PUBLIC['base']} cannot be pulled")
        rootfs = subprocess.Popen([mmdebstrap, "--variant=minbase", "--quiet", "bookworm", "-"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        try:
            imported = subprocess.run([self.docker.command, "import", "--change", 'CMD ["bash"]', "-", tag],
                                      stdin=rootfs.stdout, capture_output=True, text=True, check=False,
                                      timeout=BUILD_TIMEOUT)
        finally:
            if rootfs.stdout is not None:
                rootfs.stdout.close()
            _, err = rootfs.communicate()
        if rootfs.returncode != 0 or imported.returncode != 0:
            said = err.decode(errors="replace").strip() or imported.stderr.strip()
            raise ImageError(f"cannot make the base image {tag}: {_short(said.splitlines()[-1] if said else '?')}")

    def project(self) -> str:
        """The project's image (Dockerfile at the repository's root), rebuilt only when a file changed."""
        base = self.resolve("base")
        files = _project_files()
        base_id = self.docker.run(["image", "inspect", "--format", "{{.Id}}", base], timeout=30).strip()
        digest = _digest([base_id, *(f"{f}:{(ROOT / f).stat().st_size}:{(ROOT / f).stat().st_mtime_ns}"
                                     for f in files if (ROOT / f).is_file())])
        if self.docker.image_label(PROJECT, INPUTS_LABEL) == digest:
            return PROJECT
        self.say(f"docker: building the project's image {PROJECT} (Dockerfile, on {base})")
        self._wheelhouse()
        self._docker_build(PROJECT, ROOT, ["--build-arg", f"BASE={base}", "--label", f"{INPUTS_LABEL}={digest}"])
        return PROJECT

    def _wheelhouse(self) -> None:
        """The image's Python packages as wheels, made here by this interpreter's pip (which knows the
        host's index, proxy and certificates) into build/docker/wheels, which the Dockerfile installs from:
        a build container may not reach PyPI where the host does. Made again only when the list changes."""
        wheels = ROOT / "build" / "docker" / "wheels"
        wanted = "\n".join([*_requirements(), SETUPTOOLS]) + "\n"
        stamp = wheels / "requirements.txt"
        if stamp.is_file() and stamp.read_text() == wanted and any(wheels.glob("*.whl")):
            return
        wheels.mkdir(parents=True, exist_ok=True)
        stamp.unlink(missing_ok=True)
        requirements = wheels / "requirements.in"
        requirements.write_text(wanted)
        done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(wheels),
                               "-r", str(requirements)], capture_output=True, text=True, check=False,
                              timeout=BUILD_TIMEOUT)
        if done.returncode != 0:
            said = (done.stderr.strip() or done.stdout.strip() or "?").splitlines()[-1]
            raise ImageError(f"pip wheel (the project image's packages): {said}")
        stamp.write_text(wanted)

    def _docker_build(self, tag: str, context: Path, extra: Iterable[str] = ()) -> None:
        # --network host: the builds install Debian and PyPI packages, and a daemon run with --iptables=false
        # gives build containers no route out through its bridge
        args = ["build", "--network", "host", "--force-rm", "--quiet", "-t", tag, *extra, str(context)]
        try:
            self.docker.run(args, timeout=BUILD_TIMEOUT)
        except DockerError as exc:
            raise ImageError(f"building {tag}: {exc}") from None


# where the project's machines keep the toolchain they built (as .ci/run assumes), the last place looked
CONVENTIONAL_PREFIX = Path("/opt/p4ref")


def _prefix() -> Path:
    """The toolchain's install prefix: P4REF, else the one on PATH, else /opt/p4ref when it holds BMv2."""
    prefix = os.environ.get(reference.ENV)
    if prefix:
        return Path(prefix).resolve()
    found = reference.find_tool("simple_switch_grpc") or reference.find_tool("p4c-bm2-ss")
    if found is not None:
        return Path(found).resolve().parents[1]
    if (CONVENTIONAL_PREFIX / "bin" / "simple_switch_grpc").is_file():
        return CONVENTIONAL_PREFIX
    raise ImageError("a BMv2/p4c stand-in is built from the toolchain P4REF names (an install prefix with bin/ "
                     "and lib/): set P4REF, or make the public images pullable")


_LDD_LINE = re.compile(r"^\s*\S+ => (/\S+)", re.MULTILINE)


def _shared_libraries(binaries: list[Path], prefix: Path) -> tuple[list[Path], list[Path]]:
    """The shared libraries the binaries load: (those inside the prefix, the system's), by `ldd`."""
    ours: dict[Path, None] = {}
    system: dict[Path, None] = {}
    for binary in binaries:
        try:
            out = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, check=True, timeout=60).stdout
        except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            raise ImageError(f"ldd {binary}: {exc}") from None
        if "not found" in out:
            missing = next(line.split()[0] for line in out.splitlines() if "not found" in line)
            raise ImageError(f"{binary} needs {missing}, which is not installed here")
        for path in map(Path, _LDD_LINE.findall(out)):
            (ours if path.is_relative_to(prefix) else system)[path] = None
    return list(ours), list(system)


def _debian_packages(libraries: list[Path]) -> list[str]:
    """The Debian packages holding `libraries` (dpkg -S on each one's real path)."""
    if not libraries:
        return []
    if shutil.which("dpkg") is None:
        raise ImageError("a BMv2/p4c stand-in is built on a Debian or Ubuntu host (dpkg names the runtime packages)")
    paths = sorted({str(p.resolve()) for p in libraries})
    result = subprocess.run(["dpkg", "-S", *paths], capture_output=True, text=True, check=False, timeout=60)
    packages = {line.split(":", 1)[0].split(",")[0].strip() for line in result.stdout.splitlines() if ":" in line}
    return sorted(packages)


def _place(source: Path, target: Path) -> None:
    """Copy a binary into a build context without its debug sections (`strip --strip-debug` when found)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    strip = shutil.which("strip")
    if strip is not None:
        done = subprocess.run([strip, "--strip-debug", "-o", str(target), str(source)], capture_output=True,
                              check=False, timeout=300)
        if done.returncode == 0:
            return
    shutil.copy2(source, target)


def _toolchain_dockerfile(kind: str, base: str, prefix: Path, packages: list[str], digest: str) -> str:
    tool = "simple_switch_grpc" if kind == "bmv2" else "p4c-bm2-ss"
    return "\n".join([
        f"# A local stand-in for {PUBLIC[kind]}: {tool} and the rest from {prefix}, assembled by",
        "# testbed/containers/images.py because the public image could not be pulled.",
        f"FROM {base}",
        "RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \\",
        f"      {' '.join(packages) or 'libc6'} >/dev/null && rm -rf /var/lib/apt/lists/*",
        "COPY root/ /",
        f"ENV PATH={prefix}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        f"LABEL {INPUTS_LABEL}={digest}",
        "",
    ])


def _requirements() -> list[str]:
    """What the project's image installs: the dependencies, and ptf of the development ones (as the
    Dockerfile selects them)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [*project["dependencies"], *(d for d in project["optional-dependencies"]["dev"] if d.startswith("ptf"))]


def _project_files() -> list[str]:
    """The files that go into the project's image, as git lists them (tracked and new, not ignored)."""
    try:
        out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "--", *PROJECT_INPUTS], cwd=ROOT,
                             capture_output=True, text=True, check=True, timeout=60).stdout
    except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired):
        found = [p for entry in PROJECT_INPUTS for p in ([ROOT / entry] if not entry.endswith("/")
                                                         else (ROOT / entry).rglob("*"))]
        return sorted(str(p.relative_to(ROOT)) for p in found if p.is_file() and "__pycache__" not in p.parts)
    return sorted(out.split())


def _digest(parts: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _short(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
