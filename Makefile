# The README's two commands live here: `make run` and `make test`.
# Everything builds out of tree in build/ (the fuzz build in build/fuzz/).

BUILD      ?= build
FUZZ_BUILD ?= $(BUILD)/fuzz
JOBS       ?= $(shell nproc)
WERROR     ?= $(if $(CI),ON,OFF)
PYTEST     ?= python3 -m pytest
FUZZ_SECONDS ?= 15

.PHONY: all bootstrap bootstrap-tests build run test unit e2e crash crash-long fuzz fuzz-build fuzz-long \
        bench bench-pipeline fmt lint clean

all: build

bootstrap:
	@scripts/bootstrap

# What only the tests need (versitygw, built with go install: minutes the first time).
bootstrap-tests:
	@scripts/bootstrap --tests

$(BUILD)/build.ninja: CMakeLists.txt | bootstrap
	cmake -S . -B $(BUILD) -G Ninja -DEVENTLAKE_WERROR=$(WERROR)

build: bootstrap $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

# Starts eventlake on its embedded defaults: data in ./data, HTTP on 127.0.0.1:8080.
run: build
	$(BUILD)/eventlake serve

test: build fuzz-build bootstrap-tests
	@scripts/run-tests $(BUILD) $(FUZZ_BUILD) $(FUZZ_SECONDS)

unit: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

e2e: build bootstrap-tests
	EVENTLAKE_BIN=$(abspath $(BUILD))/eventlake $(PYTEST) -q tests/e2e

# The crash tests with 1,000 SIGKILLs instead of the 100 (log) and 50 (lake) of `make test`.
crash-long: build
	EVENTLAKE_BUILD=$(abspath $(BUILD)) EVENTLAKE_BIN=$(abspath $(BUILD))/eventlake \
	  EVENTLAKE_CRASH_KILLS=1000 EVENTLAKE_LAKE_CRASH_KILLS=1000 \
	  $(PYTEST) -q tests/e2e/test_log_crash.py tests/e2e/test_lake_crash.py

fuzz-build: bootstrap
	cmake -S . -B $(FUZZ_BUILD) -G Ninja -DEVENTLAKE_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_COMPILER=clang++-16 -DEVENTLAKE_WERROR=$(WERROR)
	cmake --build $(FUZZ_BUILD) -j $(JOBS)

fuzz: fuzz-build
	@scripts/run-fuzzers $(FUZZ_BUILD) $(FUZZ_SECONDS)

# Ten minutes per target.
fuzz-long: fuzz-build
	@scripts/run-fuzzers $(FUZZ_BUILD) 600

bench: build
	@scripts/run-benchmarks $(BUILD)

# bench/pipeline (issue 6), printed for docs/benchmarks.md's "Pipelines" section: each
# step kind in process, HTTP to committed rows through validate + lua + sql, and the
# function step's warm round trip and cold start.
bench-pipeline: build
	$(BUILD)/bench/bench_pipeline_steps 1000 20 5
	python3 bench/pipeline_e2e.py $(BUILD) --events 200000 --runs 3
	$(BUILD)/bench/bench_function_invoke native 1000 20
	$(BUILD)/bench/bench_function_invoke python 1000 20

fmt:
	@git ls-files '*.cpp' '*.h' | xargs clang-format -i

# clang-tidy 16 reads the g++ build's compile_commands.json; it spells C++23
# "c++2b" and needs the same <expected> nudge as the fuzz build (CMakeLists.txt).
TIDY_ARGS = --extra-arg=-std=c++2b --extra-arg=-Wno-builtin-macro-redefined \
            --extra-arg=-U__cpp_concepts --extra-arg=-D__cpp_concepts=202002L
lint: build
	@git ls-files 'src/*.cpp' | xargs -P $(JOBS) -n 4 clang-tidy-16 -p $(BUILD) --quiet $(TIDY_ARGS)

clean:
	rm -rf $(BUILD)
