# ChaosCenter: `make up` starts the whole local stack, `make test` runs every test. See README.md.
export CACHE ?= $(HOME)/.cache/chaoscenter
# Build output lives outside the clone so fresh clones (and CI) build warm.
export CARGO_TARGET_DIR ?= $(CACHE)/target

.PHONY: up down test crds schema lint build bench clean-cache
up:
	@e2e/stack.sh up
down:
	@e2e/stack.sh down
test:
	@e2e/test.sh
crds:
	cargo run --quiet -p chaoscenter-crds --bin crdgen
schema:
	UPDATE_SCHEMA=1 cargo test --quiet -p chaoscenter-apiserver --test graphql_schema the_checked_in_sdl
lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
build:
	cargo build --workspace --bins
# Benchmarks (release build) on the cluster in KUBECONFIG, else the one `make up` started. BENCH_ARGS="--runs 50".
bench:
	cargo build --release --quiet -p chaoscenter-operator -p chaoscenter-apiserver -p chaoscenter-node -p chaoscenter-e2e --bins
	@if [ -f $(CACHE)/apps/operator.pid ] && kill $$(cat $(CACHE)/apps/operator.pid) 2>/dev/null; then \
	  echo "paused make up's operator: the bench runs its own (make up starts it again)"; sleep 2; fi
	@uri=$$(e2e/mongo.sh up bench) && \
	  PATH=$(CACHE)/k8s/v1.20.2/bin:$$PATH CHAOSCENTER_MONGODB_URI="$$uri" \
	  KUBECONFIG=$${KUBECONFIG:-$(CACHE)/cluster/run/admin.kubeconfig} $(CARGO_TARGET_DIR)/release/bench $(BENCH_ARGS); \
	  rc=$$?; e2e/mongo.sh down bench; exit $$rc
# Removes the cached Kubernetes binaries, cargo target dir and images (the next run rebuilds them).
clean-cache:
	rm -rf $(CACHE)/k8s $(CACHE)/target $(CACHE)/images
