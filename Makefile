# The two commands of the README. Each first makes sure a Vulkan driver is present
# (scripts/setup.sh installs Mesa's lavapipe on machines without a GPU).

SCENARIO ?= scenarios/dendrite-nucleation-2d.toml
# Test processes enumerate Vulkan adapters too; keep libwayland quiet on headless machines.
export XDG_RUNTIME_DIR ?= /tmp

.PHONY: run test bench setup

run:
	@bash scripts/setup.sh
	cargo run --release -- run $(SCENARIO)

test:
	@bash scripts/setup.sh --test
	cargo test --release

bench:
	@bash scripts/setup.sh
	cargo bench

setup:
	@bash scripts/setup.sh --test
