/**
 * Command-line parsing with systemctl's grammar: options anywhere, `--` ends
 * them, unambiguous long prefixes, bundled short options, list options that
 * accumulate and split at commas. Pure: no Deno.* here.
 * @module
 */

import { OPTION_TABLE, type Options, type OptionSpec } from "./options.ts";

/** The result of parsing argv. */
export type ParsedCommandLine =
  | {
    readonly ok: true;
    readonly verb: string | undefined;
    readonly args: string[];
    readonly options: Options;
  }
  | { readonly ok: false; readonly error: string };

const BY_LONG = new Map(OPTION_TABLE.map((o) => [o.long, o]));
const BY_SHORT = new Map(
  OPTION_TABLE.filter((o) => o.short !== undefined).map((o) => [o.short as string, o]),
);

/** One word of the command line, as `node:util`'s `parseArgs` (`strict: false`) reads it. */
export type Token =
  | { readonly kind: "positional"; readonly value: string }
  | { readonly kind: "option"; readonly name: string; readonly rawName: string; value?: string }
  | { readonly kind: "option-terminator" };

/** Whether the option with this long name takes a value. */
function takesValue(long: string): boolean {
  const o = BY_LONG.get(long);
  return o !== undefined && (o.kind === "string" || o.kind === "list");
}

/** The long name of a short option; the letter itself for an unknown one. */
function longOf(short: string): string {
  return BY_SHORT.get(short)?.long ?? short;
}

/**
 * Splits argv into tokens with the rules of `node:util`'s `parseArgs` in its non-strict
 * mode (the program used it until its start-up cost showed: the `node:util` module graph
 * is about a quarter of a query's start): `--` ends the options; `-x` and `--name` take the
 * next word as their value when they take one, whatever it looks like; `-abc` is a group
 * of flags up to the first option that takes a value, which takes the rest; `-xVALUE` and
 * `--name=VALUE` carry theirs. Pure.
 */
export function tokenize(argv: readonly string[]): Token[] {
  const tokens: Token[] = [];
  const rest = [...argv];
  while (rest.length > 0) {
    const arg = rest.shift()!;
    if (arg === "--") {
      tokens.push({ kind: "option-terminator" });
      for (const a of rest) tokens.push({ kind: "positional", value: a });
      break;
    }
    if (arg.length === 2 && arg[0] === "-" && arg[1] !== "-") {
      const name = longOf(arg[1]);
      const t: Token = { kind: "option", name, rawName: arg };
      if (takesValue(name) && rest.length > 0) t.value = rest.shift();
      tokens.push(t);
      continue;
    }
    if (arg.length > 2 && arg[0] === "-" && arg[1] !== "-") {
      const name = longOf(arg[1]);
      if (takesValue(name)) {
        tokens.push({ kind: "option", name, rawName: `-${arg[1]}`, value: arg.slice(2) });
        continue;
      }
      const expanded: string[] = [];
      for (let i = 1; i < arg.length; i++) {
        if (!takesValue(longOf(arg[i])) || i === arg.length - 1) expanded.push(`-${arg[i]}`);
        else {
          expanded.push(`-${arg.slice(i)}`);
          break;
        }
      }
      rest.unshift(...expanded);
      continue;
    }
    if (arg.length > 2 && arg.startsWith("--")) {
      const eq = arg.indexOf("=", 3);
      if (eq < 0) {
        const name = arg.slice(2);
        const t: Token = { kind: "option", name, rawName: arg };
        if (takesValue(name) && rest.length > 0) t.value = rest.shift();
        tokens.push(t);
      } else {
        const name = arg.slice(2, eq);
        tokens.push({ kind: "option", name, rawName: `--${name}`, value: arg.slice(eq + 1) });
      }
      continue;
    }
    tokens.push({ kind: "positional", value: arg });
  }
  return tokens;
}

/** Expands an unambiguous prefix of a long option (`--no-pa` → `--no-pager`). */
function expandLongPrefix(arg: string): string | { error: string } {
  const eq = arg.indexOf("=");
  const name = arg.slice(2, eq < 0 ? undefined : eq);
  if (BY_LONG.has(name) && name.length > 1) return arg;
  const candidates = OPTION_TABLE.filter((o) => o.long.length > 1 && o.long.startsWith(name));
  if (candidates.length === 1) {
    return `--${candidates[0].long}${eq < 0 ? "" : arg.slice(eq)}`;
  }
  if (candidates.length > 1) return { error: `option '--${name}' is ambiguous` };
  return { error: `unrecognized option '--${name}'` };
}

