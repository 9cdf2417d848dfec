#!/bin/sh
# install.sh: installs deno-systemctl, a systemctl replacement for containers,
# on a running system or into an image root (docker build), and uninstalls it.
# Gets Deno first when it is missing. Run with --help for the options.
set -eu

DENO_VERSION=2.9.6
MARK=deno-systemctl
MANIFEST=install-manifest

usage() {
  cat <<'EOF'
usage: install.sh [--root DIR] [--prefix DIR] [--force] [--compile|--bundle] [--system-libc]
       install.sh --uninstall [--root DIR] [--prefix DIR]

Installs <root><prefix>/bin/systemctl and <root><prefix>/bin/journalctl, with the
Deno runtime and its C runtime in <root><prefix>/lib/deno-systemctl/.
  --root DIR     install into the image root DIR, created when missing
                 (default: this machine)
  --prefix DIR   prefix inside the root (default /usr)
  --force        replace a systemctl/journalctl that is not ours (a real
                 systemd's); --uninstall puts it back
  --compile      deno compile a standalone binary; falls back to --bundle when
                 the Deno runtime cannot be downloaded (default)
  --bundle       deno bundle plus the Deno runtime, run by sh launchers
  --system-libc  leave out the C runtime (dynamic loader, libc, ...) copied
                 from this machine: the image's glibc 2.27+ runs Deno instead
  --uninstall    remove what install.sh installed there, as its manifest lists it
On a machine whose /usr/bin/systemctl is systemd's, it refuses to install
without --root, --prefix or --force: ours would shadow systemd's.
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
root_given=0
prefix=
force=0
mode=compile
system_libc=0
uninstall=0
while [ $# -gt 0 ]; do
  case $1 in
  --root | --prefix)
    [ $# -ge 2 ] || bad_usage "$1 needs a directory"
    if [ "$1" = --root ]; then root=$2 root_given=1; else prefix=$2; fi
    shift 2
    ;;
  --root=*) root=${1#*=} root_given=1 && shift ;;
  --prefix=*) prefix=${1#*=} && shift ;;
  --force) force=1 && shift ;;
  --compile) mode=compile && shift ;;
  --bundle) mode=bundle && shift ;;
  --system-libc) system_libc=1 && shift ;;
  --uninstall) uninstall=1 && shift ;;
  -h | --help) usage && exit 0 ;;
  *) bad_usage "unknown option $1" ;;
  esac
