/**
 * `%` specifiers in unit-file values (spec §3.5), resolved like systemd 252's
 * `unit_full_printf`. Everything the expansion needs comes in through the context,
 * so this stays pure: the caller reads host name, machine id, os-release and so on.
 * @module
 */

import { parseUnitName, unescapeName, unescapePath } from "./names.ts";

/** What specifier expansion needs to know about the unit and the host. */
export interface SpecifierContext {
  /** The full unit name (`foo@bar.service`). */
  unitName: string;
  /** The fragment path with symlinks resolved (for `%y`, `%Y`). */
  fragmentPath?: string;
  scope: "system" | "user";
  hostname: string;
  machineId?: string;
  bootId?: string;
  kernelRelease?: string;
  /** systemd's architecture name (`x86-64`, `arm64`, …). */
  architecture?: string;
  /** `PRETTY_HOSTNAME` from /etc/machine-info. */
  prettyHostname?: string;
  /** The fields of os-release (`ID`, `VERSION_ID`, …). */
  osRelease?: Record<string, string>;
  /** The manager's user (root for the system scope). */
  user: { name: string; uid: number; group: string; gid: number; home: string; shell: string };
  /** The directory prefixes (`/run`, `/var/lib`, … or their user-scope equivalents). */
  dirs: {
    runtime: string;
    state: string;
    cache: string;
    logs: string;
    config: string;
    tmp: string;
    varTmp: string;
  };
  /** `%d`; defaults to `<runtime>/credentials/<unit>`. */
  credentialsDir?: string;
}

function parentDir(p: string): string {
  const i = p.replace(/\/+$/, "").lastIndexOf("/");
  if (i < 0) return ".";
  return i === 0 ? "/" : p.slice(0, i);
}

/** The specifiers taken from the unit name. */
const NAME_SPECIFIERS = "nNpPiIjJf";

/** The value of one specifier taken from the unit name, or undefined when it fails. */
function nameSpecifier(c: string, name: string): string | undefined {
  const parts = parseUnitName(name);
  const prefix = parts?.prefix ?? name.replace(/\.[^.]*$/, "");
  const instance = parts?.instance ?? "";
  const last = () => {
    const dash = prefix.lastIndexOf("-");
    return dash >= 0 ? prefix.slice(dash + 1) : prefix;
  };
  switch (c) {
    case "n":
      return name;
    case "N":
      return name.replace(/\.[^.]*$/, "");
    case "p":
      return prefix;
    case "P":
      return unescapeName(prefix);
    case "i":
      return instance;
    case "I":
      return unescapeName(instance);
    case "j":
      return last();
    case "J":
      return unescapeName(last());
    case "f":
      return unescapePath(parts?.instance ? instance : prefix);
    default:
      return undefined;
  }
}

/** The directory specifiers and the prefix each names. */
const DIR_SPECIFIERS: Readonly<Record<string, keyof SpecifierContext["dirs"]>> = {
  t: "runtime",
  S: "state",
  C: "cache",
  L: "logs",
  E: "config",
  T: "tmp",
  V: "varTmp",
};

/** The os-release specifiers and the field each gives (empty when missing). */
const OS_RELEASE_SPECIFIERS: Readonly<Record<string, string>> = {
  o: "ID",
  w: "VERSION_ID",
  W: "VARIANT_ID",
  B: "BUILD_ID",
  M: "IMAGE_ID",
  A: "IMAGE_VERSION",
};

/** The value of one specifier character, or undefined when it is unknown or fails. */
function resolve(c: string, ctx: SpecifierContext): string | undefined {
  if (NAME_SPECIFIERS.includes(c)) return nameSpecifier(c, ctx.unitName);
  const name = ctx.unitName;
  if (Object.hasOwn(DIR_SPECIFIERS, c)) return ctx.dirs[DIR_SPECIFIERS[c]];
  if (Object.hasOwn(OS_RELEASE_SPECIFIERS, c)) {
    return ctx.osRelease?.[OS_RELEASE_SPECIFIERS[c]] ?? "";
  }
  switch (c) {
    case "y":
      return ctx.fragmentPath;
    case "Y":
      return ctx.fragmentPath === undefined ? undefined : parentDir(ctx.fragmentPath);
    case "d":
      return ctx.credentialsDir ?? `${ctx.dirs.runtime}/credentials/${name}`;
    case "h":
      return ctx.user.home;
    case "s":
      return ctx.user.shell;
    case "u":
      return ctx.user.name;
    case "U":
      return String(ctx.user.uid);
    case "g":
      return ctx.user.group;
    case "G":
      return String(ctx.user.gid);
    case "H":
      return ctx.hostname;
    case "l":
      return ctx.hostname.split(".")[0];
    case "q":
      return ctx.prettyHostname || ctx.hostname.split(".")[0];
    case "m":
      return ctx.machineId ?? "";
    case "b":
      return ctx.bootId ?? "";
    case "v":
      return ctx.kernelRelease ?? "";
    case "a":
      return ctx.architecture ?? "";
    default:
      return undefined;
  }
}

/**
 * systemd's `specifier_printf()`: `%%` gives `%`, a lone `%` at the end stays, and every
 * other `%c` is `lookup(c)`; undefined from it (an unknown or failing specifier) fails the
 * whole value.
 */
function specifierPrintf(
  value: string,
  lookup: (c: string) => string | undefined,
): string | undefined {
  if (!value.includes("%")) return value;
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c !== "%") {
      out += c;
      continue;
    }
    if (i + 1 >= value.length) {
      out += "%";
      break;
    }
    const s = value[++i];
    if (s === "%") {
      out += "%";
      continue;
    }
    const v = lookup(s);
    if (v === undefined) return undefined;
    out += v;
  }
  return out;
}

/**
 * Replaces the `%` specifiers of a value. `%%` gives `%`, and a lone `%` at the end stays.
 * An unknown specifier, or one that cannot be resolved (`%f` of a name that is not a valid
 * escaped path, `%y` without a fragment), fails the whole value with
 * `Failed to resolve unit specifiers in '<value>', ignoring.`
 */
export function expandSpecifiers(
  value: string,
  ctx: SpecifierContext,
): { value: string } | { error: string } {
  const out = specifierPrintf(value, (c) => resolve(c, ctx));
  return out === undefined
    ? { error: `Failed to resolve unit specifiers in '${value}', ignoring.` }
    : { value: out };
}

/**
 * The specifiers of `[Install]` values, as systemd 252's `install_name_printf()` takes them
 * from the unit name: `%n`, `%N`, `%p`, `%i`, `%j`. A template's `%i` is its
 * `DefaultInstance=`, and its `%N` the prefix with that instance. Any other specifier
 * (also `%P`, `%I`, `%f`, which `[Install]` does not know) gives undefined: systemd's
 * `EBADSLT`. The host's specifiers (`%H`, `%m`, `%u`, …) are not taken yet.
 */
export function expandInstallSpecifiers(
  value: string,
  name: string,
  defaultInstance?: string,
): string | undefined {
  const parts = parseUnitName(name);
  return specifierPrintf(value, (c) => {
    switch (c) {
      case "i":
        return parts?.instance || (defaultInstance ?? "");
      case "N": {
        const base = name.replace(/\.[^.]*$/, "");
        return base.endsWith("@") && defaultInstance !== undefined ? base + defaultInstance : base;
      }
      case "n":
      case "p":
      case "j":
        return nameSpecifier(c, name);
      default:
        return undefined;
    }
  });
}
