# SPDX-License-Identifier: GPL-2.0
#
# xlock: build the module for Debian's 6.12 kernel, the userspace tools, and
# run the tests.
#
#   make                 module + userspace tools
#   make check           host tests, then guest (QEMU) tests; last line
#                        "N passed, N failed, N skipped"
#   make demo            boot the guest and show xlock live
#   make deps            install build and test dependencies (apt)
#   make style           checkpatch.pl on the kernel sources
#   make sparse          the module through sparse (C=2)
#   make deb             Debian packages xlock-dkms and xlock in build/deb
#   make dkms-install    this tree into DKMS, built and installed for $(KVER)
#                        (again: replaces it); make dkms-uninstall removes it
#   make check-debug     the guest suite on a lockdep/KASAN/kmemleak kernel
#                        (scripts/debug-lane.sh; builds that kernel once)
#
# KVER (kernel release) and KDIR (its build tree) may be overridden.
# WERROR=1 (the default here and in CI) makes warnings errors; DKMS and the
# Debian packages build with WERROR=0 (users' compilers may warn anew).

KVER ?= $(shell ./e2e/kver.sh 2>/dev/null)
KDIR ?= /lib/modules/$(KVER)/build
BUILD := $(CURDIR)/build
GEN := kmod/generated/btf.h
BTF_MODULES := lockd nfsd ksmbd
HOSTCC ?= gcc
VERSION := $(shell ./scripts/version.sh)
WERROR ?= 1
WFLAGS := -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror)

.PHONY: all module test-module userspace selftests host-tests bench check check-host check-guest check-debug \
	demo install deb dkms-sources \
	deps style sparse dkms-install dkms-build dkms-uninstall dkms-remove clean FORCE

all: module test-module userspace selftests

$(BUILD)/btfgen: scripts/btfgen.c scripts/btfgen.h
	@mkdir -p $(BUILD)
	$(HOSTCC) -O2 $(WFLAGS) -o $@ $<

# Regenerated when the spec, the generator or the target kernel changes.
$(BUILD)/btf-$(KVER)/.stamp:
	@test -n "$(KVER)" || { echo "no Debian 6.12 kernel found: run 'make deps'"; exit 1; }
	./scripts/btf-inputs.sh $(KVER) $(BUILD)/btf-$(KVER) $(BTF_MODULES)
	@touch $@

$(GEN): kmod/btf.spec $(BUILD)/btfgen $(BUILD)/btf-$(KVER)/.stamp FORCE
	@mkdir -p kmod/generated
	@$(BUILD)/btfgen kmod/btf.spec $(BUILD)/btf-$(KVER)/vmlinux \
		$(BUILD)/btf-$(KVER) $(KVER) >$@.tmp
	@if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; echo "  GEN     $@ ($(KVER))"; fi

# The version the module reports (MODULE_VERSION), rewritten when it changes.
VERSION_H := kmod/generated/version.h
$(VERSION_H): FORCE
	@mkdir -p kmod/generated
	@echo '#define XLOCK_VERSION "$(VERSION)"' >$@.tmp
	@if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; echo "  GEN     $@ ($(VERSION))"; fi

KBUILD_ARGS = M=$(CURDIR) XLOCK_WERROR=$(if $(filter 1,$(WERROR)),y)

module: $(GEN) $(VERSION_H)
	$(MAKE) -C $(KDIR) $(KBUILD_ARGS) modules

# The test module: the same sources with the test-only code (Kbuild,
# XLOCK_TEST), built in a copy of the tree; the guest loads it for
# test_api=1 (e2e/guest/lib.sh). Users' builds (DKMS, packages) never have it.
TEST_MODULE := $(BUILD)/test-module
test-module: $(GEN) $(VERSION_H)
	@mkdir -p $(TEST_MODULE)
	@tar -cf - Kbuild include $(KMOD_SOURCES) kmod/generated | \
		tar -xf - -C $(TEST_MODULE) --keep-newer-files --warning=no-ignore-newer
	$(MAKE) -C $(KDIR) $(KBUILD_ARGS) M=$(TEST_MODULE) XLOCK_TEST=y modules

