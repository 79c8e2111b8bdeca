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

# CFLAGS, CPPFLAGS and LDFLAGS come from the environment (a packager's
# dpkg-buildflags); what the code needs is added to them. Warnings are
# errors for developers and CI (WERROR=1, which the repo's test targets
# and .ci/run set), not for whoever builds a release with another compiler.
WERROR ?= 0
WARN := -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror)
CFLAGS ?= -O2 -g
override CFLAGS += $(WARN) -std=gnu11
override CPPFLAGS += -D_GNU_SOURCE -Iuser
# Only the tracer side sees the kernel ABI, the skeleton and libbpf.
TRACER_CPPFLAGS := -Ibpf -I$(BUILD) $(LIBBPF_CFLAGS)
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Wextra -Werror \
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
PURE_SRCS := $(wildcard user/correlate/*.c) user/schema.c user/duration.c \
	user/cli_help.c user/textsafe.c user/prom.c
PURE_OBJS := $(patsubst user/%.c,$(BUILD)/user/%.o,$(PURE_SRCS))

# The fuzzers build the correlator from its sources, the same list.
print-pure-srcs:
	@echo $(PURE_SRCS)
PURE_HDRS := $(wildcard user/correlate/*.h) user/schema.h user/duration.h \
	user/cli_help.h user/textsafe.h user/prom.h
USER_SRCS := $(filter-out user/main.c $(PURE_SRCS),$(wildcard user/*.c))
USER_OBJS := $(patsubst user/%.c,$(BUILD)/user/%.o,$(USER_SRCS))
USER_HDRS := $(wildcard user/*.h user/*/*.h) bpf/finwatch.h

# The release this tree is: VERSION, not git, so that a tarball says it
# too (.ci/run checks it against the latest tag).
VERSION := $(shell cat VERSION)

.DELETE_ON_ERROR:
.PHONY: print-pure-srcs all clean test unit correlate-lib deps test-deps demo vmtest fuzz \
	asan format bench bench-correlate bench-burst install uninstall deb man soak
all: finwatch

# What builds and runs finwatch: safe on a production host (no service
# is started, stopped or reconfigured, no kernel image installed).
deps:
	bash scripts/deps.sh build

# What the test suite and the VM suite need besides (redis, nft, qemu,
# kernel images, logrotate, promtool, node_exporter, debhelper...).
test-deps:
	bash scripts/deps.sh build test vm

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) | $(BUILD)/bpf
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/finwatch.bpf.o: $(BPF_OBJS)
	$(BPFTOOL) gen object $@ $^

$(BUILD)/finwatch.skel.h: $(BUILD)/finwatch.bpf.o
	$(BPFTOOL) gen skeleton $< name finwatch_bpf > $@

$(PURE_OBJS): $(BUILD)/user/%.o: user/%.c $(PURE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# The one pure file that knows the release, for every subcommand's -V.
$(BUILD)/user/cli_help.o: VERSION
$(BUILD)/user/cli_help.o: override CPPFLAGS += -DFW_VERSION='"$(VERSION)"'

$(BUILD)/user/%.o: user/%.c $(USER_HDRS) $(BUILD)/finwatch.skel.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(TRACER_CPPFLAGS) -c $< -o $@

# The demo script travels inside the binary (user/demo.c).
$(BUILD)/demo_script.o: scripts/demo.sh
	@mkdir -p $(dir $@)
	ld -r -b binary -z noexecstack -o $@ scripts/demo.sh

$(BUILD)/libfwcorrelate.a: $(PURE_OBJS)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/libfinwatch.a: $(USER_OBJS) $(BUILD)/demo_script.o
	rm -f $@ && ar rcs $@ $^

# The binary: ./finwatch, or BIN (the package builds in a tree of its own).
BIN ?= finwatch
ifneq ($(BIN),finwatch)
finwatch: $(BIN)
endif
$(BIN): $(BUILD)/user/main.o $(BUILD)/libfinwatch.a $(BUILD)/libfwcorrelate.a
	$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LIBBPF_LIBS) -o $@