done
[ "$root_given" = 0 ] || [ -n "$root" ] || bad_usage "--root needs a directory"
case ${prefix:-/} in /*) ;; *) bad_usage "--prefix must be absolute: $prefix" ;; esac
prefix=$(printf '%s' "$prefix" | sed 's|/*$||')

# The working directory may be gone (a removed build directory): nothing here needs it
# once the paths are absolute.
if [ -z "$(pwd -P 2>/dev/null)" ]; then
  case $0 in /*) ;; *) die "the working directory is gone: run $0 by its absolute path" ;; esac
  case $root in /* | '') ;; *) die "the working directory is gone: give --root as an absolute path" ;; esac
  cd /
fi
src=$(cd "$(dirname "$0")" && pwd)

# Directories this run created (one per line), removed again when it fails.
created=
committed=0
stage=
cleanup() {
  [ -z "$stage" ] || rm -rf "$stage"
  [ "$committed" = 1 ] && return 0
  printf '%s' "$created" | sed -n '1!G;h;$p' | while IFS= read -r d; do
    if [ -n "$d" ]; then rmdir "$d" 2>/dev/null || :; fi
  done
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# make_dir DIR: mkdir -p, remembering each directory it creates.
make_dir() {
  [ -d "$1" ] && return 0
  [ ! -e "$1" ] || return 1
  make_dir "$(dirname "$1")" || return 1
  mkdir "$1" 2>/dev/null || return 1
  created="$created$1
"
}

# existing_ancestor PATH: PATH or its nearest ancestor that exists.
existing_ancestor() {
  d=$1
  while [ ! -e "$d" ] && [ ! -L "$d" ]; do d=$(dirname "$d"); done
  echo "$d"
}

# inside_root DIR: true when DIR (or its nearest existing ancestor) resolves inside the root:
# an image's symlinks (/usr -> /, say) must not lead install.sh to the host's files.
inside_root() {
  [ -n "$root" ] || return 0
  real=$(cd "$(existing_ancestor "$1")" 2>/dev/null && pwd -P) || return 1
  case $real in "$root" | "$root"/*) return 0 ;; esac
  return 1
}

# check_writable WHAT DIR: dies in one line unless a directory can be created in DIR.
check_writable() {
  [ -d "$2" ] || die "cannot install into $1: $2 is not a directory"
  probe=$2/.deno-systemctl-probe.$$
  if err=$(mkdir "$probe" 2>&1); then
    rmdir "$probe"
    return 0
  fi
  case $err in
  *"Read-only file system"*) die "cannot install into $1: $2 is on a read-only file system; nothing was installed" ;;
  *) die "cannot install into $1: no write access to $2" ;;
  esac
}

# The root, absolute, without trailing slash ("" for this machine); created when missing.
# One without /etc is an output directory (docker build's /out), not an image to check.
root_is_output=0
if [ -n "$root" ]; then
  if [ ! -e "$root" ] && [ "$uninstall" = 0 ]; then
    check_writable "$root" "$(existing_ancestor "$root")"
    make_dir "$root" || die "--root $root: cannot create it"
  fi
  [ -d "$root" ] || die "--root $root: no such directory"
  [ -e "$root/etc" ] || [ -L "$root/etc" ] || root_is_output=1
  root=$(cd "$root" && pwd -P)
  [ "$root" = / ] && root=
fi

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

# ---------------------------------------------------------------- uninstall

# checksum FILE: its POSIX cksum and size, to tell an installed file from a changed one.
checksum() { cksum <"$1" | awk '{ print $1 " " $2 }'; }

# manifest_of PREFIX: the manifest path of an install under PREFIX in the root.
manifest_of() { echo "$root$1/lib/deno-systemctl/$MANIFEST"; }

# manifest_path KIND PATH: true when an install's manifest may list PATH as KIND (file, saved,
# dir): no . or .. components, one of the files install.sh writes, inside the root.
manifest_path() {
  case $2/ in /*) ;; *) return 1 ;; esac
  case $2/ in */../* | */./* | *//*) return 1 ;; esac
  case $1,$2 in
  file,"$prefix/bin/systemctl" | file,"$prefix/bin/journalctl") ;;
  saved,"$prefix/bin/systemctl" | saved,"$prefix/bin/journalctl") ;;
  file,"$prefix/lib/deno-systemctl/"?*) ;;
  dir,/?*) ;;
  *) return 1 ;;
  esac
  inside_root "$(dirname "$root$2")"
}

uninstall() {
  if [ -z "$prefix" ]; then
    found=
    for p in /usr /usr/local; do
      [ -f "$(manifest_of "$p")" ] && found="$found $p"
    done
    case $found in
    '') die "no deno-systemctl install found in ${root:-}/usr or ${root:-}/usr/local (no $MANIFEST); name its --prefix" ;;
    *' '*' '*) die "two deno-systemctl installs found (${root}/usr and ${root}/usr/local): name one with --prefix" ;;
    esac
    prefix=${found# }
  fi
  manifest=$(manifest_of "$prefix")
  lib=$root$prefix/lib/deno-systemctl
  [ -f "$manifest" ] || die "no deno-systemctl install in ${root}$prefix: $manifest is missing"
  inside_root "$lib" || die "$lib leads outside $root: not uninstalling"
  # The manifest lies in the root, which may be an image from anywhere: it may name only what
  # install.sh writes, inside the root.
  while IFS= read -r line; do
    case $line in
    'file '*) kind=file path=/${line#* * * /} ;;
    'saved '* | 'dir '*) kind=${line%% *} path=${line#* } ;;
    *) continue ;;
    esac
    if ! manifest_path "$kind" "$path"; then
      die "$manifest names $path, which install.sh never installs there: not uninstalling (a changed manifest?)"
    fi
  done <"$manifest"
  dirs=$(grep '^dir /' "$manifest" | sed 's/^dir //') || dirs=
  libfiles=0
  kept=0
  while IFS= read -r line; do
    case $line in
    'file '*)
      rest=${line#file }
      sum=${rest%% /*}
      path=/${rest#* /}
      f=$root$path
      if [ ! -e "$f" ] && [ ! -L "$f" ]; then
        echo "already gone: $f"
      elif [ "$(checksum "$f")" != "$sum" ]; then
        echo "kept $f: changed since it was installed"
        kept=$((kept + 1))
      else
        rm -f "$f"
        case $f in
        "$lib"/*) libfiles=$((libfiles + 1)) ;;
        *) echo "removed $f" ;;
        esac
      fi
      ;;
    esac
  done <"$manifest"
  [ "$libfiles" = 0 ] || echo "removed $lib ($libfiles files: the Deno runtime, the program and its C runtime)"
  grep '^saved /' "$manifest" | while IFS= read -r line; do
    path=${line#saved }
    f=$root$path
    saved=$lib/replaced/${path##*/}
    if ! inside_root "$lib/replaced"; then
      echo "cannot restore $f: $lib/replaced leads outside the root"
    elif [ ! -e "$saved" ] && [ ! -L "$saved" ]; then
      echo "cannot restore $f: its saved copy $saved is gone"
    elif [ -e "$f" ] || [ -L "$f" ]; then
      echo "kept the original $f saved in $saved: $f exists again"
    else
      mv "$saved" "$f"
      echo "restored $f (the file --force replaced at install)"
    fi
  done
  rm -f "$manifest"
  # Directories: deepest first; each only when empty.
  printf '%s\n' "$dirs" | sed -n '1!G;h;$p' | while IFS= read -r path; do
    [ -n "$path" ] || continue
    d=$root$path
    [ -d "$d" ] || continue
    if rmdir "$d" 2>/dev/null; then
      case $d in
      "$lib" | "$lib"/*) ;;
      *) echo "removed the empty directory $d (created at install)" ;;
      esac
    fi
  done
  if [ -d "$lib" ]; then
    echo "kept $lib: it holds files deno-systemctl did not install, or changed ones"
  fi
  if [ "$kept" = 0 ]; then
    echo "deno-systemctl is uninstalled from ${root}$prefix"
  else
    echo "deno-systemctl is uninstalled from ${root}$prefix, but for $kept changed file(s)"
  fi
}

if [ "$uninstall" = 1 ]; then
  if [ "$force" = 1 ] || [ "$system_libc" = 1 ]; then
    bad_usage "--uninstall takes only --root and --prefix"
  fi
  uninstall
  committed=1
  exit 0
fi

# ---------------------------------------------------------------- install

if [ -z "$prefix" ]; then
  prefix=/usr
  if [ -z "$root" ] && [ "$force" = 0 ] && why=$(why_foreign /usr/bin/systemctl); then
    die "/usr/bin/systemctl is not ours ($why, a real systemd?): installing here would shadow it; use --root DIR to install into an image root, --prefix DIR to install beside it (DIR/bin/systemctl), or --force to replace it (--uninstall puts it back)"
  fi
fi
bindir=$root$prefix/bin
libdir=$root$prefix/lib/deno-systemctl

if [ "$force" = 0 ]; then
  for name in systemctl journalctl; do
    if why=$(why_foreign "$prefix/bin/$name"); then
      die "refusing to replace $bindir/$name: $why (a real systemd?); use --force to replace it (--uninstall puts it back)"
    fi
  done
fi
if [ -z "$root" ] && [ "$prefix" != /usr ] && why_foreign /usr/bin/systemctl >/dev/null; then
  case :${PATH:-}: in
  *:"$prefix/bin":*) echo "note: $bindir/systemctl shadows /usr/bin/systemctl where $prefix/bin comes first in PATH; install.sh --uninstall --prefix $prefix removes it" ;;
  esac
fi

# elf_machine FILE: the architecture of an ELF file, or nothing when FILE is not one.
elf_machine() {
  [ "$(head -c 4 "$1" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ] || return 0
  # e_machine, 16 bits at offset 18 (little-endian on every architecture Deno ships for).
  m=$(od -An -tu2 -j18 -N2 "$1" | tr -d ' ')
  case $m in
  62) echo x86_64 ;;
  183) echo aarch64 ;;
  40) echo arm ;;
  3) echo i386 ;;
  243) echo riscv64 ;;
  21) echo ppc64 ;;
  *) echo "ELF machine $m" ;;
  esac
}

# in_root PATH: PATH inside the root with its last symlinks followed inside the root.
in_root() {
  f=$root$1
  n=0
  while [ -L "$f" ] && [ "$n" -lt 16 ]; do
    t=$(readlink "$f")
    case $t in /*) f=$root$t ;; *) f=$(dirname "$f")/$t ;; esac
    n=$((n + 1))
  done
  echo "$f"
}

# The image: the launchers need /bin/sh, the runtime the architecture of this machine.
if [ -n "$root" ] && [ "$root_is_output" = 1 ]; then
  echo "note: $root is no image (it has no /etc): the image it is copied into needs /bin/sh and this machine's architecture ($(elf_machine "$(readlink -f /bin/sh)"))"
elif [ -n "$root" ]; then
  sh_file=$(in_root /bin/sh)
  [ -e "$sh_file" ] ||
    die "$root has no /bin/sh, which the systemctl and journalctl launchers need (a distroless/static or scratch image?); a binary made by deno compile needs none, where deno compile can fetch its runtime"
  theirs=$(elf_machine "$sh_file")
  ours=$(elf_machine "$(readlink -f /bin/sh)")
  if [ -n "$theirs" ] && [ -n "$ours" ] && [ "$theirs" != "$ours" ]; then
    die "$root is an $theirs image (its /bin/sh), but this machine and its Deno runtime are $ours: install from an $theirs machine; nothing was installed"
  fi
fi

# With --system-libc the image's glibc runs Deno: it needs 2.27 or newer (there is no musl build).
check_libc() {
  for f in "$root"/lib/*-linux-gnu/libc.so.6 "$root"/usr/lib/*-linux-gnu/libc.so.6 \
    "$root"/lib64/libc.so.6 "$root"/usr/lib64/libc.so.6; do
    [ -f "$f" ] || continue
    v=$(grep -ao 'release version [0-9]*\.[0-9]*' "$f" | sed 's/.* //;q') || v=
    [ -n "$v" ] || continue
    major=${v%%.*}
    minor=${v#*.}
    if [ "$major" -gt 2 ] || { [ "$major" -eq 2 ] && [ "$minor" -ge 27 ]; }; then return 0; fi
    die "${root:-this machine} has glibc $v; with --system-libc Deno needs glibc 2.27 or newer (leave --system-libc out: the C runtime then comes along)"
  done
  for f in "$root"/lib/ld-musl-*; do
    [ -e "$f" ] && die "${root:-this machine} uses musl (Alpine?); with --system-libc Deno needs glibc 2.27 or newer (leave --system-libc out: the C runtime then comes along)"
  done
  echo "warning: no C library found in ${root:-/}; with --system-libc the installed program needs glibc 2.27 or newer" >&2
}
[ "$system_libc" = 0 ] || [ "$force" = 1 ] || [ "$root_is_output" = 1 ] || check_libc

# Writable target, checked before anything is fetched or created.
target=$root$prefix
for d in "$target" "$bindir" "$(dirname "$libdir")" "$libdir"; do
  inside_root "$d" || die "cannot install into $target: $(existing_ancestor "$d") leads outside $root (a symlink?); nothing was installed"
done
check_writable "$target" "$(existing_ancestor "$target")"
for d in "$bindir" "$(dirname "$libdir")" "$libdir"; do
  [ ! -d "$d" ] || check_writable "$target" "$d"
done
make_dir "$target" || die "cannot install into $target: cannot create it"
stage=$(mktemp -d "$target/.deno-systemctl-install.XXXXXX" 2>/dev/null) ||
  die "cannot install into $target: no write access"

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
  libc_flag=
  [ "$system_libc" = 0 ] || libc_flag=--system-libc
  # shellcheck disable=SC2086 # libc_flag is one word or none
  (cd "$src" && deno run --allow-all "$src/scripts/build.ts" "$mode" --with-runtime $libc_flag \
    --out "$build" >/dev/null) || die "building the program failed"
elif [ -f "$src/dist/systemctl" ]; then
  cp -a "$src/dist" "$build"
  if [ -f "$build/systemctl.js" ] && [ ! -x "$build/deno" ]; then
    ensure_deno
    cp "$(deno eval 'console.log(Deno.execPath())')" "$build/deno"
  fi
else
  die "neither sources ($src/mod.ts) nor a build ($src/dist/systemctl) found"
fi

# Lay out the stage as the target: bin/ (the launchers) and lib/deno-systemctl/ (the rest).
mkdir -p "$stage/bin" "$stage/lib"
mv "$build/systemctl" "$build/journalctl" "$stage/bin/"
if [ -f "$build/systemctl.js" ]; then kind=bundle; else kind=compiled; fi
mv "$build" "$stage/lib/deno-systemctl"

# same_tree NEW OLD: true when OLD holds exactly the files of NEW (its manifest and the
# files --force replaced aside), with the same contents.
same_tree() {
  [ -d "$2" ] || return 1
  a=$(cd "$1" && find . -type f | sort) || return 1
  b=$(cd "$2" && find . -type f ! -name "$MANIFEST" ! -path './replaced/*' | sort) || return 1
  [ "$a" = "$b" ] || return 1
  printf '%s\n' "$a" | while IFS= read -r f; do cmp -s "$1/$f" "$2/$f" || exit 1; done
}

# describe_lib: one line per part of the lib folder.
describe_lib() {
  if [ "$kind" = bundle ]; then
    modules=$(find "$libdir" -maxdepth 1 -type f -name '*.js' | wc -l)
    echo "$1 $libdir/systemctl.js (+$((modules - 1)) modules)"
    if [ -d "$libdir/crt" ]; then
      loader=$(find "$libdir/crt" -name 'ld-*' | head -1)
      v=$("$loader" --library-path "$libdir/crt" "$libdir/deno" --version 2>/dev/null | sed 's/^deno //;s/ .*//;q') || v=
    else
      v=$("$libdir/deno" --version 2>/dev/null | sed 's/^deno //;s/ .*//;q') || v=
    fi
    echo "$1 $libdir/deno (Deno ${v:-?})"
  else
    echo "$1 $libdir/deno-systemctl (deno compile)"
  fi
  if [ -d "$libdir/crt" ]; then
    n=$(find "$libdir/crt" -type f | wc -l)
    v=$(grep -ao 'release version [0-9]*\.[0-9]*' "$libdir/crt/libc.so.6" 2>/dev/null | sed 's/.* //;q') || v=
    echo "$1 $libdir/crt/ (the C runtime Deno runs on: glibc ${v:-?}, $n files)"
  fi
}

