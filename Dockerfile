# The project's image: softp4, the controller and the testbed, with the Python they need, so a host without
# Python 3.11 runs everything (docs/docker.md):
#
#   docker build -t jetstream/jetstream:dev .
#   docker run --rm jetstream/jetstream:dev                      # the two-server demo, in one process
#   docker run --rm --cap-add NET_ADMIN --sysctl net.ipv6.conf.default.disable_ipv6=1 jetstream/jetstream:dev \
#       python -m testbed.demo --testbed netns            # switch processes on veth cables, in the container
#
# `make run TARGET=softp4 DOCKER=1` builds it (on a Debian base made locally when debian:bookworm-slim
# cannot be pulled) and runs every switch of the rack as a container of it.
ARG BASE=debian:bookworm-slim
FROM ${BASE}
# python3 is 3.11 on bookworm; iproute2 and util-linux (setpriv) for the process testbed
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      python3 python3-venv iproute2 util-linux ca-certificates >/dev/null \
 && rm -rf /var/lib/apt/lists/*
ENV PATH=/opt/venv/bin:$PATH PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /opt/jetstream
# the dependencies first, from pyproject.toml alone, so a change to the code does not reinstall them;
# ptf too (the PTF suite runs in this image), none of the other development tools. Wheels the host put
# in build/docker/wheels (testbed/containers/images.py does, for builders that cannot reach PyPI) are
# installed from there, and PyPI is not asked; without them pip gets everything from PyPI.
COPY pyproject.toml build/docker/wheel[s] /tmp/in/
RUN python3 -m venv /opt/venv \
 && python3 -c 'import tomllib; p = tomllib.load(open("/tmp/in/pyproject.toml", "rb"))["project"]; \
print("\n".join(p["dependencies"] + [d for d in p["optional-dependencies"]["dev"] if d.startswith("ptf")]))' \
      > /tmp/requirements.txt \
 && if ls /tmp/in/*.whl >/dev/null 2>&1; then set -- --no-index --find-links /tmp/in; fi \
 && pip install --quiet "$@" -r /tmp/requirements.txt \
 && echo "$*" > /tmp/pip-options
COPY README.md pyproject.toml ./
COPY softp4 softp4/
COPY controller controller/
COPY testbed testbed/
COPY p4src p4src/
COPY ptf_tests ptf_tests/
COPY topologies topologies/
RUN pip install --quiet $(cat /tmp/pip-options) --no-deps -e . \
 && for p in nic tor; do mkdir -p build/$p && softp4 compile --std p4-16 --arch v1model -I p4src -o build/$p/$p.json \
      --p4runtime-files build/$p/$p.p4info.txtpb p4src/$p.p4 || exit 1; done
CMD ["python", "-m", "testbed.demo"]
