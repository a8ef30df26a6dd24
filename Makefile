# The two commands of README.md: `make run` and `make test`. Everything else is CMake.
DATA ?= ./data
JOBS ?= $(shell nproc)
BUILD := build
BUILD_ASAN := build-asan

.PHONY: run test deps build build-asan unit e2e clean bench

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

clean:
	rm -rf $(BUILD) $(BUILD_ASAN)
