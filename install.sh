#!/bin/sh
# install.sh: installs deno-systemctl, a systemctl replacement for containers,
# on a running system or into an image root (docker build). Gets Deno first
# when it is missing. Run with --help for the options.
set -eu

DENO_VERSION=2.9.6
MARK=deno-systemctl

usage() {
  cat <<'EOF'
usage: install.sh [--prefix DIR] [--root DIR] [--force] [--compile|--bundle]

Installs <root><prefix>/bin/systemctl and <root><prefix>/bin/journalctl.
  --root DIR    install into the image root DIR (default: this machine)
  --prefix DIR  prefix inside the root (default /usr; /usr/local when neither
                --root nor --force is given and /usr/bin/systemctl is systemd's)
  --force       replace a real systemd systemctl/journalctl; skip the libc check
  --compile     deno compile a standalone binary; falls back to --bundle when
                the Deno runtime cannot be downloaded (default)
  --bundle      deno bundle plus a sh launcher; the Deno runtime is installed
                beside it in <prefix>/lib/deno-systemctl/
EOF
}

die() {
  echo "install.sh: $*" >&2
  exit 1
}

bad_usage() {
  echo "install.sh: $*" >&2
  usage >&2
  exit 2
}

root=
prefix=
force=0
mode=compile
while [ $# -gt 0 ]; do
  case $1 in
  --root | --prefix)
    [ $# -ge 2 ] || bad_usage "$1 needs a directory"
    if [ "$1" = --root ]; then root=$2; else prefix=$2; fi
    shift 2
    ;;
  --root=*) root=${1#*=} && shift ;;
  --prefix=*) prefix=${1#*=} && shift ;;
  --force) force=1 && shift ;;
  --compile) mode=compile && shift ;;
  --bundle) mode=bundle && shift ;;
  -h | --help) usage && exit 0 ;;
  *) bad_usage "unknown option $1" ;;
  esac
done

src=$(cd "$(dirname "$0")" && pwd)

# The root, absolute, without trailing slash ("" for this machine).
if [ -n "$root" ]; then
  [ -d "$root" ] || die "--root $root: no such directory"
  root=$(cd "$root" && pwd -P)
  [ "$root" = / ] && root=
fi
case ${prefix:-/} in /*) ;; *) bad_usage "--prefix must be absolute: $prefix" ;; esac
prefix=$(printf '%s' "$prefix" | sed 's|/*$||')

# why_foreign PATH-IN-ROOT: true (printing why) when the file exists and is not ours.
why_foreign() {
  f=$root$1
  [ -e "$f" ] || [ -L "$f" ] || return 1
  if [ -f "$f" ] && grep -qs "$MARK" "$f"; then return 1; fi
  pkg=
  if [ -d "$root/var/lib/dpkg" ] && command -v dpkg-query >/dev/null 2>&1; then
    for p in "$1" "/bin/${1##*/}"; do
      pkg=$(dpkg-query --admindir="$root/var/lib/dpkg" -S "$p" 2>/dev/null | sed 's/:.*//;q') || pkg=
      [ -n "$pkg" ] && break
    done
  fi
  if [ -n "$pkg" ]; then
    echo "it belongs to the package $pkg"
  elif [ "$(head -c 4 "$f" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ]; then
    echo "it is a binary that deno-systemctl did not install"
  else
    echo "it is a file that deno-systemctl did not install"
  fi
}

if [ -z "$prefix" ]; then
  prefix=/usr
  if [ -z "$root" ] && [ "$force" = 0 ] && why=$(why_foreign /usr/bin/systemctl); then
    prefix=/usr/local
    echo "note: /usr/bin/systemctl stays ($why); installing under /usr/local (--force replaces it)"
  fi
fi
bindir=$root$prefix/bin
libdir=$root$prefix/lib/deno-systemctl

if [ "$force" = 0 ]; then
  for name in systemctl journalctl; do
    if why=$(why_foreign "$prefix/bin/$name"); then
      die "refusing to replace $bindir/$name: $why (a real systemd?); use --force to replace it"
    fi
  done
fi

