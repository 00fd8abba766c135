#!/bin/sh
# Build the appstack base image: debootstrap a Debian root file system,
# apply the overlay in ./overlay, clean it and `docker import` it.
#
# usage: build-base.sh SUITE MIRROR SECURITY_MIRROR VARIANT WORKDIR IMAGE RECIPE_HASH [CA_DIR]
#   SECURITY_MIRROR may be "" (no security source, e.g. for a local mirror).
#   CA_DIR: the *.crt files there (locally added CAs) go into the image's
#   /usr/local/share/ca-certificates, trusted once a recipe installs ca-certificates.
#   WORKDIR is scratch space (the root file system is removed afterwards);
#   it must not be this recipe's directory.
set -eu

suite=$1
mirror=$2
security_mirror=$3
variant=$4
workdir=$5
image=$6
recipe_hash=$7
ca_dir=${8:-}

here=$(cd "$(dirname "$0")" && pwd)
rootfs="$workdir/rootfs"

# Unmount whatever debootstrap (or an interrupted earlier run) left mounted
# below the root file system (proc, sys, dev binds), deepest first, then
# remove it without ever crossing into another file system.
remove_rootfs() {
  [ -e "$rootfs" ] || return 0
  awk -v root="$rootfs/" 'index($2 "/", root) == 1 { print $2 }' /proc/mounts \
    | sort -r | while read -r mnt; do umount -l "$mnt" || true; done
  rm -rf --one-file-system "$rootfs"
}
trap remove_rootfs EXIT
trap 'exit 1' INT TERM

mkdir -p "$workdir"
rootfs=$(cd "$workdir" && pwd)/rootfs
remove_rootfs
mkdir -p "$rootfs"

log="$workdir/debootstrap.log"
if ! debootstrap --variant="$variant" "$suite" "$rootfs" "$mirror" >"$log" 2>&1; then
  tail -n 20 "$log" >&2
  if [ -f "$rootfs/debootstrap/debootstrap.log" ]; then
    tail -n 20 "$rootfs/debootstrap/debootstrap.log" >&2
  fi
  exit 1
fi

# Overlay: apt/dpkg settings for images, policy-rc.d.
cp -R "$here/overlay/." "$rootfs/"
chmod 0755 "$rootfs/usr/sbin/policy-rc.d"

# Package sources: the suite, its updates and (optionally) security.
{
  echo "deb $mirror $suite main"
  echo "deb $mirror $suite-updates main"
  if [ -n "$security_mirror" ]; then
    echo "deb $security_mirror $suite-security main"
  fi
} > "$rootfs/etc/apt/sources.list"

# Bring the root file system up to date with updates/security.
chroot "$rootfs" apt-get -qq update
chroot "$rootfs" env DEBIAN_FRONTEND=noninteractive apt-get -qq -y dist-upgrade
chroot "$rootfs" apt-get clean

# Remove what an image should not carry.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
  "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/*.log \
  "$rootfs"/var/log/apt/* "$rootfs"/tmp/* "$rootfs"/var/tmp/* \
  "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*
# Packages such as OpenJDK register man pages with update-alternatives and
# fail when the directory is missing.
mkdir -p "$rootfs/usr/share/man/man1"
if [ -n "$ca_dir" ] && [ -d "$ca_dir" ]; then
  mkdir -p "$rootfs/usr/local/share/ca-certificates"
  find "$ca_dir" -maxdepth 1 -name '*.crt' -type f -exec cp {} "$rootfs/usr/local/share/ca-certificates/" \;
fi
find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} + 2>/dev/null || true
: > "$rootfs/etc/resolv.conf"
: > "$rootfs/etc/hostname"
if [ -f "$rootfs/etc/machine-id" ]; then : > "$rootfs/etc/machine-id"; fi

tar --numeric-owner -C "$rootfs" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["bash"]' \
  --change "LABEL org.appstack.recipe-hash=$recipe_hash" \
  --change "LABEL org.appstack.debian-suite=$suite" \
  - "$image"
