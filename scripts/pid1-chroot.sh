#!/bin/sh
# Boots deno-systemctl as PID 1 of a chroot by hand, without Docker: the README's recipe
# ("PID 1 without Docker"); tests/e2e/pid1_chroot_test.ts runs exactly this script.
#
#   pid1-chroot.sh install ROOT PACKAGE...  apt-get install in ROOT; no service starts meanwhile
#   pid1-chroot.sh boot ROOT [ARG...]       our program as PID 1 of new PID, mount and network
#                                           namespaces, chrooted into ROOT (in the foreground)
#   pid1-chroot.sh enter ROOT COMMAND...    runs COMMAND in that PID 1's namespaces and root
#
# ROOT is a Debian-like root file system (debootstrap, or `docker export` of an image) with our
# program installed as ROOT/usr/bin/systemctl (`./install.sh --root ROOT`). Needs root, and
# unshare, nsenter (util-linux) and ip (iproute2) on the host. Every mount is made in a private
# mount namespace: nothing stays mounted on the host when the command or the boot ends.
set -eu

usage() {
  sed -n '5,8s/^# \{0,1\}//p' "$0" >&2
  exit 2
}

# /dev as a container runtime lays it out: a tmpfs with bind mounts of the few device nodes
# services use, not the host's whole /dev.
mount_dev() {
  mount -t tmpfs -o mode=755,nosuid tmpfs "$1/dev"
  for n in null zero full random urandom tty; do
    touch "$1/dev/$n"
    mount --bind "/dev/$n" "$1/dev/$n"
  done
  mkdir -p "$1/dev/shm" "$1/dev/pts"
  mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$1/dev/shm"
  ln -s /proc/self/fd "$1/dev/fd"
  ln -s /proc/self/fd/0 "$1/dev/stdin"
  ln -s /proc/self/fd/1 "$1/dev/stdout"
  ln -s /proc/self/fd/2 "$1/dev/stderr"
}

[ $# -ge 2 ] || usage
cmd=$1
root=$(cd "$2" && pwd -P)
shift 2

case $cmd in
install)
  [ $# -ge 1 ] || usage
  # Debian's maintainer scripts ask /usr/sbin/policy-rc.d before they start a service
  # (invoke-rc.d, deb-systemd-invoke); 101 means "not now". Without it a package would start
  # its service in the chroot, that is on the host, once ROOT has /run/systemd/system.
  policy="$root/usr/sbin/policy-rc.d"
  ours=no
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# pid1-chroot.sh: no service starts while packages are installed\nexit 101\n' \
      >"$policy"
    chmod 755 "$policy"
    ours=yes
  fi
  status=0
  unshare --mount --propagation private sh "$0" in-install "$root" "$@" || status=$?
  if [ "$ours" = yes ]; then rm -f "$policy"; fi
  exit "$status"
  ;;
in-install)
  # apt and the maintainer scripts want /proc and /dev (inside the private mount namespace).
  mount -t proc proc "$root/proc"
  mount_dev "$root"
  exec chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "$@"
  ;;
boot)
  # --mount-proc: a /proc of the new PID namespace at ROOT/proc, mounted by unshare.
  # Stop it with SIGTERM or SIGINT (Ctrl-C) to the boot, or with
  # `pid1-chroot.sh enter ROOT systemctl poweroff`.
  exec unshare --pid --fork --mount --net --propagation private --mount-proc="$root/proc" \
    sh "$0" in-boot "$root" "$@"
  ;;
in-boot)
  # In the new namespaces: /dev, a fresh /run (no state from outside), a read-only /sys, the
  # loopback interface of the new network namespace up; then our program becomes PID 1.
  mount_dev "$root"
  mount -t tmpfs -o mode=755,nosuid,nodev tmpfs "$root/run"
  mount --bind /sys "$root/sys"
  mount -o remount,bind,ro "$root/sys"
  ip link set lo up
  exec chroot "$root" /usr/bin/env -i container=pid1-chroot LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    /usr/bin/systemctl "$@"
  ;;
enter)
  [ $# -ge 1 ] || usage
  # PID 1 of the namespace: a process chrooted into ROOT whose PID in its own namespace is 1.
  pid=
  for d in /proc/[0-9]*; do
    [ "$(readlink "$d/root" 2>/dev/null)" = "$root" ] || continue
    if [ "$(sed -n 's/^NSpid:.*[[:space:]]//p' "$d/status" 2>/dev/null)" = 1 ]; then
      pid=${d#/proc/}
      break
    fi
  done
  if [ -z "$pid" ]; then
    echo "pid1-chroot.sh: no PID 1 runs in $root" >&2
    exit 1
  fi
  exec nsenter --target "$pid" --mount --pid --net --root --wd -- "$@"
  ;;
*)
  usage
  ;;
esac