$(BUILD)/bpf:
	mkdir -p $@

# Unit tests: each tests/unit/test_*.c is one binary. The correlator's
# and the schema's need a C compiler and zlib, nothing else; the
# others test the tracer side and link it with libbpf.
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
PURE_UNIT_SRCS := $(wildcard tests/unit/test_correlate*.c) tests/unit/test_schema.c \
	tests/unit/test_textsafe.c
PURE_UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(PURE_UNIT_SRCS))
UNIT_HDRS := $(wildcard tests/unit/*.h)
$(PURE_UNIT_BINS): $(BUILD)/tests/%: tests/unit/%.c $(UNIT_HDRS) $(BUILD)/libfwcorrelate.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -Itests/unit $< $(BUILD)/libfwcorrelate.a -lz -o $@
$(BUILD)/tests/%: tests/unit/%.c $(UNIT_HDRS) $(BUILD)/libfinwatch.a $(BUILD)/libfwcorrelate.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(TRACER_CPPFLAGS) $(LDFLAGS) -Itests/unit $< \
		$(BUILD)/libfinwatch.a $(BUILD)/libfwcorrelate.a $(LIBBPF_LIBS) -o $@

unit: $(UNIT_BINS)

# The correlator alone: builds without clang, bpftool or libbpf.
correlate-lib: $(BUILD)/libfwcorrelate.a $(PURE_UNIT_BINS)

# The README's two commands: each installs what is missing, builds, runs.
test: test-deps
	$(MAKE) WERROR=1 finwatch unit asan
	bash tests/run.sh

# The unit tests again, under ASan and UBSan, in a build tree of their own.
asan:
	$(MAKE) BUILD=build/asan CC=clang WERROR=1 \
		CFLAGS='-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all' \
		LDFLAGS='-fsanitize=address,undefined' unit

# The libFuzzer targets, longer than the suite runs them.
FUZZ_SECONDS ?= 300
fuzz:
	bash tests/fuzz/run.sh $(FUZZ_SECONDS)

demo:
	bash scripts/deps.sh build test
	$(MAKE) WERROR=1 finwatch
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
	$(CC) $(CPPFLAGS) $(CFLAGS) -I$(BENCH_BUILD) $< $(LIBBPF_LIBS) -o $@

bench:
	bash scripts/deps.sh build bench
	$(MAKE) finwatch $(BENCH_BUILD)/empty
	bash bench/run.sh

# `finwatch correlate`, main's build against this tree's, on real churn
# logs (made once, root: flock /work/kernel.lock bench/churn_logs.sh DIR).
CHURN_LOGS ?= bench/out/churn
bench-correlate:
	@[ -s $(CHURN_LOGS)/folded/client.log ] || { echo "no churn logs in $(CHURN_LOGS): bench/churn_logs.sh $(CHURN_LOGS) (root)"; exit 1; }
	bash bench/correlate_ab.sh $(CHURN_LOGS)/folded $(CHURN_LOGS)/all-states

# The close burst of issue 14 (bench/burst.sh, docs/PERFORMANCE.md): root,
# a few minutes, not part of `make test`. BURST_CASES: some of none, ring,
# perf, ring-all-states, perf-all-states (default: the four traced ones).
BURST_CASES ?=
bench-burst:
	$(MAKE) finwatch
	bash bench/burst.sh $(BURST_CASES)

# Days of tracing in compressed time (scripts/soak.sh, docs/PERFORMANCE.md),
# as root: SOAK_MINUTES of churn, leaks and rotations with --follow
# running. The suite runs a one-minute version (tests/kernel/test_soak.sh).
SOAK_MINUTES ?= 10
soak:
	bash scripts/deps.sh build test
	$(MAKE) finwatch
	SOAK_DURATION=$$(($(SOAK_MINUTES) * 60)) bash scripts/soak.sh

vmtest: test-deps
	$(MAKE) WERROR=1 finwatch unit
	bash scripts/vmtest.sh

# ---- installing: PREFIX and DESTDIR as usual; the root-only tool in sbin.
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/finwatch
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= /etc
INSTALL ?= install
DOCS := README.md LICENSE $(wildcard docs/*.md)

# The man page's source is mdoc (dist/finwatch.8); `man` checks it.
man:
	mandoc -T lint -W warning dist/finwatch.8
	@echo "dist/finwatch.8: mandoc -T lint clean"

# The units run whatever SBINDIR holds the binary.
UNITS := finwatch-trace@.service finwatch-snapshot.service \
	finwatch-snapshot.timer
UNIT_OUT := $(addprefix $(BUILD)/units/,$(UNITS))
$(UNIT_OUT): $(BUILD)/units/%: dist/%
	@mkdir -p $(dir $@)
	sed 's|@SBINDIR@|$(SBINDIR)|g; s|@SYSCONFDIR@|$(SYSCONFDIR)|g' $< >$@

install: finwatch $(UNIT_OUT)
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(DOCDIR) $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSCONFDIR)/logrotate.d \
		$(DESTDIR)$(SYSCONFDIR)/finwatch
	$(INSTALL) -m 755 $(BIN) $(DESTDIR)$(SBINDIR)/finwatch
	$(INSTALL) -m 644 dist/finwatch.8 $(DESTDIR)$(MANDIR)/man8/finwatch.8
	$(INSTALL) -m 644 $(DOCS) $(DESTDIR)$(DOCDIR)/
	$(INSTALL) -m 644 dist/finwatch.bash-completion \
		$(DESTDIR)$(BASHCOMPDIR)/finwatch
	$(INSTALL) -m 644 $(UNIT_OUT) $(DESTDIR)$(SYSTEMDUNITDIR)/
	$(INSTALL) -m 644 dist/finwatch.logrotate \
		$(DESTDIR)$(SYSCONFDIR)/logrotate.d/finwatch
	$(INSTALL) -m 644 dist/trace-default.conf \
		$(DESTDIR)$(SYSCONFDIR)/finwatch/default.conf
	$(INSTALL) -m 644 dist/snapshot.conf \
		$(DESTDIR)$(SYSCONFDIR)/finwatch/snapshot.conf

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/finwatch $(DESTDIR)$(MANDIR)/man8/finwatch.8 \
		$(DESTDIR)$(BASHCOMPDIR)/finwatch \
		$(addprefix $(DESTDIR)$(SYSTEMDUNITDIR)/,$(UNITS)) \
		$(DESTDIR)$(SYSCONFDIR)/logrotate.d/finwatch
	rm -rf $(DESTDIR)$(DOCDIR)

# The Debian package (debian/), left as build/finwatch_VERSION_ARCH.deb.
DEB_ARCH = $(shell dpkg --print-architecture)
DEB_OUT = $(addprefix ../,finwatch_$(VERSION)_$(DEB_ARCH).deb \
	finwatch_$(VERSION)_$(DEB_ARCH).buildinfo \
	finwatch_$(VERSION)_$(DEB_ARCH).changes \
	finwatch-dbgsym_$(VERSION)_$(DEB_ARCH).deb)
deb:
	dpkg-buildpackage -us -uc -b
	@mkdir -p $(BUILD)
	for f in $(DEB_OUT); do [ ! -e $$f ] || mv $$f $(BUILD)/; done
	@echo "$(BUILD)/finwatch_$(VERSION)_$(DEB_ARCH).deb"

format:
	clang-format -i bpf/*.c bpf/*.h user/*.c user/*.h user/*/*.c user/*/*.h tests/unit/*.c

clean:
	rm -rf $(BUILD) finwatch
