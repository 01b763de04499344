# Two commands do everything on a fresh machine: `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
NODE_STAMP := tests/node/node_modules/.installed-stamp

.PHONY: serve test lint docs chromium node-deps bench mutation golden clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c requirements.lock -e '.[dev]'
	touch $(STAMP)

# Migrates var/forcegate.db, creates a demo org on first run (printing its admin and app; `forcegate
# demo show` prints them again), serves on HOST:PORT (`make serve PORT=8081 HOST=0.0.0.0`).
PORT ?= 8080
HOST ?= 127.0.0.1
serve: $(STAMP)
	$(BIN)/forcegate serve --demo --host $(HOST) --port $(PORT)

# lint-imports: the layers and the contracts under [tool.importlinter] in pyproject.toml.
lint: $(STAMP) docs
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo --no-cache

# The documentation site (mkdocs.yml, docs/, README.md as its front page) into build/site; --strict
# fails on any broken link or anchor. No network needed. `.venv/bin/mkdocs serve` previews it.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

# Debian's Chromium, for the browser tests (Playwright never downloads a browser of its own).
chromium:
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

# The Node.js clients of the docs' recipes (jsforce, openid-client, the Salesforce CLI), exactly as
# tests/node/package-lock.json pins them; npm's cache makes a reinstall offline.
node-deps: $(NODE_STAMP)
$(NODE_STAMP): tests/node/package.json tests/node/package-lock.json
	@command -v npm >/dev/null || { echo "Node.js 20+ and npm are needed (Debian: apt-get install nodejs npm)" >&2; exit 1; }
	cd tests/node && npm ci --prefer-offline --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

# Lint, types, the import contracts, the docs site, then every test on SQLite and on PostgreSQL (mandatory when CI=true).
test: lint chromium node-deps
	$(BIN)/pytest

# Rewrite the golden files (the wire shapes and error catalogues tests/conformance pins, see
# tests/conformance/golden/README.md, and the command surface tests/admin/golden pins) from what the
# code answers now; review the diff before committing it.
golden: $(STAMP)
	FORCEGATE_UPDATE_GOLDEN=1 $(BIN)/pytest tests/conformance tests/admin/test_cli_surface.py tests/admin/test_resources.py

# Every benchmark in turn, on a fresh SQLite database each (see bench/README.md for options and
# PostgreSQL); each prints a table and a JSON line. About 10 minutes.
bench: $(STAMP)
	$(BIN)/python bench/token_endpoint.py
	$(BIN)/python bench/grants.py
	$(BIN)/python bench/bearer_validation.py
	$(BIN)/python bench/data_api.py
	$(BIN)/python bench/soql.py
	$(BIN)/python bench/housekeeping.py

# Mutation testing (mutmut, not part of `make test`) of the security-critical code: the protocol core,
# client authentication and the flows' shared checks, bearer validation, revocation and introspection,
# the token lifecycle, and the permission checks of the data layer and SOQL. Each mutant runs only the
# tests that cover its function, of the fast files pyproject.toml selects, on SQLite only; results in
# mutants/, survivors explained in tests/mutation/SURVIVORS.md. MUTANTS narrows the run (mutmut's globs
# over mutant names); on 2 shared cores run it module by module: make mutation MUTANTS='forcegate.protocol.scopes.*'.
MUTANTS ?= forcegate.protocol.* forcegate.flows.common.* forcegate.flows.bearer.* \
	forcegate.flows.revocation.* forcegate.flows.introspection.* forcegate.storage.token_lifecycle.* \
	forcegate.model.access.* forcegate.model.visible.* forcegate.org.permissions.xǁUserAccessǁ* forcegate.org.permissions.x_load_user_access* \
	forcegate.soql.translate.xǁ_Translatorǁreadable_*
mutation: $(STAMP)
	FORCEGATE_TEST_BACKENDS=sqlite PYTHONPATH=src nice -n 19 $(BIN)/mutmut run --max-children 2 $(foreach m,$(MUTANTS),'$(m)')
	$(BIN)/mutmut results

clean:
	rm -rf $(VENV) var build mutants tests/node/node_modules .pytest_cache .mypy_cache .ruff_cache