# The manifest of an earlier install here: its directories and saved files stay recorded.
old_records=$(grep -E '^(dir|saved) /' "$libdir/$MANIFEST" 2>/dev/null) || old_records=

# Commit: one rename per part, unchanged parts left alone.
make_dir "$bindir" || die "cannot create $bindir"
make_dir "$(dirname "$libdir")" || die "cannot create $(dirname "$libdir")"
if same_tree "$stage/lib/deno-systemctl" "$libdir"; then
  describe_lib unchanged
else
  if [ -d "$libdir/replaced" ]; then mv "$libdir/replaced" "$stage/lib/deno-systemctl/replaced"; fi
  if [ -e "$libdir" ]; then mv "$libdir" "$stage/old-lib"; fi
  mv "$stage/lib/deno-systemctl" "$libdir"
  describe_lib installed
fi
if [ -d "$stage/old-lib" ] && [ "$kind" = compiled ] && [ -f "$stage/old-lib/systemctl.js" ]; then
  echo "removed the bundle that was installed in $libdir"
fi
saved=
for name in systemctl journalctl; do
  if cmp -s "$stage/bin/$name" "$bindir/$name"; then
    echo "unchanged $bindir/$name"
    continue
  fi
  note=
  if why_foreign "$prefix/bin/$name" >/dev/null; then
    # Only with --force: kept, so that --uninstall can put it back.
    if [ ! -e "$libdir/replaced/$name" ] && [ ! -L "$libdir/replaced/$name" ]; then
      mkdir -p "$libdir/replaced"
      cp -a "$bindir/$name" "$libdir/replaced/$name"
    fi
    saved="${saved}saved $prefix/bin/$name
