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
# The VM is rebuilt when its recipe (this script, /init, the cpio writer) changes.
recipe=$(cat "$here/setup.sh" "$here/init" "$here/mkcpio.py" | sha256sum | cut -d' ' -f1)
build() {
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
for cmd in sh mount cat cut grep echo poweroff; do ln -s busybox "$root/bin/$cmd"; done
cp "$here/init" "$root/init"; chmod 755 "$root/init"
# the kernel needs /dev/console before /init runs to give it a console
python3 "$here/mkcpio.py" "$root" | gzip -9 > "$out/initramfs.cpio.gz"
rm -f "$out/accel" "$out/.init-sha"
echo "$recipe" > "$out/.recipe"
echo "✓ lesson 01 VM: $(basename "$(ls "$out/debs/${kernel}"_*.deb)" .deb) and a busybox initramfs in $out"
}
if [ ! -s "$out/vmlinuz" ] || [ ! -s "$out/initramfs.cpio.gz" ] || [ "$(cat "$out/.recipe" 2>/dev/null)" != "$recipe" ]; then
  build
fi
# Which accelerator boots a guest here, found once: inside another VM a /dev/kvm can
# exist and still hang every guest; the lesson then measures with QEMU's emulation.
if [ ! -s "$out/accel" ]; then
  if timeout 20 qemu-system-x86_64 -accel kvm -m 256 -smp 1 -nodefaults -display none -no-reboot -serial stdio \
       -kernel "$out/vmlinuz" -initrd "$out/initramfs.cpio.gz" -append "console=ttyS0 quiet panic=-1" </dev/null 2>&1 \
       | grep -q "kubelab-vm: up after"; then
    echo kvm > "$out/accel"
  else
    echo tcg > "$out/accel"
  fi
  echo "vm: lesson 01's VM boots with $(cat "$out/accel") here"
fi
