# halhub: the two commands a new user needs are `make run` and `make test`.
# `make bench` runs two short load scenarios (docs/performance.md) and prints their figures.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
ARGS ?=

.PHONY: all deps configure build run test bench clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD_DIR)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

configure: $(BUILD_DIR)/CMakeCache.txt

build: deps configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Opens the window when there is a display, runs headless otherwise.
run: build
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
		exec $(BUILD_DIR)/bin/halhub $(ARGS); \
	else \
		exec $(BUILD_DIR)/bin/halhub --headless $(ARGS); \
	fi

test: build
	cd $(BUILD_DIR) && QT_QPA_PLATFORM=offscreen ctest --output-on-failure -j $(JOBS) --timeout 600

BENCH = $(BUILD_DIR)/bin/halhub-bench --spawn --duration 5
bench: build
	@echo "== 1 client, 1 stream at 1000 Hz"
	@$(BENCH) --clients 1 --streams-per-client 1 --devices 1 --rate 1000
	@echo "== 5 clients x 2 devices at 50 Hz (devices at 100 Hz)"
	@$(BENCH) --clients 5 --streams-per-client 2 --devices 2 --rate 50 --device-rate 100

clean:
	rm -rf $(BUILD_DIR)
