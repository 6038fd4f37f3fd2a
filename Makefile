# Doorstep — make run (build, load the sample city, show it) and make test are the whole set-up.
SWIFT     ?= swift
SAMPLE    := geodata/nanjing-xinjiekou
RUN_DB    ?= out/nanjing.sqlite
DOORSTEP  := .build/debug/doorstep
# Debian packages the build, the tests and the benchmarks need (docs/DESIGN.md, "The house": the system libraries);
# python3-xlwt writes the .xls the XLS import test reads (GDAL reads XLS but cannot write it); curl runs the README's
# HTTP examples (ReadmeExamplesTests); libpq-dev is the PostGIS store's client; postgresql-15 and postgresql-15-postgis-3 are the private cluster the PostGIS
# half of `make test` runs on (tools/pg/cluster); haproxy balances two servers on one store in the many-servers test.
APT_PACKAGES := libspatialite-dev libsqlite3-dev libproj-dev libgeos-dev libsqlite3-mod-spatialite proj-data \
                gdal-bin libgdal-dev pkg-config librsvg2-bin fonts-noto-cjk osmium-tool libjs-leaflet chromium wrk python3-venv \
                python3-xlwt curl libpq-dev postgresql-15 postgresql-15-postgis-3 haproxy
# schemathesis fuzzes /api against a live server in `make test` (SchemathesisTests), from its own virtual environment.
SCHEMATHESIS_VERSION := 4.32.5
SCHEMATHESIS_VENV    := .venv-schemathesis
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps build run test bench bench-province sample install clean

deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@command -v openapi-spec-validator >/dev/null 2>&1 || python3 -m pip install -q openapi-spec-validator \
	  || echo "warning: could not install openapi-spec-validator; the OpenAPI validation test will be skipped"
	@$(SCHEMATHESIS_VENV)/bin/schemathesis --version 2>/dev/null | grep -qx 'schemathesis, version $(SCHEMATHESIS_VERSION)' \
	  || { echo "installing schemathesis $(SCHEMATHESIS_VERSION) into $(SCHEMATHESIS_VENV)"; rm -rf $(SCHEMATHESIS_VENV) \
	       && python3 -m venv $(SCHEMATHESIS_VENV) && $(SCHEMATHESIS_VENV)/bin/pip install -q 'schemathesis==$(SCHEMATHESIS_VERSION)'; }


build: deps
	$(SWIFT) build --product doorstep

# Build, load the sample city into an embedded SpatiaLite file, and show what is in it and a nearest-station answer.
run: build
	@mkdir -p out && rm -f $(RUN_DB) $(RUN_DB)-wal $(RUN_DB)-shm
	$(DOORSTEP) import ways      $(SAMPLE)/ways.geojson      --db $(RUN_DB)
	$(DOORSTEP) import grids     $(SAMPLE)/grids.geojson     --db $(RUN_DB)
	$(DOORSTEP) import compounds $(SAMPLE)/compounds.geojson --db $(RUN_DB)
	$(DOORSTEP) import entrances $(SAMPLE)/entrances.geojson --db $(RUN_DB)
	$(DOORSTEP) import stations  $(SAMPLE)/stations.geojson  --db $(RUN_DB)
	$(DOORSTEP) info --db $(RUN_DB)
	@echo; echo '$$ doorstep nearest --lon 118.7790 --lat 32.0440 -k 5 --open-at "2026-11-23 09:30"'
	$(DOORSTEP) nearest --db $(RUN_DB) --lon 118.7790 --lat 32.0440 -k 5 --open-at "2026-11-23 09:30"
	@echo; echo 'Serving the sample city; in another terminal try:'
	@echo "  curl 'http://127.0.0.1:8080/v1/nearest?lon=118.7790&lat=32.0440&k=3&open_at=2026-11-23T09:30'"
	@echo '  ogrinfo -ro -so OAPIF:http://127.0.0.1:8080'
	@echo 'Ctrl-C stops the server.'
	$(DOORSTEP) serve --db $(RUN_DB)

# InstallTests checks an install made here by the Makefile's own recipe, in debug to reuse this build (see there).
TEST_INSTALL := $(CURDIR)/.build/test-install
# The suite runs twice: whole on SpatiaLite files, then its store-facing classes (listed once, in $(POSTGIS_SUITE)) on
# PostGIS, each test in a schema of its own in a private PostgreSQL cluster on loopback (tools/pg/cluster; port
# DOORSTEP_PG_PORT, default 55432). The cluster is started before the first half, so a machine that cannot run it
# fails at once, and stopped afterwards whatever happened; a failure of either half fails `make test`. There is no
# way to skip the PostGIS half.
PG_CLUSTER    := tools/pg/cluster
POSTGIS_SUITE := Tests/postgis-suite.txt
test: deps
	$(SWIFT) build --build-tests
	rm -rf $(TEST_INSTALL) && $(MAKE) install PREFIX=$(TEST_INSTALL) INSTALL_CONFIG=debug
	@classes="$$(sed -e 's/#.*//' -e 's/[[:space:]]//g' $(POSTGIS_SUITE) | grep . | paste -sd '|' -)"; \
	[ -n "$$classes" ] || { echo "make test: no test classes in $(POSTGIS_SUITE)" >&2; exit 1; }; \
	url="$$($(PG_CLUSTER) start)" || { echo "make test: the private PostgreSQL cluster did not start ($(PG_CLUSTER) start);" \
	  "the PostGIS half of the suite cannot run, and it may not be skipped" >&2; exit 1; }; \
	trap '$(PG_CLUSTER) stop' EXIT; trap 'exit 130' INT TERM; \
	status=0; \
	echo "== the suite on SpatiaLite"; \
	env -u DOORSTEP_TEST_STORE DOORSTEP_TEST_INSTALL_PREFIX=$(TEST_INSTALL) $(SWIFT) test || status=1; \
	echo "== the store-facing tests on PostGIS ($$url)"; \
	DOORSTEP_TEST_STORE="$$url" $(SWIFT) test --skip-build --filter "^($$classes)/" || status=1; \
	exit $$status

