# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_OUT ?= out/demo
# Debian packages WeasyPrint needs for the PDF (also installed in the image: Dockerfile), then
# the ones the browser/PDF checks of the tests need.
RUNTIME_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk fonts-dejavu-core
DEBIAN_PACKAGES := $(RUNTIME_PACKAGES) poppler-utils chromium
IMAGE ?= compliance-reporter:$(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)

.PHONY: demo test system-deps lint bench clean image

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Installs the Debian packages when running as root with apt (CI, fresh machines);
# otherwise says exactly which ones are missing and how to get them.
system-deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian packages:$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
	      || echo "WARNING: could not install$$missing; PDF rendering or browser tests may be skipped"; \
	  else \
	    echo "WARNING: missing Debian packages:$$missing"; \
	    echo "  install them with: sudo apt-get install$$missing"; \
	  fi; \
	fi

# The article's example as published (its mistakes show up as failed controls), then the fixed
# estate; a pack is never overwritten, so earlier demo packs are removed first.
demo: $(STAMP) system-deps
	$(BIN)/python -m reporter connectivity samples/three-tier
	$(BIN)/python -m reporter explain samples/three-tier \
	  --src production/backend --dst kube-system/coredns --port 53/UDP || true
	rm -rf $(DEMO_OUT)
	$(BIN)/python -m reporter report samples/three-tier --out $(DEMO_OUT)/three-tier
	$(BIN)/python -m reporter report samples/fixed --config samples/fixed/reporter.yaml \
	  --out $(DEMO_OUT)/fixed
	$(BIN)/python -m reporter verify $(DEMO_OUT)/three-tier
	$(BIN)/python -m reporter verify $(DEMO_OUT)/fixed
	@echo "Evidence packs written:"
	@echo "  $(DEMO_OUT)/three-tier/report.pdf  (the article's example as published)"
	@echo "  $(DEMO_OUT)/fixed/report.pdf       (the corrected estate)"

# One test process per CPU (pytest-xdist): the suite's tests are independent, and on two
# CPUs it takes about half as long (~6 against ~11 minutes here).
test: $(STAMP) system-deps
	$(BIN)/python -m pytest -n auto

lint: $(STAMP)
	$(BIN)/ruff check reporter tests benchmarks
	$(BIN)/mypy

# `make bench BENCH="--profiles varied --sizes 5000"` narrows the table to what fits the time.
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py $(BENCH)
	$(BIN)/python benchmarks/report.py

# The container image deploy/cronjob.yaml runs, with docker or else podman.
image:
	@engine=$$(command -v docker || command -v podman) || \
	  { echo "make image needs docker or podman"; exit 2; }; \
	echo "$$engine build -t $(IMAGE) ."; "$$engine" build -t $(IMAGE) .

clean:
	rm -rf $(VENV) out build *.egg-info