const PRESET_MODES: Record<string, Options["presetMode"]> = {
  full: "full",
  all: "full",
  "enable-only": "enable-only",
  enable: "enable-only",
  "disable-only": "disable-only",
  disable: "disable-only",
};

/** systemd's unit types and load states, the words `-t`/`--type=` accepts. */
const UNIT_TYPES = [
  "service",
  "mount",
  "swap",
  "socket",
  "target",
  "device",
  "automount",
  "timer",
  "path",
  "slice",
  "scope",
];
const LOAD_STATES = ["stub", "loaded", "not-found", "bad-setting", "error", "merged", "masked"];

/**
 * Parses argv (without the program name). `prog` is used in error messages,
 * which follow getopt's wording.
 */
export function parseCommandLine(argv: readonly string[], prog = "systemctl"): ParsedCommandLine {
  const pre: string[] = [];
  let terminated = false;
  for (const a of argv) {
    if (terminated || a === "--" || !a.startsWith("--")) {
      if (a === "--") terminated = true;
      pre.push(a);
      continue;
    }
    const e = expandLongPrefix(a);
    if (typeof e !== "string") return { ok: false, error: `${prog}: ${e.error}` };
    pre.push(e);
  }
  const tokens = tokenize(pre);
  const positionals: string[] = [];
  const values = new Map<string, string[]>();
  const counts = new Map<string, number>();
  for (const t of tokens) {
    if (t.kind === "positional") {
      positionals.push(t.value);
      continue;
    }
    if (t.kind !== "option") continue;
    const spec: OptionSpec | undefined = t.rawName.startsWith("--")
      ? BY_LONG.get(t.name)
      : BY_SHORT.get(t.rawName.slice(1));
    if (!spec) {
      return {
        ok: false,
        error: t.rawName.startsWith("--")
          ? `${prog}: unrecognized option '${t.rawName}'`
          : `${prog}: invalid option -- '${t.rawName.slice(1)}'`,
      };
    }
    if (spec.kind === "string" || spec.kind === "list") {
      if (t.value === undefined) {
        return {
          ok: false,
          error: t.rawName.startsWith("--")
            ? `${prog}: option '--${spec.long}' requires an argument`
            : `${prog}: option requires an argument -- '${spec.short}'`,
        };
      }
      const list = values.get(spec.long) ?? [];
      list.push(t.value);
      values.set(spec.long, list);
    } else {
      if (t.value !== undefined) {
        return { ok: false, error: `${prog}: option '--${spec.long}' doesn't allow an argument` };
      }
      counts.set(spec.long, (counts.get(spec.long) ?? 0) + 1);
    }
  }
  const str = (k: string) => values.get(k)?.at(-1);
  const list = (...ks: string[]) =>
    ks.flatMap((k) => values.get(k) ?? []).flatMap((v) => v.split(",")).filter((v) => v !== "");
  const flag = (k: string) => (counts.get(k) ?? 0) > 0;
  const count = (k: string) => counts.get(k) ?? 0;

  const presetRaw = str("preset-mode");
  let presetMode: Options["presetMode"] = "full";
  if (presetRaw !== undefined) {
    const m = PRESET_MODES[presetRaw];
    if (!m) return { ok: false, error: `Failed to parse preset mode: ${presetRaw}.` };
    presetMode = m;
  }
  let lines = 10;
  const linesRaw = str("lines");
  if (linesRaw !== undefined) {
    if (!/^\d+$/.test(linesRaw)) return { ok: false, error: `Failed to parse lines '${linesRaw}'` };
    lines = Number(linesRaw);
  }
  let iterations = 1;
  const iterRaw = str("iterations");
  if (iterRaw !== undefined) {
    if (!/^\d+$/.test(iterRaw)) {
      return { ok: false, error: `Failed to parse iterations: ${iterRaw}` };
    }
    iterations = Number(iterRaw);
  }
  const legendRaw = str("legend");
  let legend = !flag("no-legend");
  if (legendRaw !== undefined) {
    const b = /^(1|yes|y|true|t|on)$/i.test(legendRaw)
      ? true
      : /^(0|no|n|false|f|off)$/i.test(legendRaw)
      ? false
      : undefined;
    if (b === undefined) {
      return { ok: false, error: `Failed to parse --legend= argument: ${legendRaw}` };
    }
    legend = b;
  }
  const output = str("output");
  if (output !== undefined && !OUTPUT_MODES.includes(output)) {
    return { ok: false, error: `Unknown output '${output}'.` };
  }
  let maxTimeout: number | undefined;
  const mt = str("maxtimeout");
  if (mt !== undefined) {
    maxTimeout = Number(mt);
    if (!Number.isFinite(maxTimeout) || maxTimeout < 0) {
      return { ok: false, error: `Failed to parse --maxtimeout= argument: ${mt}` };
    }
  }
  const types = list("type");
  const badType = types.find((t) =>
    t !== "help" && !UNIT_TYPES.includes(t) && !LOAD_STATES.includes(t)
  );
  if (badType !== undefined) {
    return {
      ok: false,
      error:
        `Unknown unit type or load state '${badType}'.\nUse -t help to see a list of allowed values.`,
    };
  }
  const valueProps = list("P");
  const states = list("state");
  if (flag("failed")) states.push("failed");
  if (str("host") !== undefined || str("machine") !== undefined || str("image") !== undefined) {
    return { ok: false, error: "Remote and machine operations are not supported." };
  }
  const options: Options = {
    help: flag("help"),
    version: flag("version"),
    // --global is the user scope with the global config dirs (systemd's RUNTIME_SCOPE_GLOBAL).
    scope: lastScope(tokens) === "system" ? "system" : "user",
    global: lastScope(tokens) === "global",
    runtime: flag("runtime"),
    root: str("root"),
    types,
    states,
    properties: [...list("property"), ...valueProps],
    value: flag("value") || valueProps.length > 0,
    all: count("all"),
    full: flag("full"),
    recursive: flag("recursive"),
    reverse: flag("reverse"),
    after: flag("after"),
    before: flag("before"),
    showTypes: flag("show-types"),
    quiet: flag("quiet"),
    legend,
    plain: flag("plain"),
    noBlock: flag("no-block"),
    wait: flag("wait"),
    noReload: flag("no-reload"),
    noWarn: flag("no-warn"),
    now: flag("now"),
    force: count("force"),
    jobMode: flag("fail") ? "fail" : str("job-mode"),
    showTransaction: flag("show-transaction"),
    signal: str("signal"),
    killWhom: str("kill-whom") ?? str("kill-who"),
    what: list("what"),
    presetMode,
    lines,
    iterations,
    baseTimes: values.get("base-time") ?? [],
    output,
    timestamp: str("timestamp"),
    dryRun: flag("dry-run"),
    init: flag("init"),
    exitWhenIdle: flag("exit"),
    extraVars: [...(values.get("extra-vars") ?? []), ...(values.get("environment") ?? [])],
    maxTimeout,
    verbose: count("verbose"),
    debug: flag("debug"),
    ignored: OPTION_TABLE.filter((o) =>
      o.ignoredBecause !== undefined && (values.has(o.long) || counts.has(o.long))
    ).map((o) => (o.short ? `-${o.short}/` : "") + `--${o.long}`),
  };
  return { ok: true, verb: positionals[0], args: positionals.slice(1), options };
}

/** `--user --system` means system: the last of `--system`, `--user`, `--global` wins. */
function lastScope(
  tokens: ReadonlyArray<{ kind: string; name?: string }>,
): "system" | "user" | "global" {
  let scope: "system" | "user" | "global" = "system";
  for (const t of tokens) {
    if (t.kind !== "option") continue;
    if (t.name === "system" || t.name === "user" || t.name === "global") scope = t.name;
  }
  return scope;
}

/** Accepted `-o` values, systemctl's and journalctl's (systemd's output_mode_table order). */
export const OUTPUT_MODES: readonly string[] = [
  "short",
  "short-full",
  "short-iso",
  "short-iso-precise",
  "short-precise",
  "short-monotonic",
  "short-delta",
  "short-unix",
  "verbose",
  "export",
  "json",
  "json-pretty",
  "json-sse",
  "json-seq",
  "cat",
  "with-unit",
];