userspace:
	$(MAKE) -C userspace VERSION=$(VERSION) WERROR=$(WERROR)

HOST_TESTS := $(BUILD)/tests/btfgen_test $(BUILD)/tests/rules_test $(BUILD)/tests/journal_test \
	$(BUILD)/tests/xlockd_test $(BUILD)/tests/config_test
HOST_CFLAGS := -O2 -g $(WFLAGS)

$(BUILD)/tests/btfgen_test: tests/host/btfgen_test.c scripts/btfgen.c scripts/btfgen.h tests/host/tap.h
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -Wno-unused-function -o $@ $<

$(BUILD)/tests/rules_test: tests/host/rules_test.c kmod/rules/rules.c kmod/rules/rules.h tests/host/tap.h
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ tests/host/rules_test.c kmod/rules/rules.c

$(BUILD)/tests/journal_test: tests/host/journal_test.c userspace/journal.c userspace/store.c \
		userspace/journal.h userspace/store.h userspace/log.h tests/host/tap.h
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -D_GNU_SOURCE -o $@ tests/host/journal_test.c userspace/journal.c \
		userspace/store.c

$(BUILD)/tests/config_test: tests/host/config_test.c userspace/config.c userspace/config.h \
		tests/host/tap.h
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -D_GNU_SOURCE -Iinclude/uapi -o $@ tests/host/config_test.c \
		userspace/config.c

# xlockd's event loop against a fake module (tests/host/xlockd_test.c):
# xlockd.c with its main() renamed, the rest of xlockd but nl.c.
NL_CFLAGS = $(shell pkg-config --cflags libnl-3.0 libnl-genl-3.0)
NL_LIBS = $(shell pkg-config --libs libnl-3.0 libnl-genl-3.0)
XLOCKD_LOOP_SRCS := $(addprefix userspace/,sync.c reclaim.c settings.c config.c dmetrics.c \
	daemon.c journal.c store.c log.c report.c metrics.c json.c nlattr.c)
