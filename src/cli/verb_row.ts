/**
 * The shape of a verb table row: names, aliases, arity, permission class, help, handler.
 * @module
 */

/**
 * What a verb may do; the program drops every other permission before the
 * handler runs: `read` queries unit files, `inspect` also reads /proc
 * (through libc, since Deno gates /proc behind --allow-all), `write` changes
 * unit files, `run` manages processes.
 */
export type Access = "read" | "inspect" | "write" | "run";

/** One row of the verb table. */
export interface VerbSpec {
  readonly name: string;
  readonly aliases?: readonly string[];
  /** Minimum and maximum number of arguments after the verb. */
  readonly min: number;
  readonly max: number;
  readonly access: Access;
  /** Group heading in `--help`. */
  readonly group: string;
  /** Argument synopsis, e.g. `UNIT...`. */
  readonly usage: string;
  readonly help: string;
  /** Loads the module that holds the handler. */
  readonly load: () => Promise<Record<string, unknown>>;
  /** The handler's export name in that module. */
  readonly fn: string;
}

/** The `--help` heading of the verbs systemctl does not have. */
export const EXTENSIONS = "Extensions (not systemctl verbs)";

/** "Any number" of arguments. */
export const INF = Number.POSITIVE_INFINITY;
