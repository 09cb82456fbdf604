# halhub: the two commands a new user needs are `make run` and `make test`.
# `make bench` runs three short load scenarios (docs/performance.md) and prints their figures.
# `make install` installs the build under PREFIX (default /usr/local; DESTDIR is
# honoured); `make package` makes the Debian package halhub_VERSION_ARCH.deb in
# BUILD_DIR (README.md, "Running it on a lab server").
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
ARGS ?=
PREFIX ?= /usr/local

.PHONY: all deps configure build run test bench clean fuzz test-asan install package

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

install: build
	cmake --install $(BUILD_DIR) --prefix $(PREFIX)

package: build
	cd $(BUILD_DIR) && cpack -G DEB

# libFuzzer targets for the frame decoder and the request validator, built
# with clang (ASan + UBSan) in their own tree and run FUZZ_SECONDS each.
# New corpus entries stay in $(FUZZ_BUILD_DIR)/corpus; a crash is written
# to tests/fuzz/regressions/, where the replay test of `make test` runs it.
FUZZ_BUILD_DIR ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS = framedecoder requestvalidator websocketreader
# Every UBSan check aborts, except `enum`: Qt's headers break it on purpose
# (tests/ubsan.supp), so it reports and is suppressed by file instead.
SANITIZE = -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined -fsanitize-recover=enum

fuzz: deps
	cmake -S . -B $(FUZZ_BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DCMAKE_CXX_COMPILER=clang++ -DHALHUB_FUZZ=ON \
		-DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link $(SANITIZE)" \
		-DCMAKE_EXE_LINKER_FLAGS="$(SANITIZE)" -DCMAKE_SHARED_LINKER_FLAGS="$(SANITIZE)"
	cmake --build $(FUZZ_BUILD_DIR) -j $(JOBS) --target $(addprefix fuzz_,$(FUZZ_TARGETS))
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_BUILD_DIR)/corpus/$$t; \
		echo "fuzz_$$t: $(FUZZ_SECONDS) s"; \
		$(FUZZ_BUILD_DIR)/bin/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
			-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
			-artifact_prefix=tests/fuzz/regressions/$$t- \
			$(FUZZ_BUILD_DIR)/corpus/$$t tests/fuzz/corpus/$$t tests/fuzz/regressions || exit 1; \
	done

# The whole suite built with GCC's AddressSanitizer and UndefinedBehaviorSanitizer.
ASAN_BUILD_DIR ?= build-asan

test-asan: deps
	cmake -S . -B $(ASAN_BUILD_DIR) -DCMAKE_BUILD_TYPE=Debug \
		-DCMAKE_CXX_FLAGS="$(SANITIZE)" -DCMAKE_EXE_LINKER_FLAGS="$(SANITIZE)" \
		-DCMAKE_SHARED_LINKER_FLAGS="$(SANITIZE)" -DCMAKE_MODULE_LINKER_FLAGS="$(SANITIZE)"
	cmake --build $(ASAN_BUILD_DIR) -j $(JOBS)
	cd $(ASAN_BUILD_DIR) && QT_QPA_PLATFORM=offscreen \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:suppressions=$(CURDIR)/tests/ubsan.supp \
		ctest --output-on-failure -j $(JOBS) --timeout 900

BENCH = $(BUILD_DIR)/bin/halhub-bench --spawn --duration 5
bench: build
	@echo "== 1 client, 1 stream at 1000 Hz"
	@$(BENCH) --clients 1 --streams-per-client 1 --devices 1 --rate 1000
	@echo "== 5 clients x 2 devices at 50 Hz (devices at 100 Hz)"
	@$(BENCH) --clients 5 --streams-per-client 2 --devices 2 --rate 50 --device-rate 100
	@echo "== 2000 clients x 100 Hz, one device (200,000 msg/s)"
	@$(BENCH) --clients 2000 --streams-per-client 1 --devices 1 --rate 100 --device-rate 100

clean:
	rm -rf $(BUILD_DIR) $(FUZZ_BUILD_DIR) $(ASAN_BUILD_DIR)
