# finwatch: `make` builds ./finwatch; `make test` runs the whole suite.
# Everything generated goes to build/.

CLANG ?= clang
CC ?= cc
BPFTOOL ?= bpftool
PKG_CONFIG ?= pkg-config

BUILD := build
ARCH := $(shell uname -m | sed 's/x86_64/x86/; s/aarch64/arm64/')

LIBBPF_CFLAGS := $(shell $(PKG_CONFIG) --cflags libbpf 2>/dev/null)
LIBBPF_LIBS := $(shell $(PKG_CONFIG) --libs libbpf 2>/dev/null || echo -lbpf) -lelf -lz

WARN := -Wall -Wextra -Werror
CFLAGS ?= -O2 -g
override CFLAGS += $(WARN) -std=gnu11 -D_GNU_SOURCE -Iuser
# Only the tracer side sees the kernel ABI, the skeleton and libbpf.
TRACER_CPPFLAGS := -Ibpf -I$(BUILD) $(LIBBPF_CFLAGS)
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) $(WARN) \
	-Wno-unused-function -Wno-unused-parameter -Ivmlinux -Ibpf

# Kernel side: one .bpf.c per concern, linked into one object so that all
# programs share the maps and the configuration.
# config.bpf.c defines the shared maps, and the linker wants it first.
BPF_SRCS := bpf/config.bpf.c $(filter-out bpf/config.bpf.c,$(wildcard bpf/*.bpf.c))
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
BPF_HDRS := $(wildcard bpf/*.h) vmlinux/vmlinux.h

# Userspace in two libraries. libfwcorrelate.a is pure C over records
# (the correlator, the schema, the duration parser): -Iuser only, no
# kernel header, no generated file, and it links with -lz alone.
# libfinwatch.a is the rest but main.c: the tracer side, on libbpf.
PURE_SRCS := $(wildcard user/correlate/*.c) user/schema.c user/duration.c
PURE_OBJS := $(patsubst user/%.c,$(BUILD)/user/%.o,$(PURE_SRCS))
PURE_HDRS := $(wildcard user/correlate/*.h) user/schema.h user/duration.h
USER_SRCS := $(filter-out user/main.c $(PURE_SRCS),$(wildcard user/*.c))
USER_OBJS := $(patsubst user/%.c,$(BUILD)/user/%.o,$(USER_SRCS))
USER_HDRS := $(wildcard user/*.h user/*/*.h) bpf/finwatch.h

VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

.DELETE_ON_ERROR:
.PHONY: all clean test unit correlate-lib deps demo vmtest fuzz asan format bench
all: finwatch

deps:
	bash scripts/deps.sh

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) | $(BUILD)/bpf
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/finwatch.bpf.o: $(BPF_OBJS)
	$(BPFTOOL) gen object $@ $^

$(BUILD)/finwatch.skel.h: $(BUILD)/finwatch.bpf.o
	$(BPFTOOL) gen skeleton $< name finwatch_bpf > $@

$(PURE_OBJS): $(BUILD)/user/%.o: user/%.c $(PURE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/user/%.o: user/%.c $(USER_HDRS) $(BUILD)/finwatch.skel.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TRACER_CPPFLAGS) -DFW_VERSION='"$(VERSION)"' -c $< -o $@

# The demo script travels inside the binary (user/demo.c).
$(BUILD)/demo_script.o: scripts/demo.sh
	@mkdir -p $(dir $@)
	ld -r -b binary -z noexecstack -o $@ scripts/demo.sh

$(BUILD)/libfwcorrelate.a: $(PURE_OBJS)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/libfinwatch.a: $(USER_OBJS) $(BUILD)/demo_script.o
	rm -f $@ && ar rcs $@ $^

finwatch: $(BUILD)/user/main.o $(BUILD)/libfinwatch.a $(BUILD)/libfwcorrelate.a
	$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LIBBPF_LIBS) -o $@

$(BUILD)/bpf:
	mkdir -p $@

# Unit tests: each tests/unit/test_*.c is one binary. The correlator's
# and the schema's need a C compiler and zlib, nothing else; the
# others test the tracer side and link it with libbpf.
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
PURE_UNIT_SRCS := $(wildcard tests/unit/test_correlate*.c) tests/unit/test_schema.c
PURE_UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(PURE_UNIT_SRCS))
UNIT_HDRS := $(wildcard tests/unit/*.h)
$(PURE_UNIT_BINS): $(BUILD)/tests/%: tests/unit/%.c $(UNIT_HDRS) $(BUILD)/libfwcorrelate.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -Itests/unit $< $(BUILD)/libfwcorrelate.a -lz -o $@
$(BUILD)/tests/%: tests/unit/%.c $(UNIT_HDRS) $(BUILD)/libfinwatch.a $(BUILD)/libfwcorrelate.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TRACER_CPPFLAGS) $(LDFLAGS) -Itests/unit $< \
		$(BUILD)/libfinwatch.a $(BUILD)/libfwcorrelate.a $(LIBBPF_LIBS) -o $@

unit: $(UNIT_BINS)

# The correlator alone: builds without clang, bpftool or libbpf.
correlate-lib: $(BUILD)/libfwcorrelate.a $(PURE_UNIT_BINS)

# The README's two commands: each installs what is missing, builds, runs.
test:
	bash scripts/deps.sh
	$(MAKE) finwatch unit asan
	bash tests/run.sh

# The unit tests again, under ASan and UBSan, in a build tree of their own.
asan:
	$(MAKE) BUILD=build/asan CC=clang \
		CFLAGS='-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all' \
		LDFLAGS='-fsanitize=address,undefined' unit

# The libFuzzer targets, longer than the suite runs them.
FUZZ_SECONDS ?= 300
fuzz:
	bash tests/fuzz/run.sh $(FUZZ_SECONDS)

demo:
	bash scripts/deps.sh
	$(MAKE) finwatch
	./finwatch demo

# The cost benchmark (issue 12, docs/PERFORMANCE.md): root, minutes, not
# part of `make test`. Its packages: bash scripts/deps.sh --bench.
BENCH_BUILD := $(BUILD)/bench
$(BENCH_BUILD)/empty.bpf.o: bench/empty.bpf.c vmlinux/vmlinux.h
	@mkdir -p $(dir $@)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BENCH_BUILD)/empty.skel.h: $(BENCH_BUILD)/empty.bpf.o
	$(BPFTOOL) gen skeleton $< name empty_bpf > $@

$(BENCH_BUILD)/empty: bench/empty.c $(BENCH_BUILD)/empty.skel.h
	$(CC) $(CFLAGS) -I$(BENCH_BUILD) $< $(LIBBPF_LIBS) -o $@

bench:
	bash scripts/deps.sh --bench
	$(MAKE) finwatch $(BENCH_BUILD)/empty
	bash bench/run.sh

vmtest:
	bash scripts/deps.sh
	$(MAKE) finwatch unit
	bash scripts/vmtest.sh

format:
	clang-format -i bpf/*.c bpf/*.h user/*.c user/*.h user/*/*.c user/*/*.h tests/unit/*.c

clean:
	rm -rf $(BUILD) finwatch