$(BUILD)/tests/xlockd_test: tests/host/xlockd_test.c userspace/xlockd.c $(XLOCKD_LOOP_SRCS) \
		$(wildcard userspace/*.h) include/uapi/linux/xlock.h tests/host/tap.h
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -std=gnu11 -D_GNU_SOURCE -Iinclude/uapi $(NL_CFLAGS) \
		-Dmain=xlockd_main -c -o $@-main.o userspace/xlockd.c
	$(HOSTCC) $(HOST_CFLAGS) -std=gnu11 -D_GNU_SOURCE -Iinclude/uapi $(NL_CFLAGS) -o $@ \
		tests/host/xlockd_test.c $@-main.o $(XLOCKD_LOOP_SRCS) $(NL_LIBS)

host-tests: $(HOST_TESTS)

# The kselftest harness comes from Debian's linux-source-6.12 at build time.
KSFT_DIR := $(BUILD)/ksrc/tools/testing/selftests
$(KSFT_DIR)/kselftest_harness.h:
	@test -n "$(KSRC_TAR)" || { echo "linux-source-6.12 not installed: make deps"; exit 1; }
	@mkdir -p $(BUILD)/ksrc
	tar -xJf $(KSRC_TAR) -C $(BUILD)/ksrc --strip-components=1 \
		linux-source-6.12/tools/testing/selftests/kselftest_harness.h \
		linux-source-6.12/tools/testing/selftests/kselftest.h
	@touch $@

# kselftest-harness programs: the netlink selftests and the netlink fuzz.
$(BUILD)/selftests/xlock_nl_test $(BUILD)/selftests/xlock_fuzz: $(BUILD)/selftests/%: \
		selftests/%.c selftests/nl.h include/uapi/linux/xlock.h \
		$(KSFT_DIR)/kselftest_harness.h
	@mkdir -p $(dir $@)
	$(HOSTCC) -O2 -g $(WFLAGS) -Wno-unused-parameter -isystem $(KSFT_DIR) \
		-o $@ $<

$(BUILD)/selftests/xlock_churn: selftests/xlock_churn.c selftests/nl.h include/uapi/linux/xlock.h
	@mkdir -p $(dir $@)
	$(HOSTCC) -O2 -g $(WFLAGS) -o $@ selftests/xlock_churn.c

selftests: $(BUILD)/selftests/xlock_nl_test $(BUILD)/selftests/xlock_fuzz \
		$(BUILD)/selftests/xlock_churn $(BUILD)/bench/mkstate $(BUILD)/tools/logreplay

# The dm-log-writes replayer of the logwrites scenario (issue 11 item 5).
$(BUILD)/tools/logreplay: e2e/tools/logreplay.c
	@mkdir -p $(dir $@)
	$(HOSTCC) -O2 -g $(WFLAGS) -o $@ $<

# The recovery benchmark's input: a state directory of a crashed server.
$(BUILD)/bench/mkstate: bench/mkstate.c userspace/journal.c userspace/store.c userspace/log.c \
		userspace/journal.h userspace/store.h userspace/log.h
	@mkdir -p $(dir $@)
	$(HOSTCC) -O2 -g $(WFLAGS) -D_GNU_SOURCE -o $@ bench/mkstate.c \
		userspace/journal.c userspace/store.c userspace/log.c

# The README's test command: installs what is missing, builds, runs all.
check:
	./scripts/deps.sh
	$(MAKE) all host-tests
	./tests/run.sh

# The README's main job: boot the guest and show xlock live.
demo:
	./scripts/deps.sh
	$(MAKE) all
	./e2e/run.sh -v demo

# The debug-kernel lane (not part of make check: hours under TCG).
check-debug: all
	./scripts/debug-lane.sh $(SCENARIOS)

# Benchmarks: writes bench/RESULTS.md (not part of make check).
bench: all
	./bench/run.sh

check-host: all host-tests
	./tests/run.sh --host

check-guest: all
	./tests/run.sh --guest $(SCENARIOS)

deps:
	./scripts/deps.sh

# checkpatch.pl comes from Debian's linux-source-6.12 tarball, never the repo.
KSRC_TAR := $(firstword $(wildcard /usr/src/linux-source-6.12.tar.xz))
CHECKPATCH := $(BUILD)/ksrc/scripts/checkpatch.pl
# The TRACE_EVENT() header is written as the kernel's own trace headers are:
# macro arguments on their own lines, which two --strict checks dislike.
TRACE_HEADER = kmod/core/xlock_trace.h
KMOD_SOURCES = $(wildcard kmod/*.c kmod/*/*.c kmod/*/*.h)
KERNEL_SOURCES = $(filter-out $(TRACE_HEADER) kmod/generated/%,$(KMOD_SOURCES) $(wildcard include/uapi/linux/*.h))

$(CHECKPATCH):
	@test -n "$(KSRC_TAR)" || { echo "linux-source-6.12 not installed: make deps"; exit 1; }
	@mkdir -p $(BUILD)/ksrc
	tar -xJf $(KSRC_TAR) -C $(BUILD)/ksrc --strip-components=1 \
		linux-source-6.12/scripts/checkpatch.pl \
		linux-source-6.12/scripts/spelling.txt \
		linux-source-6.12/scripts/const_structs.checkpatch
	@touch $@

style: $(CHECKPATCH)
	$(CHECKPATCH) --no-tree --strict --terse --show-types \
		--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG,LINUX_VERSION_CODE \
		-f $(KERNEL_SOURCES)
	$(CHECKPATCH) --no-tree --strict --terse --show-types \
		--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG,PARENTHESIS_ALIGNMENT,OPEN_ENDED_LINE \
		-f $(TRACE_HEADER)

sparse: $(GEN) $(VERSION_H) test-module
	$(MAKE) -C $(KDIR) $(KBUILD_ARGS) C=2 CF="-D__CHECK_ENDIAN__" modules
	$(MAKE) -C $(KDIR) $(KBUILD_ARGS) M=$(TEST_MODULE) XLOCK_TEST=y C=2 CF="-D__CHECK_ENDIAN__" \
		modules

# What DKMS needs to build the module, and nothing else (plus a VERSION
# file, since /usr/src has no git history, and dkms.conf with the version).
DKMS_SOURCES := Makefile Kbuild e2e/kver.sh scripts/version.sh scripts/btf-inputs.sh \
	scripts/btfgen.c scripts/btfgen.h $(wildcard include/uapi/linux/*.h) \
	kmod/btf.spec $(filter-out kmod/generated/%,$(KMOD_SOURCES))
DKMS_DIR := $(DESTDIR)/usr/src/xlock-$(VERSION)

# Userspace, man pages and systemd units (the module goes through DKMS).
PREFIX ?= /usr
UNITDIR ?= $(PREFIX)/lib/systemd/system
DOCDIR ?= $(PREFIX)/share/doc/xlock
install: userspace
	$(MAKE) -C userspace install VERSION=$(VERSION) WERROR=$(WERROR) PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	install -D -m 0644 systemd/xlockd.service $(DESTDIR)$(UNITDIR)/xlockd.service
	for u in nfs-server ksmbd rpc-statd-notify; do \
		install -D -m 0644 systemd/$$u.service.d/xlock.conf \
			$(DESTDIR)$(UNITDIR)/$$u.service.d/xlock.conf || exit 1; \
	done
	test -e $(DESTDIR)/etc/default/xlockd || \
		install -D -m 0644 systemd/xlockd.default $(DESTDIR)/etc/default/xlockd
	test -e $(DESTDIR)/etc/xlock/xlockd.conf || \
		install -D -m 0644 systemd/xlockd.conf $(DESTDIR)/etc/xlock/xlockd.conf
	install -D -m 0644 include/uapi/linux/xlock.h $(DESTDIR)$(DOCDIR)/xlock.h
	./scripts/header-doc.sh userspace/journal.h >$(DESTDIR)$(DOCDIR)/state-format.txt

# The module's sources as DKMS wants them: /usr/src/xlock-<version>.
dkms-sources:
	rm -rf $(DKMS_DIR)
	mkdir -p $(DKMS_DIR)
	tar -cf - $(DKMS_SOURCES) | tar -xf - -C $(DKMS_DIR)
	echo $(VERSION) >$(DKMS_DIR)/VERSION
	sed 's/#MODULE_VERSION#/$(VERSION)/' dkms.conf >$(DKMS_DIR)/dkms.conf

# Re-runnable: whatever this target installed before (any version) goes
# first. The xlock-dkms package's version is left alone: use one or the other.
dkms-install: dkms-uninstall
	@if dpkg-query -W -f='$${Status}' xlock-dkms 2>/dev/null | grep -q 'ok installed'; then \
		echo "the xlock-dkms package is installed: remove it first, or use it"; exit 1; fi
	$(MAKE) dkms-sources DESTDIR=
	dkms add xlock/$(VERSION)
	dkms build xlock/$(VERSION) -k $(KVER)
	dkms install xlock/$(VERSION) -k $(KVER)

dkms-build: dkms-install
	@ls /var/lib/dkms/xlock/$(VERSION)/$(KVER)/x86_64/module/xlock.ko*

# Every xlock version in DKMS whose sources no package owns.
dkms-uninstall:
	@for d in /usr/src/xlock-*; do \
		[ -e "$$d/dkms.conf" ] || continue; \
		dpkg-query -S "$$d" >/dev/null 2>&1 && continue; \
		v=$${d#/usr/src/xlock-}; \
		if [ -d "/var/lib/dkms/xlock/$$v" ]; then \
			echo "dkms remove xlock/$$v --all"; dkms remove "xlock/$$v" --all || exit 1; fi; \
		echo "rm -rf $$d"; rm -rf "$$d"; \
	done

dkms-remove: dkms-uninstall

# Debian packages (debian/), built from a copy of this tree in build/deb
# with a changelog entry for $(VERSION); then lintian.
deb:
	./scripts/mkdeb.sh $(VERSION) $(BUILD)/deb

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null
	rm -rf $(BUILD) kmod/generated
