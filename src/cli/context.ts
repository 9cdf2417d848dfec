/**
 * The context every verb handler receives: options, the root mapping, the
 * environment, output streams and a clock. No globals are read elsewhere.
 * @module
 */

import type { Options } from "./options.ts";
import type { RootMap, Scope } from "../units/paths.ts";

/** Output streams. `out` is buffered until `flush`; `err` writes at once. */
export interface Io {
  /** Writes text to stdout (caller supplies newlines). */
  out(text: string): void;
  /** Writes text to stderr (caller supplies newlines). */
  err(text: string): void;
  /** Flushes buffered stdout. */
  flush(): void;
  /** Whether stdout is a terminal. */
  readonly stdoutIsTty: boolean;
}

/** Writes one error line to stderr and returns exit code 1: how an entry point refuses. */
export function refuse(io: Io, line: string): number {
  io.err(line + "\n");
  return 1;
}

/** What a verb handler gets. */
export interface Context {
  readonly options: Options;
  readonly root: RootMap;
  readonly scope: Scope;
  /** The caller's environment. */
  readonly env: Readonly<Record<string, string>>;
  readonly io: Io;
  /** Basename of argv[0], for messages. */
  readonly prog: string;
  /** Wall clock in microseconds since the epoch. */
  now(): number;
  /** Prints a warning unless --no-warn / -q forbid it. */
  warn(text: string): void;
}

/** A verb handler: returns the exit code. */
export type VerbHandler = (ctx: Context, args: string[]) => Promise<number>;