bench: deps
	$(SWIFT) build -c release --product doorstep-bench
	$(SWIFT) build -c release --product doorstep
	stdbuf -oL .build/release/doorstep-bench  # line-buffered: its lines stay in order with its child processes' output

# The province (issue 18): 10⁵, 10⁶ and 10⁷ walkable edges in SpatiaLite and PostGIS; most of an hour, ~10 GB of disk.
bench-province: deps
	$(SWIFT) build -c release --product doorstep-bench
	$(SWIFT) build -c release --product doorstep
	stdbuf -oL .build/release/doorstep-bench province

# `make install PREFIX=DIR` (default /usr/local; DESTDIR=… stages a package), after `make deps`: doorstep built in
# release and linked with the Swift standard library and Foundation statically (--static-swift-stdlib: it runs
# without a Swift toolchain; it still needs the Debian libraries of `make deps`: SpatiaLite, PROJ, GEOS, GDAL), its
# man page and its bash, zsh and fish completions (`doorstep --generate-completion-script`).
# The man page is made by swift-argument-parser's generate-manual, the tool its `generate-manual` plugin runs. The
# plugin works offline (`swift package plugin generate-manual`), but it first builds every product of the package
# without --static-swift-stdlib, a flag that changes every module's compile command: in release that is a second
# full build (an install took 24 minutes instead of 12). So the tool is built on its own (debug, a small build) and
# run on the installed binary.
# The static build has a build directory of its own, .build-static: objects compiled for a static link carry other
# autolink entries (-lCoreFoundation …), and SwiftPM does not recompile all of them when the flag changes, so sharing
# .build with the ordinary build breaks the next one's link. INSTALL_CONFIG=debug and INSTALL_SCRATCH, TOOL_SCRATCH
# (build directories) are for the test (InstallTests).
PREFIX          ?= /usr/local
INSTALL_CONFIG  ?= release
INSTALL_SCRATCH ?= .build-static
TOOL_SCRATCH    ?= .build
# SwiftPM leaves Foundation's ICU out of a --static-swift-stdlib link (undefined swift_unumf_… symbols;
# swiftlang/swift-package-manager#10564): name it. A link flag only.
INSTALL_BUILD    = $(SWIFT) build -c $(INSTALL_CONFIG) --scratch-path $(INSTALL_SCRATCH) --static-swift-stdlib -Xlinker -l_FoundationICU
TOOL_BUILD       = $(SWIFT) build -c debug --scratch-path $(TOOL_SCRATCH)
install:
	$(TOOL_BUILD) --product generate-manual
	$(INSTALL_BUILD) --product doorstep
	@set -e; bin="$$($(INSTALL_BUILD) --show-bin-path)"; tools="$$($(TOOL_BUILD) --show-bin-path)"; \
	dest="$(DESTDIR)$(PREFIX)"; gen="$(INSTALL_SCRATCH)/install-files"; \
	rm -rf "$$gen"; mkdir -p "$$gen"; \
	"$$tools/generate-manual" "$$bin/doorstep" --output-directory "$$gen"; \
	"$$bin/doorstep" --generate-completion-script bash > "$$gen/doorstep.bash"; \
	"$$bin/doorstep" --generate-completion-script zsh  > "$$gen/_doorstep"; \
	"$$bin/doorstep" --generate-completion-script fish > "$$gen/doorstep.fish"; \
	set -x; \
	install -d "$$dest/bin" "$$dest/share/man/man1" "$$dest/share/bash-completion/completions" \
	           "$$dest/share/zsh/site-functions" "$$dest/share/fish/vendor_completions.d"; \
	install -m 755 "$$bin/doorstep" "$$dest/bin/doorstep"; \
	install -m 644 "$$gen/doorstep.1" "$$dest/share/man/man1/doorstep.1"; \
	install -m 644 "$$gen/doorstep.bash" "$$dest/share/bash-completion/completions/doorstep"; \
	install -m 644 "$$gen/_doorstep" "$$dest/share/zsh/site-functions/_doorstep"; \
	install -m 644 "$$gen/doorstep.fish" "$$dest/share/fish/vendor_completions.d/doorstep.fish"

# Regenerate the sample city from the OpenStreetMap extracts in $(SAMPLE)/osm (deterministic).
sample:
	$(SWIFT) run doorstep-citygen sample --osm-dir $(SAMPLE)/osm --out $(SAMPLE)

clean:
	rm -rf .build .build-static .build-test-products out
