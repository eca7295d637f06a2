# braid — build, test, demo and benchmarks. Run as root on Debian 12 / Node 20.
SHELL := /bin/bash
NODE_GYP := node $(shell dirname $$(readlink -f $$(which npm)))/../node_modules/node-gyp/bin/node-gyp.js
MOCHA := node_modules/.bin/mocha
APT_PACKAGES := iproute2 nftables iperf3 irtt tcpdump tshark python3-scapy python3-dissononce \
	zstd lz4 prometheus openvpn wireguard-tools wireguard-go flent procps psmisc build-essential python3

.PHONY: all setup deps native build test test-unit test-integration demo bench bench-io install clean lab-down

all: build

# Everything a fresh Debian 12 machine needs (as root). Safe to re-run.
setup:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
	$(MAKE) deps

deps: node_modules/.package-lock.json

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund

# The native addon is built explicitly: npm 11 does not run install scripts.
native: $(if $(wildcard native/binding.gyp),native/build/Release/braid_native.node)

native/build/Release/braid_native.node: $(wildcard native/src/*.c native/src/*.h) native/binding.gyp
	cd native && $(NODE_GYP) rebuild --nodedir=/usr >/dev/null

build: deps native
	node_modules/.bin/tsc -p .

test: build
	$(MOCHA)

test-unit: build
	$(MOCHA) 'dist/test/unit/**/*.test.js'

test-integration: build
	$(MOCHA) 'dist/test/integration/**/*.test.js'

demo: setup build
	./bin/braid demo

bench: build
	node dist/test/bench/run.js

bench-io: build
	node dist/test/bench/run.js io

install: build
	ln -sf $(CURDIR)/bin/braid /usr/local/bin/braid
	@echo "braid installed as /usr/local/bin/braid"

lab-down: build
	./bin/braid lab down --all

clean:
	rm -rf dist native/build
