/**
 * The types of the install logic (unit-file states, `[Install]` settings, errno-like
 * codes, change records) and small helpers on unit names and paths.
 * @module
 */

import { parseUnitName } from "../unit/names.ts";

/** The unit-file states of systemd 252. */
export type UnitFileState =
  | "enabled"
  | "enabled-runtime"
  | "linked"
  | "linked-runtime"
  | "alias"
  | "masked"
  | "masked-runtime"
  | "static"
  | "disabled"
  | "indirect"
  | "generated"
  | "transient"
  | "bad";

/** States for which `is-enabled` exits 0. */
export const ENABLED_STATES: ReadonlySet<UnitFileState> = new Set<UnitFileState>([
  "enabled",
  "enabled-runtime",
  "static",
  "alias",
  "indirect",
  "generated",
]);

/** The `[Install]` settings of a unit file (drop-ins included). */
export interface InstallSection {
  aliases: string[];
  wantedBy: string[];
  requiredBy: string[];
  upheldBy: string[];
  also: string[];
  defaultInstance: string | undefined;
}

/** How a name was found. */
export type Mode = "regular" | "linked" | "alias" | "masked";

/** An errno-like failure code, as systemd's install code reports them. */
export type InstallErrno =
  | "ENOENT"
  | "EEXIST"
  | "ERFKILL"
  | "EADDRNOTAVAIL"
  | "ELOOP"
  | "EXDEV"
  | "EUCLEAN"
  | "EIDRM"
  | "EBADSLT"
  | "EINVAL"
  | "EBADMSG"
  | "ENOLINK"
  | "EISDIR"
  | "ETXTBSY"
  | "ENOBUFS"
  | "EIO"
  | "EACCES"
  | "EPERM"
  | "EROFS"
  | "ENOTDIR"
  | "ENOSPC"
  | "EDQUOT"
  | "ENAMETOOLONG";

const FS_ERRNOS: ReadonlySet<string> = new Set<InstallErrno>([
  "ENOENT",
  "EEXIST",
  "ELOOP",
  "EISDIR",
  "EIO",
  "EACCES",
  "EPERM",
  "EROFS",
  "ENOTDIR",
  "ENOSPC",
  "EDQUOT",
  "ENAMETOOLONG",
]);

/** The errno of a file-system error (Deno's errors carry it as `code`); EIO when unknown. */
export function errnoOf(e: unknown): InstallErrno {
  const code = (e as { code?: unknown } | null | undefined)?.code;
  return typeof code === "string" && FS_ERRNOS.has(code) ? code as InstallErrno : "EIO";
}

/** One change made (or refused), as systemd's InstallChange. Paths are host paths. */
export type InstallChange =
  | { readonly type: "symlink"; readonly path: string; readonly source: string }
  | { readonly type: "unlink"; readonly path: string }
  | { readonly type: "is-masked"; readonly path: string }
  | { readonly type: "is-dangling"; readonly path: string }
  | { readonly type: "destination-not-present"; readonly path: string; readonly source: string }
  | { readonly type: "auxiliary-failed"; readonly path: string }
  | {
    readonly type: "error";
    readonly errno: InstallErrno;
    readonly path: string;
    readonly source?: string;
  };

/** A failure that ends an operation; the change list already records it. */
export class InstallError extends Error {
  /** The errno-like code. */
  readonly errno: InstallErrno;
  constructor(errno: InstallErrno, message = errno) {
    super(message);
    this.name = "InstallError";
    this.errno = errno;
  }
}

/** The outcome of an install operation. */
export interface InstallResult {
  readonly changes: InstallChange[];
  /** Negative-errno semantics: set when the operation failed. */
  readonly error?: InstallErrno;
  /** enable/reenable: how many install rules were applied (0 → the "no [Install]" notice). */
  readonly carriesInstallInfo?: number;
}

/** A unit found by name: where, how (`mode`), and its `[Install]`. */
export interface Info {
  name: string;
  path?: string;
  mode?: Mode;
  symlinkTarget?: string;
  install: InstallSection;
  auxiliary: boolean;
}

export function emptyInstall(): InstallSection {
  return {
    aliases: [],
    wantedBy: [],
    requiredBy: [],
    upheldBy: [],
    also: [],
    defaultInstance: undefined,
  };
}

export function basename(p: string): string {
  const s = p.endsWith("/") && p.length > 1 ? p.slice(0, -1) : p;
  return s.slice(s.lastIndexOf("/") + 1);
}

/** path_startswith on whole components. */
export function pathStartsWith(path: string, prefix: string): boolean {
  if (prefix === "/") return path.startsWith("/");
  return path.startsWith(prefix) && (path.length === prefix.length || path[prefix.length] === "/");
}

export function isInstance(name: string): boolean {
  const p = parseUnitName(name);
  return p !== undefined && p.instance !== undefined && p.instance !== "";
}

export function isTemplate(name: string): boolean {
  return parseUnitName(name)?.isTemplate === true;
}

export function hasRules(i: InstallSection): boolean {
  return i.aliases.length + i.wantedBy.length + i.requiredBy.length + i.upheldBy.length > 0;
}
