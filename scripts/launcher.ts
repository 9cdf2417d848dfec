/**
 * The POSIX sh launchers of the installable artifact. They need nothing but
 * /bin/sh (readlink only when the launcher itself is a symlink) and find
 * their parts relative to their own location, so one launcher works in
 * `dist/`, installed under `/usr/bin`, inside an image (chroot) and from the
 * host as `<root>/usr/bin/systemctl`.
 *
 * With a C runtime beside the program (`crt/`: the dynamic loader and the
 * libraries the Deno runtime links against, copied from the machine that
 * built the artifact), the launcher starts the runtime through that loader
 * (`<crt>/ld-linux-….so.2 --library-path <crt> <runtime> …`), so the image's
 * own C library (musl, an old glibc, none) does not matter. Nothing goes
 * into the environment: services and the commands the exec helper starts run
 * on the image's own loader and libraries.
 * @module
 */

import { PERMISSION_FLAGS, RUN_FLAGS } from "./flags.ts";

/** A line every launcher carries; install.sh uses it to recognise its own files. */
export const LAUNCHER_MARK = "# deno-systemctl launcher";

/** The file name of the compiled program beside the launchers (`deno compile` output). */
export const COMPILED_NAME = "deno-systemctl";

/** The folder of the C runtime, beside the Deno runtime. */
export const CRT_DIR = "crt";

/**
 * The environment variable the launchers set when the caller's working
 * directory was gone and they started the program from `/` instead: relative
 * paths on the command line then cannot be resolved. A `SYSTEMCTL_` name, so
 * services never inherit it (spec: the caller's environment does not reach
 * services; `SYSTEMCTL_INHERIT_ENVIRONMENT` drops `SYSTEMCTL_*`).
 */
export const LOST_CWD_ENV = "SYSTEMCTL_LOST_CWD";

/** Quotes a word for sh. */
export function shQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

// Resolves the directory of the launcher itself (absolute, so that it survives the `cd /`
// below); a fork for readlink only when the launcher was reached through a symlink. Deno
// cannot start in a working directory that is gone (`Failed getting cwd`), so then the
// program starts from / and is told so. The fork for `pwd -P` happens only when $PWD does
// not name a directory (gone, or behind a directory the caller may not search).
const HERE = `self=$0
if [ -L "$self" ]; then self=$(readlink -f -- "$self") || self=$0; fi
case $self in */*) here=\${self%/*} ;; *) here=. ;; esac
case $here in /*) ;; .) here=$PWD ;; *) here=$PWD/\${here#./} ;; esac
if { [ -z "$PWD" ] || [ ! -d "$PWD" ]; } && [ -z "$(pwd -P 2>/dev/null)" ]; then
  cd / || exit 1
  ${LOST_CWD_ENV}=1
  export ${LOST_CWD_ENV}
else
  unset ${LOST_CWD_ENV}
fi`;

/** The C runtime a launcher starts the program through. */
export interface CRuntime {
  /** The dynamic loader's file name in `crt/`, e.g. `ld-linux-x86-64.so.2`. */
  readonly loader: string;
  /** The libraries in `crt/` (sonames), each checked before the start. */
  readonly libraries: readonly string[];
}

/** Options of the launcher generators. */
export interface LauncherOptions {
  /** Arguments put before the caller's, e.g. `--journalctl`. */
  readonly prefixArgs?: readonly string[];
  /** Deno binary tried when none sits beside the bundle (the one that built it). */
  readonly fallbackDeno?: string;
  /** The C runtime beside the program; without it the system's loader runs it. */
  readonly crt?: CRuntime;
}

/**
 * Lines that check every file of the C runtime and set `run` to the loader
 * invocation (empty without one). A missing file is named in one line
 * (exit 127, as a shell says for a missing command) instead of a loader crash
 * or, worse, the image's own library of the same name loaded in its place.
 */
