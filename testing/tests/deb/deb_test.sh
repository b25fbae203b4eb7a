#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages as users get them, unpacked (dpkg -x) into a scratch
# root: flowlane-dkms carries the module's sources with a dkms.conf of the
# project's version, the modprobe configuration and the man page; flowlane
# runs and reports that version; libflowlane-dev builds and links a dataplane
# (libflowlane_consumer.c) through pkg-config, which then runs on
# libflowlane0's shared library; and DKMS adds, builds and installs the
# package's source tree for every kernel the project builds for (scripts/guest-kver
# --all: the newest installed of each Debian line), in scratch trees of its
# own (--dkmstree, --sourcetree, --installtree; no depmod, its own signing key)
# so that the machine's module trees are left alone. (The package installed
# for real, with the kernel using the module: make vm-install.)
# With TARBALL, DKMS's archive of the default guest kernel's build (dkms mktarball) is written there:
# make vm-install hands it to the package in the guest.
# usage: deb_test.sh DEB_DIR VERSION [TARBALL]
set -u
dir=$1 version=$2 tarball=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
root=$(mktemp -d /tmp/flowlane-deb-XXXXXX)
trap 'rm -rf "$root"' EXIT
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); echo "  ok   $1"; else fail=$((fail + 1)); echo "  FAIL $1"; fi; }

arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
for p in flowlane-dkms_${version}_all flowlane_${version}_$arch libflowlane0_${version}_$arch \
	libflowlane-dev_${version}_$arch; do
	check "$p.deb unpacks" "dpkg -x $dir/$p.deb $root"
done

src=$root/usr/src/flowlane-$version
check "flowlane-dkms: dkms.conf of version $version" "grep -qx 'PACKAGE_VERSION=\"$version\"' $src/dkms.conf"
check "flowlane-dkms: AUTOINSTALL, installed to updates/dkms" \
	"grep -qx 'AUTOINSTALL=\"yes\"' $src/dkms.conf && grep -qx 'DEST_MODULE_LOCATION\[0\]=\"/updates/dkms\"' $src/dkms.conf"
# BUILD_EXCLUSIVE_KERNEL admits every kernel line the project builds for.
supported()
{
	local re k
	re=$(sed -n 's/^BUILD_EXCLUSIVE_KERNEL="\(.*\)"$/\1/p' "$src/dkms.conf")
	[ -n "$re" ] || return 1
	for k in $("$top/scripts/guest-kver" --all); do [[ $k =~ $re ]] || return 1; done
}
check "flowlane-dkms: BUILD_EXCLUSIVE_KERNEL admits $("$top/scripts/guest-kver" --all | tr '\n' ' ')" supported
check "flowlane-dkms: the sources Kbuild compiles (shim, core, offload engine, headers)" \
	"[ -f $src/Kbuild ] && [ -f $src/nf_flow_table/kernel/nft_types.c ] && [ -f $src/nf_flow_table/fastpath.cpp ] && \
	 ls $src/offload/*.cpp >/dev/null && [ -f $src/include/flowlane/flowtable.h ] && [ \"\$($src/scripts/flowlane-version)\" = $version ]"
check "flowlane-dkms: every source file Kbuild reads is shipped" \
	"(cd $top && find include nf_flow_table offload -path offload/ftnic/iproute2 -prune -o -type f \\( -name '*.c' -o -name '*.cpp' -o -name '*.h' -o -name '*.lds' \\) -print | sort) | \
	 cmp -s - <(cd $src && find include nf_flow_table offload -type f | sort)"
check "flowlane-dkms: /lib/modprobe.d/flowlane.conf is scripts/flowlane-modprobe.conf" \
	"cmp -s $root/lib/modprobe.d/flowlane.conf $top/scripts/flowlane-modprobe.conf"
check "flowlane-dkms: flowlane(4)" "zcat $root/usr/share/man/man4/flowlane.4.gz | grep -q 'WHAT IT REPLACES'"
check "flowlane-dkms: Documentation/install.rst" "[ -f $root/usr/share/doc/flowlane-dkms/install.rst.gz ]"

lib=$root/usr/lib/$multiarch
export LD_LIBRARY_PATH=$lib
check "flowlane: --version is $version" "[ \"\$($root/usr/bin/flowlane --version)\" = 'flowlane $version' ]"
check "flowlane: kernel status is a command (usage error without a subcommand)" \
	"{ $root/usr/bin/flowlane kernel 2>&1 || true; } | grep -q 'usage: flowlane kernel status'"
check "flowlane: flowlane(1)" "zcat $root/usr/share/man/man1/flowlane.1.gz | grep -q 'kernel status'"
check "flowlane: ftnic's iproute2 plugin where ip looks (IP_LIB_DIR)" \
	"strings /usr/sbin/ip | grep -qx /usr/lib/$multiarch/ip && nm -D $root/usr/lib/$multiarch/ip/link_ftnic.so | grep -q ' ftnic_link_util$'"
