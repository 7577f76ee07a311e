# Tollgate: `make demo` runs a real canary release on a local control plane; `make test` runs every test.
SHELL := /bin/bash
NODE_BIN := $(shell scripts/ensure-node.sh)
export PATH := $(NODE_BIN):$(PATH)
JEST := node --experimental-vm-modules node_modules/jest/bin/jest.js

.PHONY: all setup deps control-plane tools build crds verify-crds test test-unit test-e2e demo clean

all: build

setup: deps control-plane tools

deps: node_modules/.installed

node_modules/.installed: package.json package-lock.json contract/package.json operator/package.json hooks/package.json cli/package.json e2e/package.json
	npm ci --no-audit --no-fund
	touch $@

control-plane:
	e2e/cluster/build-control-plane.sh

tools:
	scripts/tools.sh >/dev/null

build: deps
	npx tsc -b

crds: build
	node operator/dist/cli/crds.js crds charts/tollgate/crds kustomize/base/crds

verify-crds: build
	node operator/dist/cli/crds.js --check crds charts/tollgate/crds kustomize/base/crds

test: setup build verify-crds test-unit test-e2e

test-unit: build
	$(JEST) --selectProjects unit

test-e2e: setup build
	$(JEST) --selectProjects e2e --runInBand --testTimeout=300000 --forceExit

demo: setup build
	node e2e/dist/demo.js

clean:
	rm -rf node_modules */node_modules */dist */*.tsbuildinfo
