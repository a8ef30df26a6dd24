# The two commands of README.md: `make run` and `make test`. Everything else is CMake.
DATA ?= ./data
JOBS ?= $(shell nproc)
BUILD := build
BUILD_ASAN := build-asan

.PHONY: run test deps build build-asan unit e2e clean bench fuzz
FUZZ_SECONDS ?= 60

run: deps build
	@test -d "$(DATA)" || ./$(BUILD)/coffre init --data "$(DATA)"
	./$(BUILD)/coffre serve --data "$(DATA)"

# Both configurations always run; the target fails if either had a failure.
test: deps build build-asan
	@rc=0; \
	echo "== tests (release build)"; \
	(cd $(BUILD) && ctest --output-on-failure -j $(JOBS)) || rc=1; \
	echo "== tests (AddressSanitizer + UndefinedBehaviorSanitizer build)"; \
	(cd $(BUILD_ASAN) && ctest --output-on-failure -j $(JOBS)) || rc=1; \
	exit $$rc

deps:
	@./scripts/deps.sh

build:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

build-asan:
	@cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DCOFFRE_SANITIZE=ON >/dev/null
	@cmake --build $(BUILD_ASAN) -j $(JOBS)

bench: deps build
	./bench/https/run.sh ./$(BUILD)/coffre
	./bench/vault/run.sh ./$(BUILD)/bench_vault
	./bench/search/run.sh ./$(BUILD)/coffre ./$(BUILD)/bench_search
	./bench/relevance/run.sh ./$(BUILD)/coffre
	./bench/pii/run.sh ./$(BUILD)/coffre ./$(BUILD)/bench_pii

# libFuzzer on every parser for FUZZ_SECONDS each, growing tests/fuzz/corpus/<target>/.
fuzz:
	@./scripts/deps.sh fuzz
	@cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCOFFRE_FUZZ=ON >/dev/null
	@cmake --build build-fuzz -j $(JOBS)
	@for t in build-fuzz/fuzz_*; do \
		name=$${t##*/fuzz_}; mkdir -p tests/fuzz/corpus/$$name; \
		echo "== fuzz $$name ($(FUZZ_SECONDS) s)"; \
		$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 tests/fuzz/corpus/$$name || exit 1; \
	done

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) build-fuzz
