/**
 * Signal names and numbers for Linux x86-64 (glibc: SIGRTMIN = 34, SIGRTMAX = 64),
 * parsed and printed like systemd's `signal_from_string` / `signal_to_string`.
 * @module
 */

/** The named signals, without the `SIG` prefix, with their numbers. */
export const SIGNALS: ReadonlyArray<[string, number]> = [
  ["HUP", 1],
  ["INT", 2],
  ["QUIT", 3],
  ["ILL", 4],
  ["TRAP", 5],
  ["ABRT", 6],
  ["BUS", 7],
  ["FPE", 8],
  ["KILL", 9],
  ["USR1", 10],
  ["SEGV", 11],
  ["USR2", 12],
  ["PIPE", 13],
  ["ALRM", 14],
  ["TERM", 15],
  ["STKFLT", 16],
  ["CHLD", 17],
  ["CONT", 18],
  ["STOP", 19],
  ["TSTP", 20],
  ["TTIN", 21],
  ["TTOU", 22],
  ["URG", 23],
  ["XCPU", 24],
  ["XFSZ", 25],
  ["VTALRM", 26],
  ["PROF", 27],
  ["WINCH", 28],
  ["IO", 29],
  ["PWR", 30],
  ["SYS", 31],
];

/** The first real-time signal as glibc reports it. */
export const SIGRTMIN = 34;
/** The last real-time signal. */
export const SIGRTMAX = 64;

function isValidSignal(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= SIGRTMAX;
}

/**
 * Parses a signal: a number 1…64, a name with or without `SIG` (`TERM`, `SIGTERM`),
 * `RTMIN`, `RTMIN+n` or `RTMAX`, `RTMAX-n`. Returns undefined when invalid.
 */
export function parseSignal(s: string): number | undefined {
  if (/^[ \t\n\r]*[+-]?\d+$/.test(s)) {
    const n = Number(s.trim());
    return isValidSignal(n) ? n : undefined;
  }
  const name = s.startsWith("SIG") ? s.slice(3) : s;
  const row = SIGNALS.find(([n]) => n === name);
  if (row) return row[1];
  const rel = /^RT(MIN|MAX)(?:([+-])(\d+))?$/.exec(name);
  if (!rel) return undefined;
  const offset = rel[3] === undefined ? 0 : Number(rel[3]);
  if (rel[1] === "MIN") {
    if (rel[2] === "-") return undefined;
    return offset <= SIGRTMAX - SIGRTMIN ? SIGRTMIN + offset : undefined;
  }
  if (rel[2] === "+" && offset !== 0) return undefined;
  return offset <= SIGRTMAX - SIGRTMIN ? SIGRTMAX - offset : undefined;
}

/**
 * The name of a signal without `SIG` (`15` → `TERM`, `36` → `RTMIN+2`), or undefined for
 * a number that is no signal.
 */
export function signalName(n: number): string | undefined {
  const row = SIGNALS.find(([, v]) => v === n);
  if (row) return row[0];
  if (n >= SIGRTMIN && n <= SIGRTMAX) return `RTMIN+${n - SIGRTMIN}`;
  return undefined;
}
