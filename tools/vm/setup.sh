#!/usr/bin/env bash
# Lesson 01 boots a real, tiny VM to measure a VM's start time and memory beside a
# container's: QEMU with KVM, Debian's cloud kernel and a busybox initramfs whose
# only job is to say it is up and power off. This script installs QEMU (apt) and
# puts the kernel and initramfs in the cache; nothing else on the host changes
# (the kernel package is unpacked there, not installed into /boot).
#
#   tools/vm/setup.sh      (idempotent; a warm cache needs no network)
#
# Without /dev/kvm there is no hypervisor to measure: the lesson then shows cited
# figures, labelled as cited, and this script does nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${KUBELAB_CACHE:-/var/cache/kubelab}/vm
if [ ! -e /dev/kvm ]; then
  echo "vm: no /dev/kvm on this machine: lesson 01 shows cited VM figures"; exit 0
fi
if ! command -v qemu-system-x86_64 >/dev/null; then
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || {
    echo "vm: qemu is not installed (sudo apt-get install --no-install-recommends qemu-system-x86);" \
         "lesson 01 shows cited VM figures until it is"; exit 0; }
  echo "… installing QEMU for lesson 01's VM (apt-get install qemu-system-x86)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends qemu-system-x86 >/dev/null \
    || { apt-get update -q >/dev/null &&
         DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends qemu-system-x86 >/dev/null; }
fi
if [ -s "$out/vmlinuz" ] && [ -s "$out/initramfs.cpio.gz" ] && [ "$(cat "$out/.init-sha" 2>/dev/null)" = \
     "$(sha256sum < "$here/init" | cut -d' ' -f1)" ]; then
  exit 0
fi
mkdir -p "$out/debs"
# The suite's cloud kernel (the smallest Debian kernel that boots under KVM) and a
# static busybox, downloaded by apt (checked against the signed index) and kept.
kernel=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -1)
[ -n "$kernel" ] || { apt-get update -q >/dev/null; kernel=$(apt-cache depends linux-image-cloud-amd64 | sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -1); }
[ -n "$kernel" ] || { echo "vm: apt knows no linux-image-cloud-amd64" >&2; exit 1; }
# The host's own apt sources (the kernel's current revision is in -security).
for pkg in "$kernel" busybox-static; do
  ls "$out/debs/${pkg}"_*.deb >/dev/null 2>&1 || (cd "$out/debs" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >/dev/null)
done
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$out/debs/${kernel}"_*.deb "$tmp/kernel"
cp "$tmp"/kernel/boot/vmlinuz-* "$out/vmlinuz"
dpkg-deb -x "$out/debs"/busybox-static_*.deb "$tmp/bb"
root=$tmp/root
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev"
cp "$tmp/bb/bin/busybox" "$root/bin/busybox"
for cmd in sh mount cat echo poweroff sleep; do ln -s busybox "$root/bin/$cmd"; done
cp "$here/init" "$root/init"; chmod 755 "$root/init"
# the kernel needs /dev/console before /init runs to give it a console
python3 "$here/mkcpio.py" "$root" | gzip -9 > "$out/initramfs.cpio.gz"
sha256sum < "$here/init" | cut -d' ' -f1 > "$out/.init-sha"
echo "✓ lesson 01 VM: $(basename "$(ls "$out/debs/${kernel}"_*.deb)" .deb) and a busybox initramfs in $out"
