# JetStream-P4: a transparent NIC in P4, and softp4, the toolchain that runs it anywhere.
#
#   make run      build the P4 programs and run the rack: all-gather and all-to-all under loss, summed up
#                 (TOPOLOGY=topologies/pair.toml TRACE=1: one write walked hop by hop)
#   make test     lint and run the test suite, then the real-toolchain steps (make test-ref)
#   make test-ref the same programs, tests and demos on real p4c and BMv2, where they are found
#   make build    compile every p4src/<prog>.p4 into build/<prog>/<prog>.json + .p4info.txtpb
#   make ptf      run the PTF packet tests against a switch (TEST=nic_tests.RxGapIsNackedAndDropped: one test)
#   make bench    print the benchmark figures
#   make stack    the rack as a compose stack of containers, demo included (SWARM=1: on a Docker Swarm)
#
# TARGET=softp4 (default) or TARGET=bmv2 (simple_switch_grpc, native or in Docker).
# DOCKER=1 compiles and runs every switch in containers (docs/docker.md); make test-docker tests that.
# TESTBED=inprocess (default for softp4: the whole rack in one process) or TESTBED=netns (one switch process
# per device on veth cables, programmed over P4Runtime; root; always so for TARGET=bmv2).
# P4C names the compiler; by default the reference p4c-bm2-ss when it is found, else softp4's.
# The reference toolchain (real p4c and BMv2) is found through P4REF, an install prefix holding bin/ (searched
# alone when set), else on PATH.