"
    note=" (the one it replaced is kept in $libdir/replaced/; --uninstall puts it back)"
  fi
  mv -f "$stage/bin/$name" "$bindir/$name"
  echo "installed $bindir/$name$note"
done

# The manifest: every file installed, with its checksum; the directories this install
# created (the first one's, kept across re-installs); the files --force replaced.
{
  echo "# deno-systemctl install manifest; paths are inside the root. install.sh --uninstall"
  echo "# removes these files (when unchanged) and directories (when empty) and puts back the"
  echo "# files --force replaced (kept in replaced/)."
  echo "prefix $prefix"
  { echo "$bindir/systemctl"; echo "$bindir/journalctl"; find "$libdir" -type f ! -name "$MANIFEST" ! -path "$libdir/replaced/*" | sort; } |
    while IFS= read -r f; do
      echo "file $(checksum "$f") ${f#"$root"}"
    done
  printf '%s' "$old_records" | grep '^dir /' || :
  printf '%s' "$created" | while IFS= read -r d; do
    case $d in "$root"/*) echo "dir ${d#"$root"}" ;; esac
  done
  echo "dir ${libdir#"$root"}"
  [ ! -d "$libdir/crt" ] || echo "dir ${libdir#"$root"}/crt"
  [ ! -d "$libdir/replaced" ] || echo "dir ${libdir#"$root"}/replaced"
  { printf '%s' "$old_records" | grep '^saved /' || :; printf '%s' "$saved"; } | sort -u
} | awk '!seen[$0]++' >"$stage/$MANIFEST"
mv "$stage/$MANIFEST" "$libdir/$MANIFEST"
committed=1
hint=${root:+ --root $root}
[ "$prefix" = /usr ] || hint="$hint --prefix $prefix"
echo "deno-systemctl ($kind) is $bindir/systemctl (install.sh --uninstall$hint removes it)"
