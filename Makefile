# Data desk controller. `make demo` runs the whole stack with a narrated
# scenario; `make test` runs every test. Both install what they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
APT_PACKAGES := debootstrap redis-server chromium

.PHONY: demo test unit soak deps system venv tree clean

demo: deps tree
	$(BIN)/datadesk demo

test: deps tree
	$(BIN)/pytest

unit: venv
	$(BIN)/pytest tests/unit

# The long soak: 5 minutes of mixed load (the suite runs a 45 s variant).
soak: deps tree
	DATADESK_SOAK_SECONDS=300 $(BIN)/pytest -s tests/integration/test_soak.py

deps: system venv

# Debian packages the lab needs on the host (the Asterisk tree installs its own).
system:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
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
	$(BIN)/python -m ari_app.lab.tree

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
