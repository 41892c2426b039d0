# JetStream-P4: a transparent NIC in P4, and softp4, the toolchain that runs it anywhere.
#
#   make run      build the P4 programs and run the two-server demo (softp4 by default)
#   make test     lint and run the test suite
#   make build    compile every p4src/<prog>.p4 into build/<prog>/<prog>.json + .p4info.txtpb
#   make ptf      run the PTF packet tests against a switch
#   make bench    print the benchmark figures
#
# TARGET=softp4 (default) or TARGET=bmv2 (simple_switch_grpc, native or in Docker).
# TESTBED=inprocess (default for softp4: the whole rack in one process) or TESTBED=netns (one switch process
# per device on veth cables, programmed over P4Runtime; root; always so for TARGET=bmv2).
# P4C names the compiler; by default p4c-bm2-ss when it is on PATH, else softp4's.

PYTHON      ?= python3
VENV        ?= .venv
BUILD_DIR   ?= build
TARGET      ?= softp4
TESTBED     ?=
PROGRAMS    := $(basename $(notdir $(wildcard p4src/*.p4)))
P4_SOURCES  := $(wildcard p4src/*.p4 p4src/include/*.p4 p4src/include/*/*.p4)
P4C         ?= $(shell command -v p4c-bm2-ss 2>/dev/null)
SOFTP4      := $(VENV)/bin/softp4
PY          := $(VENV)/bin/python
STAMP       := $(VENV)/.installed
# p4runtime-shell pins protobuf < 3.21, so it cannot share .venv with finsy: it gets its own, used by the
# test that drives a running softp4 switch with it
SHELL_VENV  ?= .venv-p4runtime-shell
SHELL_STAMP := $(SHELL_VENV)/.installed

ifeq ($(strip $(P4C)),)
P4C_CMD     := $(SOFTP4) compile
else
P4C_CMD     := $(P4C)
endif

.PHONY: all build run test lint pytest ptf bench constants clean distclean venv sysdeps

all: build

# --- environment -----------------------------------------------------------

venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(MAKE) --no-print-directory sysdeps
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	@touch $@

$(SHELL_STAMP):
	$(PYTHON) -m venv $(SHELL_VENV)
	$(SHELL_VENV)/bin/pip install --quiet p4runtime-shell
	@touch $@

# iproute2 gives `ip` for veth pairs and namespaces (tests, testbed); install it when missing and we are root.
sysdeps:
	@command -v ip >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && apt-get install -y -qq iproute2 >/dev/null; \
	  else echo "note: 'ip' (iproute2) is missing; veth tests will be skipped"; fi; }

# --- P4 programs -----------------------------------------------------------

build: $(STAMP) $(foreach p,$(PROGRAMS),$(BUILD_DIR)/$(p)/$(p).json)

$(BUILD_DIR)/%.json: $(P4_SOURCES) $(STAMP)
	@mkdir -p $(dir $@)
	$(P4C_CMD) --std p4-16 --arch v1model -I p4src \
	  -o $@ --p4runtime-files $(basename $@).p4info.txtpb p4src/$(notdir $(basename $@)).p4

constants: $(STAMP)
	$(PY) -m controller.protocol.gen_constants p4src/include/defines.p4 -o controller/protocol/constants.py

# --- running ---------------------------------------------------------------

run: build
	$(PY) -m testbed.demo --target $(TARGET) $(if $(TESTBED),--testbed $(TESTBED)) --build-dir $(BUILD_DIR) \
	  --topology topologies/pair.toml

# --- checks ----------------------------------------------------------------

test: lint pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

pytest: $(STAMP) $(SHELL_STAMP)
	SOFTP4_P4RUNTIME_SHELL_PYTHON=$(SHELL_VENV)/bin/python $(VENV)/bin/pytest -q $(PYTEST_ARGS)

ptf: build
	$(PY) -m testbed.ptf_runner --target $(TARGET) --build-dir $(BUILD_DIR)

# switch_veth.py needs root (veth pairs); p4c_corpus.py runs only when P4C_TESTDATA names p4c's testdata/
BENCHES := wire_efficiency compile_time switch_inprocess p4runtime_rates
bench: build
	@for b in $(BENCHES); do echo "== benchmarks/$$b.py"; $(PY) benchmarks/$$b.py || exit 1; done
	@if [ "$$(id -u)" = 0 ]; then echo "== benchmarks/switch_veth.py"; $(PY) benchmarks/switch_veth.py || exit 1; \
	 else echo "(skipping benchmarks/switch_veth.py: it needs root for veth pairs)"; fi
	@if [ -n "$(P4C_TESTDATA)" ]; then echo "== benchmarks/p4c_corpus.py"; \
	   $(PY) benchmarks/p4c_corpus.py --p4c-testdata "$(P4C_TESTDATA)" || exit 1; \
	 else echo "(skipping benchmarks/p4c_corpus.py: set P4C_TESTDATA=<p4c checkout>/testdata)"; fi

clean:
	rm -rf $(BUILD_DIR) .pytest_cache .mypy_cache .ruff_cache

distclean: clean
	rm -rf $(VENV) $(SHELL_VENV) *.egg-info
