# dlc - a deep-learning trainer for the command line.
#   make            build ./dlc
#   make test       unit tests (cmocka), command-line tests (bats), fuzz seeds
#                   (installs ONNX Runtime for the export tests first: make onnxruntime),
#                   ONNX's node tests against dlc's layers (make onnx-node-tests)
#   make sanitize   the same tests against an AddressSanitizer + UBSan build
#   make tsan       the threaded code (worker pool, recurrent loops) under ThreadSanitizer
#   make valgrind   unit tests and a short training run under valgrind
#   make bench      benchmarks B1-B6 (figures, not pass/fail)
#   make fuzz       libFuzzer targets (clang), FUZZ_SECONDS each (FUZZ_TARGETS_RUN=image: one)
#   make shapes     the synthetic detection data sets in data/shapes_* (build/make_shapes)
#   make coverage   line and branch coverage per module (gcov + lcov; HTML in build/coverage/html)
#   make mutate     plants each bug of tests/mutation/mutations.txt and runs the tests
#                   (QUICK=1: a fixed sample of 10, no baseline run)

CC      ?= cc
PKGS    := openblas yaml-0.1 zlib stb
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS))
WARN    := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
OPT     ?= -O3 -g
CFLAGS  += -std=c11 -D_DEFAULT_SOURCE $(OPT) $(WARN) -fno-math-errno -fno-trapping-math $(PKG_CFLAGS) -MMD -MP
LDLIBS  += $(PKG_LIBS) -lm -lpthread

# MPI for data-parallel training (src/dist): Open MPI through pkg-config
# (ompi-c), else mpicc's flags.  Without it (MPI=0) dlc is built for one
# process; the same binary with MPI also runs without mpirun.
MPI_CFLAGS := $(shell pkg-config --cflags ompi-c 2>/dev/null)
MPI_LIBS   := $(shell pkg-config --libs ompi-c 2>/dev/null)
ifeq ($(strip $(MPI_LIBS)),)
MPI_CFLAGS := $(shell mpicc --showme:compile 2>/dev/null)
MPI_LIBS   := $(shell mpicc --showme:link 2>/dev/null)
endif
MPI ?= $(if $(strip $(MPI_LIBS)),1,0)
ifeq ($(MPI),1)
LDLIBS  += $(MPI_LIBS)
else
MPI_LIBS :=
ifeq ($(MAKELEVEL),0)
$(info note: building without MPI (no libopenmpi-dev): 'mpirun -np N dlc train' needs it; scripts/install-deps.sh installs it)
endif
endif

# oneDNN's sgemm for the matrix products (src/tensor/tensor.c): it picks
# AVX-512 kernels where the CPU has them and ran the benchmarks' products
# about 2x faster than OpenBLAS on this project's machines (README "Matrix
# products").  Without libdnnl-dev (ONEDNN=0) OpenBLAS computes them all.
ONEDNN ?= $(if $(wildcard /usr/include/dnnl.h),1,0)
ifeq ($(ONEDNN),1)
CFLAGS  += -DDLC_ONEDNN
LDLIBS  += -ldnnl -lgomp
else ifeq ($(MAKELEVEL),0)
$(info note: building without oneDNN (no libdnnl-dev): OpenBLAS computes every matrix product; scripts/install-deps.sh installs it)
endif

BUILD   ?= build
SRCS    := $(shell find src -name '*.c' ! -path 'src/cli/main.c' | sort)
OBJS    := $(SRCS:%.c=$(BUILD)/%.o)
LIB     := $(BUILD)/libdlc.a
BIN     ?= dlc
SHAPES_BIN := $(BUILD)/make_shapes

UNIT_SRCS  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS  := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
UNIT_HELP  := $(BUILD)/tests/testutil.o

.PHONY: all test unit cli-test fuzz-seeds sanitize tsan valgrind bench fuzz coverage mutate clean onnxruntime onnx-node-tests shapes

BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/*.c))

# the benchmark programs are built with everything else, so a change to an
# interface they use cannot leave them broken until the next `make bench`
all: $(BIN) $(SHAPES_BIN) $(BENCH_BINS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

ifeq ($(MPI),1)
$(BUILD)/src/dist/dist.o: CFLAGS += -DDLC_MPI $(MPI_CFLAGS)
endif

# Debian 12's stb_image (2.27) shifts a 32-bit value by 32 on some corrupt
# JPEG streams (its bit buffer's count goes negative; a wrong bit, no memory
# error; found by make fuzz): UBSan's shift check is off for that file alone
# under make sanitize, AddressSanitizer still watches it.
$(BUILD)/src/data/stb_impl.o: CFLAGS += -fno-sanitize=shift

$(LIB): $(OBJS)
	@rm -f $@
	ar rcs $@ $^

# ./dlc links OpenBLAS statically when its archive is installed (BLAS_STATIC=0
# to not): a process that predicts one image spends most of its time
# starting up, and loading the 35 MB shared library cost about 6 ms of CPU
# per call (benchmark B4).  The archive still picks its kernels at run time.
BLAS_STATIC ?= 1
BLAS_A   := $(if $(filter 1,$(BLAS_STATIC)),$(wildcard $(shell pkg-config --variable=libdir openblas)/libopenblas.a))
BIN_LIBS := $(if $(BLAS_A),$(BLAS_A) $(filter-out -lopenblas -L%,$(PKG_LIBS)) $(MPI_LIBS) $(if $(filter 1,$(ONEDNN)),-ldnnl -lgomp) -lgfortran -lm -lpthread,$(LDLIBS))

$(BIN): $(BUILD)/src/cli/main.o $(LIB)
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(BIN_LIBS)

# The synthetic detection data (tools/make_shapes.c): 64x64 RGB images in the
# darknet layout, 8,000 / 1,000 / 1,000 per set, seeded.
$(SHAPES_BIN): tools/make_shapes.c $(LIB)
	$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS)

shapes: $(SHAPES_BIN)
	$(SHAPES_BIN) data/shapes_yolo --mode detect
	$(SHAPES_BIN) data/shapes_single --mode single
	$(SHAPES_BIN) data/shapes_landmarks --mode landmarks
	$(SHAPES_BIN) data/shapes_windows --mode windows

$(BUILD)/tests/testutil.o: tests/unit/testutil.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/tests/%: tests/unit/%.c $(UNIT_HELP) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(UNIT_HELP) $(LIB) $(LDFLAGS) $(LDLIBS) -lcmocka

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; DLC_TEST_DATA=tests/data $$t; done

cli-test: $(BIN) $(BUILD)/tests/st_compare onnxruntime $(SHAPES_BIN)
	sh tests/lint_bats.sh
	DLC=$(abspath $(BIN)) ST_COMPARE=$(abspath $(BUILD)/tests/st_compare) \
	  MAKE_SHAPES=$(abspath $(SHAPES_BIN)) bats tests/cli

# compares two safetensors files (tests/tools/st_compare.c)
$(BUILD)/tests/st_compare: tests/tools/st_compare.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS)

# ONNX Runtime (npm onnxruntime-node, CPU binaries inside the package) for the
# export tests and benchmark B10, into tests/onnx/node_modules (not committed).
# --ignore-scripts: its install script fetches GPU binaries from a host that
# may be unreachable.  Without node/npm or the registry the tests skip.
ORT_DIR := tests/onnx/node_modules/onnxruntime-node
onnxruntime:
	@if [ -f $(ORT_DIR)/package.json ] && grep -q '"version": "1.30.0"' $(ORT_DIR)/package.json; then :; \
	elif command -v npm >/dev/null; then \
	  echo "== npm install onnxruntime-node (tests/onnx)"; \
	  (cd tests/onnx && npm install --ignore-scripts --no-package-lock --no-audit --no-fund --loglevel=error) || \
	    echo "onnxruntime: npm install failed; the ONNX export tests will skip"; \
	else echo "onnxruntime: npm is missing; the ONNX export tests will skip"; fi

fuzz-seeds: $(BUILD)/tests/fuzz_replay
	@set -e; for t in yaml idx csv safetensors text image onnx detect; do \
	  echo "== fuzz seeds: $$t"; $(BUILD)/tests/fuzz_replay $$t tests/fuzz/corpus/$$t; done

FUZZ_TARGETS := $(sort $(wildcard tests/fuzz/target_*.c))
$(BUILD)/tests/fuzz_replay: tests/fuzz/replay.c $(FUZZ_TARGETS) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ tests/fuzz/replay.c $(FUZZ_TARGETS) $(LIB) $(LDFLAGS) $(LDLIBS)

# ONNX's backend node tests (Debian's libonnx-testdata) run against dlc's
# layers: the table per op, and a failure unless it is a listed difference.
ONNX_NODE_DIR ?= /usr/include/onnx/backend/test/data/node
$(BUILD)/tests/onnx_node_tests: tests/onnx/node_tests.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS)

onnx-node-tests: $(BUILD)/tests/onnx_node_tests
	@if [ -d $(ONNX_NODE_DIR) ]; then $< $(ONNX_NODE_DIR); \
	else echo "onnx-node-tests: $(ONNX_NODE_DIR) is missing (apt-get install libonnx-testdata): skipped"; fi

test: unit cli-test fuzz-seeds onnx-node-tests $(BENCH_BINS)

sanitize:
	$(MAKE) BUILD=build/asan BIN=build/asan/dlc OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  LDFLAGS="-fsanitize=address,undefined" test

# ThreadSanitizer over the code that runs threads: the worker pool, the split
# products, the per-sample conv passes and the two-thread recurrent loops.
# OpenBLAS stays on one thread, as dlc keeps it: its own threads are not
# instrumented, so their hand-offs read as races.
TSAN_TESTS := test_pool test_recurrent test_conv test_io test_winograd
tsan:
	$(MAKE) BUILD=build/tsan OPT="-O1 -g -fsanitize=thread -DDLC_NO_CLONES" LDFLAGS="-fsanitize=thread" \
	  $(TSAN_TESTS:%=build/tsan/tests/%)
	@set -e; for t in $(TSAN_TESTS); do echo "== tsan $$t"; \
	  DLC_TEST_DATA=tests/data OPENBLAS_NUM_THREADS=1 TSAN_OPTIONS=halt_on_error=1 build/tsan/tests/$$t; done

# Under valgrind the products are OpenBLAS's (DLC_GEMM=openblas): memcheck
# runs oneDNN's generated kernels too, and they load whole vectors that
# reach up to 32 bytes past oneDNN's own packing buffers, which it reports
# as invalid reads inside the library.  dlc's own code is checked the same;
# make sanitize runs the tests with oneDNN's products.
valgrind: $(UNIT_BINS) $(BIN)
	@set -e; for t in $(UNIT_BINS); do echo "== valgrind $$t"; \
	  DLC_GEMM=openblas DLC_TEST_DATA=tests/data DLC_TEST_QUICK=1 valgrind -q --error-exitcode=99 --leak-check=full $$t; done
	DLC_GEMM=openblas bash tests/valgrind_train.sh $(abspath $(BIN))

bench: $(BIN) $(BENCH_BINS) $(SHAPES_BIN)
	bash bench/run.sh

$(BUILD)/bench/%: bench/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS)

FUZZ_SECONDS ?= 60
FUZZ_TARGETS_RUN ?= yaml idx csv safetensors text image onnx detect
fuzz:
	FUZZ_TARGETS="$(FUZZ_TARGETS_RUN)" bash tests/fuzz/run.sh $(FUZZ_SECONDS)

# Coverage: the whole suite on a --coverage build (one version of the hot
# loops, no optimisation, so lines map to code), then tests/coverage.sh.
coverage:
	@find build/coverage -name '*.gcda' -delete 2>/dev/null || true
	$(MAKE) BUILD=build/coverage BIN=build/coverage/dlc OPT="-O0 -g --coverage -DDLC_NO_CLONES" \
	  LDFLAGS="--coverage" test
	bash tests/coverage.sh build/coverage

# Mutation testing (tests/mutation/run.sh): each mutation in a scratch copy of
# the tree; killed / survived per mutation and the kill rate.
mutate:
	bash tests/mutation/run.sh $(if $(filter 1,$(QUICK)),--quick --no-baseline)

clean:
	rm -rf build $(BIN)

-include $(OBJS:.o=.d) $(BUILD)/src/cli/main.d
# the test and bench programs, compiled and linked in one step, list their headers too
-include $(wildcard $(BUILD)/tests/*.d $(BUILD)/bench/*.d)
