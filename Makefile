# vpcemu - AWS VPC networking on Linux network namespaces.
#
#   make                 build vpcemu and vpcemud
#   sudo make check      install build/test dependencies, build, run every test
#   sudo make demo       install, build, bring up the hands-on lab, show the ping
#   make unit            unit tests only (no root)
#   make SANITIZE=1 ...  ASan+UBSan build (into build-asan/)
#   sudo make differential [SEEDS=...] analyze vs real probes, random labs
#   make fuzz [FUZZ=dns] libFuzzer target: conf (parser+checker), dns, ctl
#                        (control socket), imds, s3, dynamodb or query
#                        (the API's form, Query and SigV4 parsing)
#   make install         binaries, man pages, bash completion, systemd unit;
#                        honours PREFIX and DESTDIR
#   make deb             the same as a Debian package (dpkg-deb), in build/
#   make V=1             show commands
#   sudo make soak       process-ownership soak (SOAK_N rounds, not in check)

VERSION   := 0.1.0
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
SBINDIR   ?= $(PREFIX)/sbin
UNITDIR   ?= $(PREFIX)/lib/systemd/system
DATADIR   ?= $(PREFIX)/share
COMPLETIONDIR ?= $(DATADIR)/bash-completion/completions
MANDIR    ?= $(DATADIR)/man
CC        ?= cc
PKG_CONFIG ?= pkg-config
PKGS      := libnl-3.0 libnl-route-3.0 libmnl libnftables jansson ldns nettle \
             libmicrohttpd

ifeq ($(SANITIZE),1)
B         := build-asan
SANFLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer
else
B         := build
endif

# Recursive (=) so that pkg-config runs only when a recipe needs it, after
# `make deps` may have installed the libraries.
CPPFLAGS  += -Iinclude -DVPCEMU_VERSION='"$(VERSION)"' -D_GNU_SOURCE
CFLAGS    ?= -O2 -g
CFLAGS    += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
             -Wno-unused-parameter -MMD -MP $(SANFLAGS)
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS))
PKG_LIBS   = $(shell $(PKG_CONFIG) --libs $(PKGS))
LDFLAGS   += $(SANFLAGS)

ifeq ($(V),1)
Q :=
else
Q := @
endif