# Deno needs glibc >= 2.27; there is no musl build.
check_libc() {
  for f in "$root"/lib/*-linux-gnu/libc.so.6 "$root"/usr/lib/*-linux-gnu/libc.so.6 \
    "$root"/lib64/libc.so.6 "$root"/usr/lib64/libc.so.6; do
    [ -f "$f" ] || continue
    v=$(grep -ao 'release version [0-9]*\.[0-9]*' "$f" | sed 's/.* //;q') || v=
    [ -n "$v" ] || continue
    major=${v%%.*}
    minor=${v#*.}
    if [ "$major" -gt 2 ] || { [ "$major" -eq 2 ] && [ "$minor" -ge 27 ]; }; then return 0; fi
    die "${root:-this machine} has glibc $v; Deno needs glibc 2.27 or newer (--force to install anyway)"
  done
  for f in "$root"/lib/ld-musl-*; do
    [ -e "$f" ] && die "${root:-this machine} uses musl (Alpine?); Deno needs glibc 2.27 or newer (--force to install anyway)"
  done
  echo "warning: no C library found in ${root:-/}; the installed program needs glibc 2.27 or newer" >&2
}
[ "$force" = 1 ] || check_libc

# Writable target, checked before anything is fetched or created.
dir=$root$prefix
while [ ! -e "$dir" ]; do dir=$(dirname "$dir"); done
[ -d "$dir" ] || die "cannot install into $root$prefix: $dir is not a directory"
[ -w "$dir" ] || die "cannot install into $root$prefix: no write access to $dir"
mkdir -p "$root$prefix" 2>/dev/null || die "cannot install into $root$prefix: cannot create it"
stage=$(mktemp -d "$root$prefix/.deno-systemctl-install.XXXXXX" 2>/dev/null) ||
  die "cannot install into $root$prefix: no write access"
trap 'rm -rf "$stage"' EXIT
trap 'exit 1' INT TERM HUP

ensure_deno() {
  command -v deno >/dev/null 2>&1 && return 0
  if command -v npm >/dev/null 2>&1; then
    echo "deno not found: installing Deno $DENO_VERSION with npm"
    npm install -g --silent "deno@$DENO_VERSION" >&2 || die "npm install -g deno@$DENO_VERSION failed"
    PATH=$(npm prefix -g)/bin:$PATH
  elif command -v curl >/dev/null 2>&1 && curl -fsSI --max-time 15 https://deno.land/install.sh >/dev/null 2>&1; then
    command -v unzip >/dev/null 2>&1 || command -v 7z >/dev/null 2>&1 ||
      die "deno not found; installing it with curl needs unzip (apt-get install -y unzip)"
    dest=/usr/local
    [ -w "$dest" ] || dest=$HOME/.deno
    echo "deno not found: installing Deno $DENO_VERSION into $dest/bin with the official install script"
    curl -fsSL https://deno.land/install.sh | DENO_INSTALL=$dest sh -s -- -y "v$DENO_VERSION" >&2 ||
      die "the Deno install script failed"
    PATH=$dest/bin:$PATH
  else
    die "deno not found, and there is neither npm nor curl with internet access to install Deno $DENO_VERSION"
  fi
  command -v deno >/dev/null 2>&1 || die "deno not found after installing it"
}

# Deno cannot find itself without /proc (it panics), e.g. in a bare chroot.
[ -e /proc/self/exe ] || die "/proc is not mounted here; Deno needs it (mount -t proc proc /proc)"

# Build into the stage (or take a prebuilt dist/ when there are no sources).
build=$stage/build
if [ -f "$src/mod.ts" ]; then
  ensure_deno
  deno run --allow-all "$src/scripts/build.ts" "$mode" --with-runtime --out "$build" >/dev/null ||
    die "building the program failed"
elif [ -f "$src/dist/systemctl" ]; then
  cp -a "$src/dist" "$build"
  if [ -f "$build/systemctl.js" ] && [ ! -x "$build/deno" ]; then
    ensure_deno
    cp "$(deno eval 'console.log(Deno.execPath())')" "$build/deno"
  fi
else
  die "neither sources ($src/mod.ts) nor a build ($src/dist/systemctl) found"
fi

# Lay out the stage as the target: bin/ and, for a bundle, lib/deno-systemctl/.
mkdir -p "$stage/bin"
mv "$build/systemctl" "$build/journalctl" "$stage/bin/"
if [ -f "$build/systemctl.js" ]; then
  kind=bundle
  mkdir -p "$stage/lib"
  mv "$build" "$stage/lib/deno-systemctl"
else
  kind=compiled
fi

# same_dir NEW OLD: true when OLD holds exactly the files of NEW, with the same contents.
same_dir() {
  [ -d "$2" ] || return 1
  [ "$(ls -A "$1")" = "$(ls -A "$2")" ] || return 1
  for f in "$1"/*; do cmp -s "$f" "$2/${f##*/}" || return 1; done
}

# Commit: one rename per part, unchanged files left alone.
mkdir -p "$bindir" || die "cannot create $bindir"
if [ "$kind" = bundle ]; then
  mkdir -p "$(dirname "$libdir")" || die "cannot create $(dirname "$libdir")"
  modules=$(($(find "$stage/lib/deno-systemctl" -type f | wc -l) - 2))
  if same_dir "$stage/lib/deno-systemctl" "$libdir"; then
    echo "unchanged $libdir/systemctl.js (+$modules modules)"
    echo "unchanged $libdir/deno"
  else
    if [ -e "$libdir" ]; then mv "$libdir" "$stage/old-lib"; fi
    mv "$stage/lib/deno-systemctl" "$libdir"
    echo "installed $libdir/systemctl.js (+$modules modules)"
    echo "installed $libdir/deno (Deno $("$libdir/deno" --version | sed 's/^deno //;s/ .*//;q'))"
  fi
elif [ -f "$libdir/systemctl.js" ]; then
  mv "$libdir" "$stage/old-lib"
  echo "removed $libdir (left from a bundle install)"
fi
for name in systemctl journalctl; do
  if cmp -s "$stage/bin/$name" "$bindir/$name"; then
    echo "unchanged $bindir/$name"
  else
    mv -f "$stage/bin/$name" "$bindir/$name"
    echo "installed $bindir/$name"
  fi
done
echo "deno-systemctl ($kind) is $bindir/systemctl"
