# stacklab: the two commands a fresh machine needs are `make run` and `make test`.
# Both install what they need (Go modules) by themselves.

SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin:$(HOME)/go/bin
GO      ?= go
APT     := $(shell [ "$$(id -u)" = 0 ] && echo apt-get || echo sudo apt-get)
BIN     := bin/stacklab
EXAMPLE := examples/s3-get-object/template.yaml
OUT     := out

.PHONY: all setup ui build run demo test test-short vet fuzz bench clean

all: build

# setup checks the toolchain and downloads the Go modules.
setup:
	@command -v $(GO) >/dev/null || { echo "Go is not installed: see https://go.dev/doc/install (Go 1.26 or newer)"; exit 1; }
	$(GO) mod download

# ui builds the dashboard (web/, TypeScript + Vite) into internal/dashboard/dist,
# which the binary embeds. It installs Node.js and npm when npm is missing.
ui:
	@command -v npm >/dev/null || { echo "installing nodejs and npm (to build the dashboard)"; $(APT) install -y nodejs npm >/dev/null 2>&1 || { $(APT) update >/dev/null 2>&1 && $(APT) install -y nodejs npm >/dev/null 2>&1; } || { echo "could not install nodejs and npm: install Node.js 18 or newer"; exit 1; }; }
	cd web && npm ci --no-audit --no-fund && npm run build

build: setup ui
	$(GO) build -o $(BIN) ./cmd/stacklab

# run builds stacklab and runs the bundled example (examples/hello: a Go, a
# Python and a Node.js function behind HTTP routes) until Ctrl-C. It prints
# the gateway URL and every route; call them with curl from another terminal.
run: build
	@command -v bwrap >/dev/null || { echo "installing bubblewrap (sandbox for functions)"; $(APT) install -y bubblewrap >/dev/null 2>&1 || echo "  could not install bubblewrap: functions run without a sandbox"; }
	./$(BIN) up

# demo shows the template tools on examples/s3-get-object: validate, draw,
# and the plan of a change.
demo: build
	@mkdir -p $(OUT)
	./$(BIN) validate $(EXAMPLE)
	./$(BIN) graph $(EXAMPLE)
	./$(BIN) graph $(EXAMPLE) -o $(OUT)/s3-get-object.svg
	./$(BIN) graph $(EXAMPLE) -o $(OUT)/s3-get-object.json
	@sed 's/MemorySize: 128/MemorySize: 512/; s/-get-object/-uploads/' $(EXAMPLE) > $(OUT)/template.v2.yaml
	./$(BIN) plan $(EXAMPLE) $(OUT)/template.v2.yaml
	@echo "Open $(OUT)/s3-get-object.svg to see the stack."

vet: setup
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi

# test runs every test with the race detector, plus a short run of each fuzz
# target over its seed corpus and regression cases.
test: ui vet
	@command -v bwrap >/dev/null || { $(APT) install -y bubblewrap >/dev/null 2>&1 || ($(APT) update >/dev/null 2>&1 && $(APT) install -y bubblewrap >/dev/null 2>&1) || echo "bubblewrap not installed: sandbox tests skip"; }
	@command -v python3 >/dev/null || $(APT) install -y python3 >/dev/null 2>&1 || true
	@command -v node >/dev/null || $(APT) install -y nodejs >/dev/null 2>&1 || true
	@command -v prometheus >/dev/null || $(APT) install -y prometheus >/dev/null 2>&1 || ($(APT) update >/dev/null 2>&1 && $(APT) install -y prometheus >/dev/null 2>&1) || echo "prometheus not installed: the metrics scrape test skips (and fails when CI is set)"
	@command -v chromium >/dev/null || $(APT) install -y chromium >/dev/null 2>&1 || ($(APT) update >/dev/null 2>&1 && $(APT) install -y chromium >/dev/null 2>&1) || echo "chromium not installed: the dashboard tests skip (and fail when CI is set)"
	cd web && npm test
	$(GO) test -race -count=1 ./...

test-short: setup
	$(GO) test -short -count=1 ./...

# fuzz runs each fuzz target for FUZZTIME (default 60s).
FUZZTIME ?= 60s
fuzz: setup
	@for pkg in ./internal/template ./internal/stack ./internal/telemetry/tracectx ./internal/telemetry/critpath ./internal/telemetry/export ./internal/telemetry/store; do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$t"; $(GO) test -run='^$$' -fuzz="^$$t$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

bench: setup
	$(GO) test -run='^$$' -bench=. -benchmem ./internal/...
	@if [ -d bench ]; then for d in bench/*/; do $(GO) run ./$$d; done; fi

clean:
	rm -rf bin $(OUT)