PYTHON      ?= python3
VENV        ?= .venv
BUILD_DIR   ?= build
TARGET      ?= softp4
TESTBED     ?=
PROGRAMS    := $(basename $(notdir $(wildcard p4src/*.p4)))
P4_SOURCES  := $(wildcard p4src/*.p4 p4src/include/*.p4 p4src/include/*/*.p4)
ref_tool     = $(if $(P4REF),$(wildcard $(P4REF)/bin/$(1)),$(shell command -v $(1) 2>/dev/null))
REF_WHERE   := $(if $(P4REF),P4REF=$(P4REF) (its bin/),PATH (P4REF is not set))
REF_P4C     := $(call ref_tool,p4c-bm2-ss)
REF_BMV2    := $(call ref_tool,simple_switch_grpc)
REF_SWITCH  := $(call ref_tool,simple_switch)
# where test-ref puts what real p4c and softp4 compile
REF_BUILD   ?= build-p4c
SOFTP4_BUILD ?= build-softp4
P4C         ?= $(REF_P4C)
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

# Docker (docs/docker.md): DOCKER=1 compiles and runs every switch in containers, DOCKER=0 never; unset,
# TARGET=bmv2 does when simple_switch_grpc is not found and a docker command is. TARGET=bmv2 uses P4C_IMAGE
# and BMV2_IMAGE (local stand-ins, built from P4REF, where they cannot be pulled), TARGET=softp4 the
# project's image (Dockerfile). The programs then go to build-docker/ unless BUILD_DIR says otherwise.
DOCKER        ?=
P4C_IMAGE     ?= p4lang/p4c
BMV2_IMAGE    ?= p4lang/behavioral-model
PROJECT_IMAGE ?= jetstream/jetstream:dev
DOCKER_AUTO   := $(if $(and $(filter bmv2,$(TARGET)),$(shell command -v docker 2>/dev/null)),$(if $(REF_BMV2),,1))
USE_DOCKER    := $(if $(filter 1,$(DOCKER)),1,$(if $(filter 0,$(DOCKER)),,$(DOCKER_AUTO)))
DOCKER_ARGS   :=
ifeq ($(USE_DOCKER),1)
DOCKER_ARGS   := --docker $(if $(filter bmv2,$(TARGET)),$(BMV2_IMAGE),$(PROJECT_IMAGE))
P4C_CMD       := $(PY) -m testbed.containers compile --target $(TARGET) \
                 --image $(if $(filter bmv2,$(TARGET)),$(P4C_IMAGE),$(PROJECT_IMAGE)) --
ifeq ($(origin BUILD_DIR),file)
BUILD_DIR     := build-docker
endif
endif

.PHONY: all build run stack test test-ref test-docker lint pytest ptf bench constants clean distclean venv sysdeps

all: build

# --- environment -----------------------------------------------------------

venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(MAKE) --no-print-directory sysdeps
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev,bench]'
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
	$(PY) -m controller.protocol.gen_constants p4src/include/sizes.p4 -o controller/protocol/sizes.py

# --- running ---------------------------------------------------------------

TOPOLOGY    ?= topologies/rack8.toml
# TRACE=1: the walk (one write, every hop printed) instead of the rack scenario
TRACE       ?=
# more options of python -m testbed.demo, e.g. RUN_ARGS="--phase all-to-all --loss 5"
RUN_ARGS    ?=

run: build
	$(PY) -m testbed.demo --target $(TARGET) $(if $(TESTBED),--testbed $(TESTBED)) --build-dir $(BUILD_DIR) \
	  --topology $(TOPOLOGY) $(if $(filter-out 0,$(TRACE)),--scenario walk) $(RUN_ARGS) $(DOCKER_ARGS)

# The topology's compose stack run to its end (docs/docker.md): every switch a BMv2 container, the demo a
# container of the project's image holding the accelerators; SWARM=1 deploys it on a Docker Swarm (one node
# made for the run when there is none). RUN_ARGS go to the demo service (testbed.containers.accelerators).
# HOSTS=FILE (with SWARM=1): the stack over the swarm's hosts that file names, cables between hosts as VXLAN.
SWARM       ?=
HOSTS       ?=
stack: $(STAMP)
	$(PY) -m testbed.containers.stack $(if $(filter-out 0,$(SWARM)),swarm,compose) --topology $(TOPOLOGY) \
	  $(if $(HOSTS),--hosts $(HOSTS)) $(if $(strip $(RUN_ARGS)),-- $(RUN_ARGS))

# --- checks ----------------------------------------------------------------

test: lint pytest test-ref test-docker

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# tests/reference needs the real toolchain: test-ref runs it; tests/docker needs Docker: test-docker runs it
pytest: $(STAMP) $(SHELL_STAMP)
	SOFTP4_P4RUNTIME_SHELL_PYTHON=$(SHELL_VENV)/bin/python $(VENV)/bin/pytest -q --ignore=tests/reference \
	  --ignore=tests/docker \
	  $(PYTEST_ARGS)

# The real tools judge the project (docs/softp4.md, "Judged by the real tools"): p4c compiles p4src/ (no
# warning that p4src/p4c-warnings.txt does not list), softp4's P4Info equals p4c's and real simple_switch
# passes the STF tests of softp4's corpus (tests/reference); the NIC, controller and testbed suites run on
# p4c's programs; the PTF suite runs on simple_switch_grpc with p4c's and with softp4's programs; the demo
# runs on simple_switch_grpc (the rack scenario on rack8, and the pair's walk). Steps whose tool is missing
# say so in one line. P4C_TESTDATA=<p4c>/testdata adds p4c's corpus (benchmarks/p4c_corpus.py, >= 95% required);
# FABRIC_TNA, SONIC_PINS and DASH (checkouts) add the programs people run (benchmarks/realworld.py --check).
test-ref: $(STAMP)
ifeq ($(strip $(REF_P4C)$(REF_BMV2)$(REF_SWITCH)),)
	@echo "test-ref: SKIPPED every real-toolchain step: no p4c-bm2-ss, simple_switch or simple_switch_grpc in $(REF_WHERE)"
else
	@echo "test-ref: p4c-bm2-ss=$(or $(REF_P4C),MISSING) simple_switch=$(or $(REF_SWITCH),MISSING) simple_switch_grpc=$(or $(REF_BMV2),MISSING)"
	$(VENV)/bin/pytest -q tests/reference
ifneq ($(strip $(REF_P4C)),)
	@$(MAKE) --no-print-directory build BUILD_DIR=$(REF_BUILD) P4C=$(REF_P4C)
	JETSTREAM_BUILD_DIR=$(abspath $(REF_BUILD)) $(VENV)/bin/pytest -q tests/nic tests/controller tests/testbed
else
	@echo "test-ref: SKIPPED the suites on p4c's programs and everything on BMv2 with them: p4c-bm2-ss is not in $(REF_WHERE)"
endif
ifneq ($(strip $(REF_BMV2)),)
	@$(MAKE) --no-print-directory build BUILD_DIR=$(SOFTP4_BUILD) P4C=
	@$(MAKE) --no-print-directory ptf TARGET=bmv2 BUILD_DIR=$(SOFTP4_BUILD)
ifneq ($(strip $(REF_P4C)),)
	@$(MAKE) --no-print-directory ptf TARGET=bmv2 BUILD_DIR=$(REF_BUILD)
	@$(MAKE) --no-print-directory run TARGET=bmv2 BUILD_DIR=$(REF_BUILD)
	@$(MAKE) --no-print-directory run TARGET=bmv2 BUILD_DIR=$(REF_BUILD) TOPOLOGY=topologies/pair.toml TRACE=1
	$(PY) -m testbed.groupdemo --target bmv2 --tor linux-bridge --all-gather --build-dir $(REF_BUILD)
endif
else
	@echo "test-ref: SKIPPED the PTF suite and the demo on BMv2: simple_switch_grpc is not in $(REF_WHERE)"
endif
endif
ifneq ($(strip $(P4C_TESTDATA)),)
	$(PY) benchmarks/p4c_corpus.py --p4c-testdata "$(P4C_TESTDATA)" --jobs 2 --check 95
else
	@echo "test-ref: SKIPPED p4c's corpus: set P4C_TESTDATA=<p4c checkout>/testdata"
endif
ifneq ($(strip $(FABRIC_TNA)$(SONIC_PINS)$(DASH)),)
	$(PY) benchmarks/realworld.py --check
else
	@echo "test-ref: SKIPPED the programs people run (fabric-tna, SAI P4, DASH): set FABRIC_TNA, SONIC_PINS, DASH"
endif

# The demo and PTF in containers (docs/docker.md): BMv2's image with p4c's programs compiled in the p4c image,
# the project's image with softp4, and nothing left behind. The daemon is started when it is not running and
# we are root with dockerd; where Docker cannot be used, one line says why and the step is skipped. Images
# are built once (the public ones where they can be pulled, else stand-ins) and kept for the next run.
test-docker: $(STAMP)
	@if ! command -v docker >/dev/null 2>&1; then \
	  echo "test-docker: SKIPPED the demo and PTF in containers: no docker command (apt-get install docker.io)"; \
	else $(VENV)/bin/pytest -q tests/docker; fi

# TEST=nic_tests.RxGapIsNackedAndDropped runs one test (or a module, nic_tests, or a group, nic); PTF_ARGS go to ptf
TEST        ?=
PTF_ARGS    ?=
ptf: build
	$(PY) -m testbed.ptf_runner --target $(TARGET) --build-dir $(BUILD_DIR) $(foreach t,$(TEST),--test $(t)) \
	  $(DOCKER_ARGS) $(if $(strip $(PTF_ARGS)),-- $(PTF_ARGS))

# switch_veth.py and the netns protocol benchmarks need root (veth pairs), BMv2's need simple_switch_grpc
# (REF_BMV2); p4c_corpus.py runs only when P4C_TESTDATA names p4c's testdata/. The protocol benchmarks write
# their PNG plots into BENCH_OUT (with the `bench` extra: pip install -e '.[bench]').
BENCH_OUT   ?= $(BUILD_DIR)/bench
BENCHES := wire_efficiency compile_time switch_inprocess p4runtime_rates
# the protocol benchmarks: each in process, without loss and with 1%; as root on the netns rack too (softp4,
# and BMv2 where REF_BMV2 is found; a BMv2 failure is reported, not fatal: see docs/benchmarks.md)
PROTO_BENCHES := transfer collective
PROTO_TARGETS := softp4 $(if $(REF_BMV2),bmv2)
bench: build
	@for b in $(BENCHES); do echo "== benchmarks/$$b.py"; $(PY) benchmarks/$$b.py || exit 1; done
	@echo "== benchmarks/model_400g.py"; $(PY) benchmarks/model_400g.py --out $(BENCH_OUT)
	@for b in $(PROTO_BENCHES); do for loss in 0 1; do echo "== benchmarks/$$b.py --loss $$loss"; \
	   $(PY) benchmarks/$$b.py --loss $$loss --out $(BENCH_OUT) || exit 1; done; done
	@if [ "$$(id -u)" = 0 ]; then echo "== benchmarks/switch_veth.py"; $(PY) benchmarks/switch_veth.py || exit 1; \
	   for t in $(PROTO_TARGETS); do for b in $(PROTO_BENCHES); do for loss in 0 1; do \
	     echo "== benchmarks/$$b.py --testbed netns --target $$t --loss $$loss"; \
	     $(PY) benchmarks/$$b.py --testbed netns --target $$t --loss $$loss --out $(BENCH_OUT) || \
	       if [ $$t = bmv2 ]; then echo "(BMv2: failed; a loaded BMv2 loses TLPs on the testbed's PCIe cables, docs/benchmarks.md)"; \
	       else exit 1; fi; \
	   done; done; done; \
	 else echo "(skipping benchmarks/switch_veth.py and the netns protocol benchmarks: they need root for veth pairs)"; fi
	@if [ -n "$(P4C_TESTDATA)" ]; then echo "== benchmarks/p4c_corpus.py"; \
	   $(PY) benchmarks/p4c_corpus.py --p4c-testdata "$(P4C_TESTDATA)" || exit 1; \
	 else echo "(skipping benchmarks/p4c_corpus.py: set P4C_TESTDATA=<p4c checkout>/testdata)"; fi

clean:
	rm -rf $(BUILD_DIR) $(REF_BUILD) $(SOFTP4_BUILD) build-docker .pytest_cache .mypy_cache .ruff_cache

distclean: clean
	rm -rf $(VENV) $(SHELL_VENV) *.egg-info
