/**
 * The manager environment: `show-environment`, `set-environment`,
 * `unset-environment`, `import-environment` (§1.4). The block is kept in
 * `<state>/manager.json` and reaches every process spawned afterwards.
 * @module
 */

import type { Context } from "../cli/context.ts";
import { managerEnvironment } from "../service/exec_context.ts";
import { stateDirHost } from "../service/runtime.ts";
import { type ManagerState, readManagerState, updateManagerState } from "../state/manager.ts";
import { isValidEnvName } from "../unit/environment.ts";
import { managerReason } from "./errors.ts";

function block(ctx: Context): Record<string, string> {
  return readManagerState(stateDirHost(ctx)).Environment ?? {};
}

const SAFE = /^[A-Za-z0-9_.,:/@%+=-]*$/;

const C_ESCAPES: Record<string, string> = {
  "\\": "\\\\",
  "'": "\\'",
  "\n": "\\n",
  "\t": "\\t",
  "\r": "\\r",
  "\u0007": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\v": "\\v",
};

/** systemd's `$'…'` quoting for a value with blanks or shell-special characters. */
export function shellQuote(value: string): string {
  if (SAFE.test(value)) return value;
  let out = "";
  for (const c of value) {
    const code = c.charCodeAt(0);
    if (C_ESCAPES[c] !== undefined) out += C_ESCAPES[c];
    else if (code < 0x20 || code === 0x7f) out += "\\" + code.toString(8).padStart(3, "0");
    else out += c;
  }
  return `$'${out}'`;
}

/** Changes the manager block; a failure is one line in systemd's words. */
async function updateBlock(
  ctx: Context,
  verb: "set" | "import",
  change: (s: ManagerState) => ManagerState,
): Promise<number> {
  try {
    await updateManagerState(stateDirHost(ctx), change);
    return 0;
  } catch (e) {
    ctx.io.err(`Failed to ${verb} environment: ${managerReason(ctx.scope, e)}\n`);
    return 1;
  }
}

/** `show-environment`: the manager environment, sorted, `NAME=value`. */
export function showEnvironment(ctx: Context): Promise<number> {
  const env = managerEnvironment({ ...ctx, managerEnv: block(ctx) });
  const lines = Object.keys(env).sort().map((k) => `${k}=${shellQuote(env[k])}\n`);
  ctx.io.out(lines.join(""));
  return Promise.resolve(0);
}

/** `set-environment NAME=VALUE...`. */
export async function setEnvironment(ctx: Context, args: string[]): Promise<number> {
  const pairs: Array<[string, string]> = [];
  for (const a of args) {
    const i = a.indexOf("=");
    if (i <= 0 || !isValidEnvName(a.slice(0, i))) {
      ctx.io.err(`Not a valid environment variable assignment: ${a}\n`);
      return 1;
    }
    pairs.push([a.slice(0, i), a.slice(i + 1)]);
  }
  return await updateBlock(ctx, "set", (s) => {
    const env = { ...(s.Environment ?? {}) };
    for (const [k, v] of pairs) env[k] = v;
    return { ...s, Environment: env };
  });
}

/** `unset-environment NAME[=VALUE]...`: with `=VALUE`, only when the value matches. */
export async function unsetEnvironment(ctx: Context, args: string[]): Promise<number> {
  for (const a of args) {
    const name = a.includes("=") ? a.slice(0, a.indexOf("=")) : a;
    if (!isValidEnvName(name)) {
      ctx.io.err(`Not a valid environment variable name or assignment: ${a}\n`);
      return 1;
    }
  }
  return await updateBlock(ctx, "set", (s) => {
    const env = { ...(s.Environment ?? {}) };
    for (const a of args) {
      const i = a.indexOf("=");
      if (i < 0) delete env[a];
      else if (env[a.slice(0, i)] === a.slice(i + 1)) delete env[a.slice(0, i)];
    }
    return { ...s, Environment: env };
  });
}

/** `import-environment [NAME...]`: copy the caller's values into the block. */
export async function importEnvironment(ctx: Context, args: string[]): Promise<number> {
  let names = args;
  if (names.length === 0) {
    ctx.warn(
      "Calling import-environment without a list of variable names is deprecated, and might " +
        "result in an unexpected set of variables being imported.",
    );
    names = Object.keys(ctx.env).filter(isValidEnvName);
  }
  const pairs: Array<[string, string]> = [];
  for (const n of names) {
    if (!isValidEnvName(n)) {
      ctx.io.err(`Not a valid environment variable name: ${n}\n`);
      return 1;
    }
    const v = ctx.env[n];
    if (v !== undefined) pairs.push([n, v]);
  }
  return await updateBlock(ctx, "import", (s) => {
    const env = { ...(s.Environment ?? {}) };
    for (const [k, v] of pairs) env[k] = v;
    return { ...s, Environment: env };
  });
}