function crtLines(crt: CRuntime | undefined): string {
  if (!crt) return "";
  const files = [crt.loader, ...crt.libraries].map(shQuote).join(" ");
  return `crt=$lib/${CRT_DIR}
for f in ${files}; do
  if [ ! -f "$crt/$f" ]; then
    echo "\${0##*/}: $crt/$f is missing; reinstall deno-systemctl (install.sh)" >&2
    exit 127
  fi
done
`;
}

/** The words that start the runtime: through the bundled loader, or directly. */
function startWords(program: string, crt: CRuntime | undefined): string {
  return crt ? `"$crt/${crt.loader}" --inhibit-cache --library-path "$crt" ${program}` : program;
}

/**
 * A launcher that runs `systemctl.js` with the Deno runtime installed beside
 * it (`../lib/deno-systemctl/` when installed, the launcher's own directory
 * in `dist/`), else the Deno that built it, else `deno` from PATH.
 */
export function bundleLauncher(options: LauncherOptions = {}): string {
  const flags = [...PERMISSION_FLAGS, ...RUN_FLAGS].join(" ");
  const pre = (options.prefixArgs ?? []).map(shQuote).join(" ");
  const fallback = options.fallbackDeno && !options.crt
    ? `[ -x "$deno" ] || deno=${shQuote(options.fallbackDeno)}\n`
    : "";
  const pathFallback = options.crt ? "" : `[ -x "$deno" ] || deno=deno\n`;
  const what = options.crt ? "the Deno runtime and the C runtime beside it" : "the Deno runtime";
  return `#!/bin/sh
${LAUNCHER_MARK}: runs systemctl.js with ${what}.
# Generated by scripts/build.ts; the permission list is explained in the README.
${HERE}
lib=\${here%/*}/lib/deno-systemctl
[ -f "$lib/systemctl.js" ] || lib=$here
deno=$lib/deno
${fallback}${pathFallback}${crtLines(options.crt)}DENO_NO_UPDATE_CHECK=1
export DENO_NO_UPDATE_CHECK
# SIGUSR1 would open the runtime's inspector: ignored from the exec on (the program then
# keeps it ignored for good; every child starts with default signal handling).
trap '' USR1
# As PID 1 (or the init verb) the runtime may collect garbage on request and keeps a
# small young generation: an idle init gives its boot-time memory back. The init does
# that itself once a burst of work is over (a last-resort collection), so V8's memory
# reducer, which would repeat it on its own timers some 25 s after boot, is off.
# Any other verb is mostly short-lived: a young generation that starts at 4 MB holds what a
# one-unit query allocates, so no scavenge runs (two cost ~10 ms of an is-active's CPU on a
# busy machine); a long follower (log -f) keeps at most two such semi-spaces.
v8=--v8-flags=--min-semi-space-size=4
case $$,$1 in 1,* | *,init) v8=--v8-flags=--expose-gc,--max-semi-space-size=1,--no-memory-reducer ;; esac
exec ${startWords('"$deno"', options.crt)} run ${flags} $v8 "$lib/systemctl.js" ${
    pre ? pre + " " : ""
  }"$@"
`;
}

/**
 * A launcher that runs the compiled program (`deno-systemctl`, installed in
 * `../lib/deno-systemctl/`, or beside the launcher in `dist/`) with extra
 * leading arguments.
 */
export function compiledLauncher(options: LauncherOptions = {}): string {
  const pre = (options.prefixArgs ?? []).map(shQuote).join(" ");
  return `#!/bin/sh
${LAUNCHER_MARK}: runs the compiled ${COMPILED_NAME}${
    options.crt ? " with the C runtime beside it" : ""
  }.
${HERE}
lib=\${here%/*}/lib/deno-systemctl
[ -f "$lib/${COMPILED_NAME}" ] || lib=$here
${crtLines(options.crt)}trap '' USR1
exec ${startWords(`"$lib/${COMPILED_NAME}"`, options.crt)} ${pre ? pre + " " : ""}"$@"
`;
}
