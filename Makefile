# Doorstep — make run (build, load the sample city, show it) and make test are the whole set-up.
SWIFT     ?= swift
SAMPLE    := geodata/nanjing-xinjiekou
RUN_DB    ?= out/nanjing.sqlite
DOORSTEP  := .build/debug/doorstep
# Debian packages the build, the tests and the benchmarks need (SPATIALITE-NOTES.md); python3-xlwt writes the .xls
# the XLS import test reads (GDAL reads XLS but cannot write it).
APT_PACKAGES := libspatialite-dev libsqlite3-dev libproj-dev libgeos-dev libsqlite3-mod-spatialite proj-data \
                gdal-bin libgdal-dev pkg-config librsvg2-bin fonts-noto-cjk osmium-tool libjs-leaflet chromium wrk python3-venv \
                python3-xlwt
# schemathesis fuzzes /api against a live server in `make test` (SchemathesisTests), from its own virtual environment.
SCHEMATHESIS_VERSION := 4.32.5
SCHEMATHESIS_VENV    := .venv-schemathesis
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps build run test bench sample clean

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

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test

bench: deps
	$(SWIFT) build -c release --product doorstep-bench
	$(SWIFT) build -c release --product doorstep
	stdbuf -oL .build/release/doorstep-bench  # line-buffered: its lines stay in order with its child processes' output

# Regenerate the sample city from the OpenStreetMap extracts in $(SAMPLE)/osm (deterministic).
sample:
	$(SWIFT) run doorstep-citygen sample --osm-dir $(SAMPLE)/osm --out $(SAMPLE)

clean:
	rm -rf .build out
