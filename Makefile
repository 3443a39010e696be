# Data desk controller. `make demo` runs the whole stack with a narrated
# scenario; `make test` runs every test. Both install what they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
APT_PACKAGES := debootstrap redis-server chromium prometheus sip-tester fonts-noto-cjk espeak-ng sox

.PHONY: demo demo-sentinel test test-failover test-compose unit soak bench deps system venv tree sounds clean check-config wheel
.PHONY: bench-decision bench-ami bench-sla bench-store bench-routing bench-capacity bench-nodes

demo: deps tree
	$(BIN)/python -m lab.demo

# The demo with Redis as a master, a replica and three sentinels.
demo-sentinel: deps tree
	$(BIN)/python -m lab.demo --sentinel

# The unit tests, then the integration tests on STACKS lab stacks at once
# (pytest-xdist: each worker its own Redis, PBX, phones and controller, on
# ports of its own; the tests that share one expensive fixture stay on one
# worker). Both parts run; the exit status says whether either failed.
STACKS ?= 4
test: deps tree
	s=0; $(BIN)/pytest tests/unit -n 2 || s=1; \
	$(BIN)/pytest tests/integration -n $(STACKS) --dist loadgroup --durations=10 || s=1; \
	exit $$s

# The unit tests alone (no stack), with line coverage of the package.
unit: venv
	$(BIN)/pytest tests/unit -n 2 --cov=ari_app --cov-report=term

# The checkout's configs against the example settings, with the shipped demo
# credentials (an installed controller's check reads /etc: see docs/operations.md).
DEMO_SECRETS := DATADESK_AMI_SECRET=demo-ami-secret-change-me \
  DATADESK_ARI_PASSWORD=demo-ari-secret-change-me DATADESK_API_TOKENS=admin:demo-api-token-change-me
check-config: venv
	$(DEMO_SECRETS) $(BIN)/datadesk --config datadesk.example.toml check-config \
	  --asterisk-conf asterisk-conf --dialplan dialplan --allow-demo-secrets

# The wheel an operator installs (docs/operations.md): dist/datadesk-<version>-py3-none-any.whl
wheel: venv
	$(BIN)/pip wheel . --no-deps -q -w dist

# The long soak: 5 minutes of mixed load (the suite runs a 45 s variant).
# The Redis failover tests with five failovers each (make test runs one).
test-failover: deps
	DATADESK_FAILOVERS=5 $(BIN)/pytest -s tests/integration/test_sentinel.py

# docker/compose.yaml (and with compose.sentinel.yaml) built and run with
# podman from local Debian bases, with real calls from the lab's phones
# (tests/compose). Its files stay in artifacts/compose and podman's storage;
# what a killed run left of its compose project is removed on the way out.
PODMAN_PACKAGES := podman runc catatonit containernetworking-plugins
test-compose: deps tree
	@$(MAKE) --no-print-directory system APT_PACKAGES="$(PODMAN_PACKAGES)"
	@s=0; $(BIN)/pytest -p no:cacheprovider -s tests/compose || s=$$?; \
	$(BIN)/python -m lab.compose clean; exit $$s

soak: deps tree
	DATADESK_SOAK_SECONDS=300 $(BIN)/pytest -s tests/integration/test_soak.py

# Benchmarks (bench/): each prints its figures as ratios to a baseline
# measured in the same run; `make bench` runs them all and goes on past a
# missed target (the exit status then says one was missed).
bench:
	@failed=""; for b in decision ami sla store routing capacity nodes; do \
	  $(MAKE) --no-print-directory bench-$$b || failed="$$failed $$b"; done; \
	if [ -n "$$failed" ]; then echo "[bench] targets missed in:$$failed"; exit 1; fi

bench-decision: venv
	$(BIN)/python -m bench.decision

bench-ami: venv
	$(BIN)/python -m bench.ami_ingest

bench-sla: venv
	$(BIN)/python -m bench.sla; s=$$?; $(BIN)/python -m bench.sla --sweep; \
	  $(BIN)/python -m bench.sla --booking; exit $$s

bench-store: deps
	$(BIN)/python -m bench.store; s=$$?; $(BIN)/python -m bench.durability || s=1; exit $$s

bench-routing: deps tree
	$(BIN)/python -m bench.routing

bench-capacity: deps tree
	$(BIN)/python -m bench.capacity

bench-nodes: deps tree
	$(BIN)/python -m bench.nodes

deps: system venv

# Debian packages the lab needs on the host (the Asterisk tree installs its own).
system:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' \
	    || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "[deps] installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[test]'
	touch $@

# Debian unstable with Asterisk 22, cached in /var/cache/datadesk (DATADESK_TREE).
tree: venv
	$(BIN)/python -m lab.tree
	$(MAKE) --no-print-directory sounds

# The Mandarin prompt set (espeak-ng + sox), generated into the tree's sounds
# directory; recorded files of the same names are kept (lab/prompts.py).
# On a production PBX: python -m lab.prompts --dest /usr/share/asterisk/sounds
sounds: venv
	$(BIN)/python -m lab.prompts

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