MAINS     := emu/cli.c emu/daemon.c emu/ssmplugin.c
LIB_SRCS  := $(filter-out $(MAINS),$(wildcard emu/*.c emu/res/*.c emu/svc/*.c \
                                               emu/api/*.c))
# data/prices.tsv, the price list of vpcemu cost, becomes a C string.
GEN_SRCS  := $(B)/gen/prices.c
LIB_OBJS  := $(LIB_SRCS:%.c=$(B)/%.o) $(GEN_SRCS:%.c=%.o)
# The API's part of botocore's models (scripts/gen-apimodel), from the
# commands vpcemu knows: linked into what serves or tests the API, not
# into libvpcemu.a, which the vpcemu it asks is built from.
API_GEN   := $(B)/gen/apimodel.c
PYTHON3   ?= /usr/bin/python3
UNIT_SRCS := $(wildcard tests/unit/*.c)
INTEG_SRCS := $(wildcard tests/integration/*.c)

all: $(B)/vpcemu $(B)/vpcemud $(B)/session-manager-plugin

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/gen/prices.c: data/prices.tsv
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GEN     $@")
	$(Q){ echo '/* Generated from data/prices.tsv by make. */'; \
	  echo 'const char cost_prices_tsv[] ='; \
	  sed -e 's/\\/\\\\/g; s/"/\\"/g; s/\t/\\t/g; s/^/"/; s/$$/\\n"/' $<; \
	  echo ';'; } > $@

$(API_GEN): scripts/gen-apimodel $(B)/vpcemu
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GEN     $@")
	$(Q)$(PYTHON3) scripts/gen-apimodel $(B)/vpcemu $@

$(B)/gen/%.o: $(B)/gen/%.c
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(B)/libvpcemu.a: $(LIB_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/vpcemu: $(B)/emu/cli.o $(B)/libvpcemu.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(B)/vpcemud: $(B)/emu/daemon.o $(API_GEN:%.c=%.o) $(B)/libvpcemu.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(B)/session-manager-plugin: $(B)/emu/ssmplugin.o
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(shell $(PKG_CONFIG) --libs jansson)

$(B)/unit-tests: $(UNIT_SRCS:%.c=$(B)/%.o) $(API_GEN:%.c=%.o) $(B)/libvpcemu.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lcriterion

$(B)/integration-tests: $(INTEG_SRCS:%.c=$(B)/%.o) $(B)/libvpcemu.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lcriterion

deps:
	$(Q)scripts/install-deps

# The README's test command: dependencies, build, every test. Integration
# tests need root; without it they are skipped, and say so.
check: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory test

test: unit integration

unit: $(B)/unit-tests $(B)/vpcemu
	$(Q)cd tests && VPCEMU=../$(B)/vpcemu ../$(B)/unit-tests --jobs 2

integration: $(B)/integration-tests $(B)/vpcemu $(B)/vpcemud
	$(Q)scripts/run-integration $(B)

# analyze against real packets over random labs (root; DIFF_SECONDS caps it)
# 96: the sender's group and the receiver's ACL both drop (flow log REJECT)
SEEDS ?= $(shell seq 1 20) 96
differential: $(B)/vpcemu $(B)/vpcemud
	$(Q)scripts/differential $(B) $(SEEDS)

golden: $(B)/vpcemu
	$(Q)scripts/update-golden $(B)

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo $(B)

FUZZ_CC ?= clang
FUZZ    ?= conf
fuzz: $(B)/fuzz-$(FUZZ)
	$(Q)mkdir -p $(B)/fuzz-corpus-$(FUZZ)
	$(B)/fuzz-$(FUZZ) -max_total_time=$${FUZZ_SECONDS:-600} -max_len=8192 \
		$(B)/fuzz-corpus-$(FUZZ) $(wildcard tests/fuzz/seeds-$(FUZZ)) \
		$(if $(filter conf,$(FUZZ)),topologies tests/golden)

# fuzzhttp.c turns input into HTTP requests for imds, s3 and dynamodb; the
# other targets link it unused. UBSan stops at its first report, so that
# undefined behaviour leaves a crash file like any other finding.
$(B)/fuzz-%: tests/fuzz/fuzz_%.c tests/fuzz/fuzzhttp.c $(LIB_SRCS) $(GEN_SRCS) \
		$(API_GEN)
	@mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(CPPFLAGS) $(PKG_CFLAGS) -g -O1 \
		-fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -o $@ $^ $(PKG_LIBS)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR)
	install -m 0755 $(B)/vpcemu $(DESTDIR)$(BINDIR)/vpcemu
	install -m 0755 $(B)/session-manager-plugin \
		$(DESTDIR)$(BINDIR)/session-manager-plugin
	install -m 0755 $(B)/vpcemud $(DESTDIR)$(SBINDIR)/vpcemud
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|/usr/local/sbin|$(SBINDIR)|' scripts/vpcemud.service \
		> $(DESTDIR)$(UNITDIR)/vpcemud.service
	install -d $(DESTDIR)$(COMPLETIONDIR)
	install -m 0644 completion/vpcemu.bash $(DESTDIR)$(COMPLETIONDIR)/vpcemu
	install -d $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 man/lab.conf.5 $(DESTDIR)$(MANDIR)/man5/lab.conf.5
	install -m 0644 man/vpcemu.8 man/vpcemud.8 $(DESTDIR)$(MANDIR)/man8/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/vpcemu $(DESTDIR)$(SBINDIR)/vpcemud \
		$(DESTDIR)$(BINDIR)/session-manager-plugin \
		$(DESTDIR)$(UNITDIR)/vpcemud.service \
		$(DESTDIR)$(COMPLETIONDIR)/vpcemu \
		$(DESTDIR)$(MANDIR)/man5/lab.conf.5 \
		$(DESTDIR)$(MANDIR)/man8/vpcemu.8 $(DESTDIR)$(MANDIR)/man8/vpcemud.8

# A Debian package of what install puts under /usr (scripts/make-deb).
deb: all
	$(Q)rm -rf $(B)/deb
	$(Q)$(MAKE) --no-print-directory install PREFIX=/usr \
		DESTDIR=$(abspath $(B))/deb >/dev/null
	$(Q)scripts/make-deb $(B) $(VERSION) $(B)/deb

clean:
	rm -rf build build-asan

.PHONY: all deps check test unit integration golden demo fuzz install uninstall deb clean

# Benchmarks (tests/bench/README.md): root, not part of check. bench fits
# in ~10 minutes; bench-full adds runs and Mininet at 1,000 hosts.
$(B)/bench/floor: tests/bench/floor.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(shell $(PKG_CONFIG) --cflags --libs libmnl)

bench: all $(B)/bench/floor
	$(Q)tests/bench/install-deps
	$(Q)tests/bench/run --build $(B)

bench-full: all $(B)/bench/floor
	$(Q)tests/bench/install-deps
	$(Q)tests/bench/run --full --build $(B)

.PHONY: bench bench-full

# Instances own their processes, under crashes: SOAK_N rounds of up,
# servers, kill -9 of vpcemud or `vpcemu up`, down; fails on any leak.
# Root; not part of check.
SOAK_N ?= 50
soak: all
	$(Q)B=$(B) tests/soak/procs $(SOAK_N)

.PHONY: soak

-include $(shell find $(B) -name '*.d' 2>/dev/null)
