/**
 * Program flow: parse argv, pick the verb, check arity, build the context,
 * drop unneeded permissions, run the handler, turn errors into one line.
 * @module
 */

import { parseCommandLine } from "./args.ts";
import { type Context, type Io, refuse } from "./context.ts";
import { findVerb, loadHandler, VERBS, type VerbSpec } from "./registry.ts";
import { pathArgumentError, RootMap } from "../units/paths.ts";
import { readLocalZone } from "../units/timezone.ts";
import { setLocalZoneSource } from "../unit/timespan.ts";
import { versionText } from "../version.ts";
import { dropPermissions } from "./permissions.ts";
import { resolveExtraVars } from "./extra_vars.ts";
import { OPTION_TABLE } from "./options.ts";
import { errnoName, fallbackLine, strerror } from "../verbs/errors.ts";
import { resolve } from "../unit/posix_path.ts";

const encoder = new TextEncoder();

function writeAll(fd: typeof Deno.stdout | typeof Deno.stderr, text: string): void {
  const bytes = encoder.encode(text);
  let off = 0;
  while (off < bytes.length) off += fd.writeSync(bytes.subarray(off));
}

/** Real stdio: stdout buffered until flush, stderr immediate. */
export function stdio(): Io {
  let buf: string[] = [];
  let size = 0;
  const io: Io = {
    out(text) {
      buf.push(text);
      size += text.length;
      if (size > 65536) io.flush();
    },
    err(text) {
      io.flush();
      try {
        writeAll(Deno.stderr, text);
      } catch { /* stderr closed */ }
    },
    flush() {
      if (buf.length === 0) return;
      const text = buf.join("");
      buf = [];
      size = 0;
      try {
        writeAll(Deno.stdout, text);
      } catch { /* stdout closed (EPIPE) */ }
    },
    stdoutIsTty: Deno.stdout.isTerminal(),
  };
  return io;
}

/**
 * Why `--root` cannot be used, in systemd's words (its offline verbs say this when the unit
 * search paths cannot be set up), or undefined. Nothing is read or made under a root that
 * is not a directory.
 */
function missingRoot(root: string): string | undefined {
  let reason: string;
  try {
    if (Deno.statSync(root).isDirectory) return undefined;
    reason = strerror("ENOTDIR");
  } catch (e) {
    reason = strerror(errnoName(e) ?? "EIO");
  }
  return `Failed to initialize unit search paths for root directory ${
    resolve([root], () => Deno.cwd())
  }: ${reason}`;
}

/** Runs the program; returns the exit code. */
export async function main(argv: string[], io: Io = stdio()): Promise<number> {
  const prog = "systemctl";
  const parsed = parseCommandLine(argv, prog);
  if (!parsed.ok) return refuse(io, parsed.error);
  const { options } = parsed;
  setLocalZoneSource(() => readLocalZone());
  const debug = options.debug || options.verbose >= 2;
  try {
    if (options.version) {
      io.out(versionText());
      return 0;
    }
    let verbName = parsed.verb;
    let args = parsed.args;
    if (options.help) {
      args = verbName ? [verbName] : [];
      verbName = "help";
      const { usage } = await import("./help.ts");
      io.out(usage(VERBS, args[0]));
      return 0;
    }
    // PID 1 (the container's init) boots; `--init` turns `start`/`default` into init mode.
    const pid1 = Deno.pid === 1;
    if (verbName === undefined) verbName = pid1 || options.init ? "init" : "list-units";
    else if (
      (verbName === "start" && (pid1 || options.init)) || (verbName === "default" && options.init)
    ) {
      verbName = "init";
    }
    const spec: VerbSpec | undefined = findVerb(verbName);
    if (!spec) return refuse(io, `Unknown command verb ${verbName}.`);
    if (args.length < spec.min) return refuse(io, "Too few arguments.");
    if (args.length > spec.max) return refuse(io, "Too many arguments.");
    const rootError = pathArgumentError(options.root);
    if (rootError) return refuse(io, rootError);
    const env = Deno.env.toObject();
    const rootProblem = options.root === undefined ? undefined : missingRoot(options.root);
    if (rootProblem !== undefined) return refuse(io, rootProblem);
    const root = new RootMap(options.root);
    const warn = (text: string) => {
      if (!options.noWarn) io.err(text.endsWith("\n") ? text : text + "\n");
    };
    const ctx: Context = {
      options: options.extraVars.length
        ? { ...options, extraVars: resolveExtraVars(options.extraVars, root, warn) }
        : options,
      root,
      scope: options.scope,
      env,
      io,
      prog,
      now: () => Date.now() * 1000,
      warn,
    };
    for (const name of options.ignored) {
      const long = name.slice(name.indexOf("--") + 2);
      const why = OPTION_TABLE.find((o) => o.long === long)?.ignoredBecause;
      warn(`Option ${name} has no effect: ${why}.`);
    }
    const handler = await loadHandler(spec);
    // --now makes enable/disable/mask start or stop units: they need the run class. So do
    // they while a manager runs (an init instance for /): as systemctl asks systemd's manager,
    // which then reloads and collects what no longer is referenced, we tell the init and
    // collect (both read /proc through libc and signal).
    let access = spec.access;
    if (access === "write") {
      const { liveManager } = await import("../verbs/collect.ts");
      if (options.now || liveManager(ctx)) access = "run";
    }
    await dropPermissions(access);
    const rc = await handler(ctx, args);
    if (access === "run") {
      const { collectAfterVerb } = await import("../verbs/collect.ts");
      await collectAfterVerb(ctx, spec.access === "write");
    }
    return rc;
  } catch (e) {
    io.err((debug && e instanceof Error && e.stack ? e.stack : fallbackLine(e)) + "\n");
    return 1;
  } finally {
    io.flush();
  }
}