check "libflowlane0: SONAME libflowlane.so.0, the C API only" \
	"objdump -p $lib/libflowlane.so.0 | grep -q 'SONAME *libflowlane.so.0' && \
	 [ -z \"\$(nm -D --defined-only $lib/libflowlane.so.0 | awk '{print \$3}' | grep -v '^fl_')\" ]"
pc="PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_PATH=$lib/pkgconfig"
check "libflowlane-dev: pkg-config flowlane $version" "[ \"\$(env $pc pkg-config --modversion flowlane)\" = $version ]"
check "libflowlane-dev: a C dataplane builds against the package" \
	"cc -std=c11 -Wall -Wextra -Werror -Wno-unused-parameter -o $root/consumer $here/libflowlane_consumer.c \
	 \$(env $pc pkg-config --cflags --libs flowlane)"
check "libflowlane0: it runs on the shared library" "$root/consumer"
check "libflowlane-dev: and links statically too" \
	"cc -std=c11 -o $root/consumer-static $here/libflowlane_consumer.c \$(env $pc pkg-config --cflags flowlane) \
	 $lib/libflowlane.a \$(pkg-config --libs liburcu-memb) -lstdc++ -lpthread && env -u LD_LIBRARY_PATH $root/consumer-static"
# DKMS on the package's source tree, as the postinst runs it, for every kernel line.
dkms_opts="--dkmstree $root/dkms --sourcetree $root/dkms-src --installtree $root/modules"
mkdir -p $root/dkms $root/dkms-src
export mok_signing_key=$root/mok.key mok_certificate=$root/mok.pub
check "dkms add: the package's /usr/src/flowlane-$version" "dkms add $dkms_opts $src > $root/dkms.log 2>&1"
for k in $("$top/scripts/guest-kver" --all); do
	mkdir -p "$root/modules/$k"
	start=$(date +%s)
	dkms build $dkms_opts flowlane/$version -k "$k" >> $root/dkms.log 2>&1 &&
		dkms install $dkms_opts --no-depmod flowlane/$version -k "$k" >> $root/dkms.log 2>&1
	secs=$(( $(date +%s) - start ))
	# DKMS compresses the modules as the kernel's own are (6.12: .ko.xz).
	ko=$(ls "$root/modules/$k/updates/dkms/"flowlane.ko* 2>/dev/null | head -1)
	ftnic=$(ls "$root/modules/$k/updates/dkms/"ftnic.ko* 2>/dev/null | head -1)
	check "dkms build + install for $k (${secs} s): $(dkms status $dkms_opts -m flowlane -k "$k")" \
		"dkms status $dkms_opts -m flowlane -v $version -k $k | grep -q ': installed' && \
		 [ -n '$ko' ] && [ \"\$(modinfo -F version '$ko')\" = $version ] && modinfo -F vermagic '$ko' | grep -q '^$k '"
	check "dkms: ftnic.ko for $k too (${ftnic##*/})" "modinfo -F vermagic '$ftnic' | grep -q '^$k '"
done
# Installed kernels outside the supported lines are skipped, never a failed installation.
for d in /lib/modules/*/build/Makefile; do
	k=$(basename "$(dirname "$(dirname "$d")")")
	"$top/scripts/guest-kver" --all | grep -qx "$k" && continue
	dkms build $dkms_opts flowlane/$version -k "$k" >> $root/dkms.log 2>&1
	rc=$?
	check "dkms build for $k, not a supported line: skipped (BUILD_EXCLUSIVE_KERNEL, exit $rc)" "[ $rc -eq 77 ]"
done
# DKMS's archive for make vm-install: the default guest kernel's build. One
# kernel only: Debian 12's DKMS (3.0.10) handles one per archive (the locals of
# the per-kernel loops in mktarball and ldtarball are read-only, so every pass
# repeats the first kernel).
if [ -n "$tarball" ]; then
	guest=$("$top/scripts/guest-kver")
	tarball=$(realpath -m "$tarball")
	rm -f "$tarball"
	check "dkms mktarball: $(basename "$tarball") with the build for $guest" \
		"dkms mktarball $dkms_opts flowlane/$version -k $guest --archive $tarball >> $root/dkms.log 2>&1 && \
		 tar -tzf $tarball | grep -q '^./dkms_main_tree/$guest/x86_64/module/flowlane.ko' && \
		 tar -tzf $tarball | grep -q '^./dkms_main_tree/$guest/x86_64/module/ftnic.ko'"
fi
[ "$fail" -eq 0 ] || tail -n 30 $root/dkms.log
echo "deb: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
