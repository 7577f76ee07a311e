# Tollgate: `make demo` runs a real canary release on a local control plane; `make test` runs every test.
SHELL := /bin/bash
NODE_BIN := $(shell scripts/ensure-node.sh)
export PATH := $(NODE_BIN):$(PATH)
JEST := node --experimental-vm-modules node_modules/jest/bin/jest.js

.PHONY: all setup deps control-plane tools images build crds verify-crds lint lint-and-images format test test-unit test-e2e test-e2e-compat test-browser demo clean

# The Kubernetes version of the whole e2e suite (e2e/cluster/build-control-plane.sh: 1.36.2 when the prebuilt
# binaries of ../shared/kubernetes are there, else 1.20.2 built from Debian's source), and the version the
# version-sensitive subset runs on as well (set COMPAT_VERSIONS= to skip it; 1.20.2 is accepted too).
K8S_PREBUILT := $(or $(TOLLGATE_K8S_PREBUILT),../shared/kubernetes)
COMPAT_VERSIONS ?= $(if $(wildcard $(K8S_PREBUILT)/v1.34.9/kube-apiserver.xz),1.34.9,)
# Install/chart/RBAC/PDB, HPA and config copies, routers against upstream CRDs, server-side apply, HA.
COMPAT_SUITES := install targets providers gitops ha

all: build

setup: deps control-plane tools

deps: node_modules/.installed

node_modules/.installed: package.json package-lock.json contract/package.json operator/package.json hooks/package.json cli/package.json e2e/package.json
	npm ci --no-audit --no-fund
	touch $@

control-plane:
	e2e/cluster/build-control-plane.sh >/dev/null

tools:
	scripts/tools.sh >/dev/null

# The operator and hooks images, built with podman from a local Debian base (e2e/test/images.e2e.test.ts runs them).
images:
	scripts/images.sh

build: deps
	npx tsc -b

crds: build
	node operator/dist/cli/crds.js crds charts/tollgate/crds kustomize/base/crds

verify-crds: build
	node operator/dist/cli/crds.js --check crds charts/tollgate/crds kustomize/base/crds

# Static checks: the tests type-check (jest runs them through swc, which does not; tsconfig.test.json), no import
# cycle (scripts/check-cycles.mjs), typescript-eslint (eslint.config.js), no unused export (knip.json), formatting
# (prettier, .prettierrc.json; `make format` applies it).
lint: build
	npx tsc -p tsconfig.test.json
	node scripts/check-cycles.mjs
	npx eslint --max-warnings 0 .
	npx knip --no-progress
	npx prettier --check --log-level warn .

format: deps
	npx prettier --write --log-level warn .

test: setup build lint-and-images verify-crds test-unit test-e2e test-browser test-e2e-compat

# lint and images at once (make test): the image builds read only the sources and manifests of .dockerignore's build
# context, which lint never writes, and lint reads nothing images writes (e2e/.run/images.json, podman's storage);
# neither measures time. --output-sync keeps each one's output together in the log.
lint-and-images: build
	$(MAKE) --no-print-directory -j2 --output-sync=target lint images

test-unit: build
	$(JEST) --selectProjects unit

test-e2e: setup build
	$(JEST) --selectProjects e2e --runInBand --testTimeout=300000 --forceExit

# The dashboard (tollgate dashboard) in Debian's Chromium (installed here), driven by playwright-core, against the
# local control plane, and `make demo DASHBOARD=0` followed in the browser; writes the screenshots of docs/dashboard/.
test-browser: setup build
	TOLLGATE_BROWSER=1 e2e/cluster/build-control-plane.sh >/dev/null
	$(JEST) --selectProjects browser --runInBand --testTimeout=300000 --forceExit

test-e2e-compat: setup build
	@[ -n "$(COMPAT_VERSIONS)" ] || echo "== e2e compat pass skipped: no prebuilt Kubernetes 1.34.9 in $(K8S_PREBUILT) (set COMPAT_VERSIONS to choose versions)"
	@for v in $(COMPAT_VERSIONS); do \
	  echo "== e2e on Kubernetes $$v: $(COMPAT_SUITES)"; \
	  TOLLGATE_K8S_VERSION=$$v e2e/cluster/build-control-plane.sh >/dev/null && \
	  TOLLGATE_K8S_VERSION=$$v TOLLGATE_E2E_COMPAT=1 $(JEST) --selectProjects e2e --runInBand --testTimeout=300000 --forceExit \
	    $(patsubst %,e2e/test/%.e2e.test.ts,$(COMPAT_SUITES)) || exit 1; \
	done

demo: setup build
	DEMO_DASHBOARD="$(DASHBOARD)" node e2e/dist/demo.js

clean:
	rm -rf node_modules */node_modules */dist */*.tsbuildinfo
