/**
 * Builds the installable artifact.
 *
 *     deno run --allow-all scripts/build.ts compile|bundle [--out DIR] [--with-runtime]
 *
 * `compile`: `deno compile` into `DIR/systemctl` (a standalone binary) with
 * the explicit permission list of `scripts/flags.ts`. `deno compile` needs the
 * `denort` runtime: it downloads it, or takes the file named by `DENORT_BIN`
 * (read by deno itself; passed through untouched). When that fails, or the
 * result does not run, one line says why and the `bundle` path is taken.
 *
 * `bundle`: `deno bundle` into `DIR/systemctl.js` plus a launcher
 * `DIR/systemctl` (sh) that runs it with the pinned Deno and the same
 * permission list. Both write `DIR/journalctl`, the companion launcher.
 * DIR defaults to `dist/` in the repository. `--with-runtime` copies the
 * running Deno into `DIR/deno` so the bundle directory is self-contained.
 * @module
 */

import { PERMISSION_FLAGS } from "./flags.ts";
import { bundleLauncher, compiledCompanionLauncher } from "./launcher.ts";

const REPO = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const ENTRY = `${REPO}/mod.ts`;
/** The Deno version the artifact is pinned to. */
export const DENO_VERSION = "2.9.6";
const JOURNALCTL_ARGS = ["--journalctl"];

/** What a build produced. */
export interface BuildResult {
  readonly mode: "compile" | "bundle";
  /** Files written, absolute paths. */
  readonly files: string[];
}

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function run(cmd: string, args: string[]): Promise<Run> {
  const out = await new Deno.Command(cmd, {
    args,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

async function writeAtomic(path: string, text: string, mode: number): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}`;
  await Deno.writeTextFile(tmp, text, { mode });
  await Deno.chmod(tmp, mode);
  await Deno.rename(tmp, path);
}

async function removeIfExists(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}

/** A short reason from a deno error report, without the stack trace. */
function firstError(stderr: string): string {
  const lines = stderr.split("Stack backtrace")[0].split("\n").map((l) => l.trim()).filter(Boolean);
  const causes = lines.filter((l) => /^\d+: /.test(l)).map((l) => l.replace(/^\d+: /, ""));
  const url = stderr.match(/error sending request for url \((\S+)\)/)?.[1];
  if (url) return `cannot download ${url.split("/").pop()}: ${causes.at(-1) ?? "network error"}`;
  const error = lines.find((l) => l.startsWith("error:"));
  return causes.find((l) => !/^Setting up|^Writing/.test(l)) ?? error ?? lines.at(-1) ??
    "no output";
}

/** Runs `DIR/systemctl --version`; returns an error text, or undefined when it works. */
async function smokeTest(launcher: string): Promise<string | undefined> {
  try {
    const r = await run(launcher, ["--version"]);
    if (r.code === 0 && /^systemd \d+ /.test(r.stdout)) return undefined;
    return `exit ${r.code}: ${(r.stdout + r.stderr).split("\n")[0]}`;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** Options of {@linkcode buildBundle}. */
export interface BundleOptions {
  /**
   * Copy the running Deno beside the bundle as `out/deno` (a self-contained
   * directory, as install.sh lays it out); otherwise the launchers fall back
   * to the Deno that built them.
   */
  readonly withRuntime?: boolean;
}

/** The chunk files esbuild names `<name>-<HASH>.js`. */
const CHUNK = /^[\w.-]+-[A-Z0-9]{8}\.js$/;

/**
 * Deno reads and parses every module a literal `import("./x.js")` names when
 * the program starts, although it runs them only on call. Written as
 * `import(["./x.js"][0])` the lazy chunks stay unread until a verb needs
 * them (measured: --version about 8 ms less CPU). Pure.
 */
export function hideLazyImports(js: string): string {
  return js.replace(/\bimport\("(\.\/[\w.-]+\.js)"\)/g, 'import(["$1"][0])');
}

/**
 * `deno bundle` into `out/systemctl.js` plus the sh launchers. Code
 * splitting keeps the lazy verb imports lazy: each verb's modules (and the
 * `node:` built-ins they import) load only when that verb runs, as from
 * source, instead of all at start-up.
 */
export async function buildBundle(out: string, options: BundleOptions = {}): Promise<BuildResult> {
  await Deno.mkdir(out, { recursive: true });
  const js = `${out}/systemctl.js`;
  const tmp = await Deno.makeTempDir({ dir: out, prefix: ".bundle-" });
  try {
    const r = await run(Deno.execPath(), [
      "bundle",
      "--quiet",
      "--platform",
      "deno",
      "--code-splitting",
      // Less to parse at every start; names kept for error classes and --debug traces.
      "--minify",
      "--keep-names",
      "--outdir",
      tmp,
      ENTRY,
    ]);
    if (r.code !== 0) throw new Error(`deno bundle failed:\n${r.stderr.trim()}`);
    for await (const e of Deno.readDir(tmp)) {
      // The entry is renamed below, so nothing may import it.
      if (e.name !== "mod.js" && (await Deno.readTextFile(`${tmp}/${e.name}`)).includes("mod.js")) {
        throw new Error(`deno bundle: ${e.name} imports the entry module`);
      }
    }
    for await (const e of Deno.readDir(tmp)) {
      if (e.isFile && e.name.endsWith(".js")) {
        const path = `${tmp}/${e.name}`;
        await Deno.writeTextFile(path, hideLazyImports(await Deno.readTextFile(path)));
      }
    }
    for await (const e of Deno.readDir(out)) {
      if (e.isFile && CHUNK.test(e.name)) await Deno.remove(`${out}/${e.name}`);
    }
    for await (const e of Deno.readDir(tmp)) {
      if (e.name !== "mod.js") await Deno.rename(`${tmp}/${e.name}`, `${out}/${e.name}`);
    }
    await Deno.rename(`${tmp}/mod.js`, js);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
  const files = [js];
  let fallbackDeno: string | undefined = Deno.execPath();
  if (options.withRuntime) {
    const runtimeTmp = `${out}/deno.tmp-${Deno.pid}`;
    await Deno.copyFile(Deno.execPath(), runtimeTmp);
    await Deno.chmod(runtimeTmp, 0o755);
    await Deno.rename(runtimeTmp, `${out}/deno`);
    files.push(`${out}/deno`);
    fallbackDeno = undefined;
  }
  await writeAtomic(`${out}/systemctl`, bundleLauncher({ fallbackDeno }), 0o755);
  await writeAtomic(
    `${out}/journalctl`,
    bundleLauncher({ fallbackDeno, prefixArgs: JOURNALCTL_ARGS }),
    0o755,
  );
  const failure = await smokeTest(`${out}/systemctl`);
  if (failure) throw new Error(`${out}/systemctl --version failed: ${failure}`);
  return { mode: "bundle", files: [...files, `${out}/systemctl`, `${out}/journalctl`] };
}

/**
 * `deno compile` into `out/systemctl`; undefined (after one line on stderr
 * saying why) when the runtime cannot be had or the binary does not run.
 */
export async function tryCompile(out: string): Promise<BuildResult | undefined> {
  await Deno.mkdir(out, { recursive: true });
  const bin = `${out}/systemctl`;
  const tmp = `${out}/.systemctl-compile-${Deno.pid}`;
  const denort = Deno.env.get("DENORT_BIN");
  const r = await run(Deno.execPath(), [
    "compile",
    "--quiet",
    "--no-check",
    ...PERMISSION_FLAGS,
    "--output",
    tmp,
    ENTRY,
  ]);
  if (r.code !== 0) {
    await removeIfExists(tmp);
    const why = denort
      ? `DENORT_BIN=${denort} did not work (${firstError(r.stderr)})`
      : `${firstError(r.stderr)} (set DENORT_BIN to a denort ${DENO_VERSION} to compile offline)`;
    console.error(`deno compile: ${why}; falling back to deno bundle.`);
    return undefined;
  }
  const failure = await smokeTest(tmp);
  if (failure) {
    await removeIfExists(tmp);
    const what = denort ? `DENORT_BIN=${denort} (a full deno, not denort?)` : "deno compile";
    console.error(
      `deno compile: the binary built with ${what} does not run (${failure}); ` +
        "falling back to deno bundle.",
    );
    return undefined;
  }
  await Deno.rename(tmp, bin);
  await removeIfExists(`${out}/systemctl.js`);
  await writeAtomic(`${out}/journalctl`, compiledCompanionLauncher(JOURNALCTL_ARGS), 0o755);
  return { mode: "compile", files: [bin, `${out}/journalctl`] };
}

/** What the command line asks for. */
export interface BuildArgs {
  readonly mode: "compile" | "bundle";
  readonly out: string;
  readonly withRuntime: boolean;
}

/** Parses `compile|bundle [--out DIR] [--with-runtime]`; throws a usage error. */
export function parseBuildArgs(args: string[]): BuildArgs {
  let mode: "compile" | "bundle" | undefined;
  let out = `${REPO}/dist`;
  let withRuntime = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "compile" || a === "bundle") mode = a;
    else if (a === "--with-runtime") withRuntime = true;
    else if (a === "--out" && i + 1 < args.length) out = args[++i];
    else if (a.startsWith("--out=")) out = a.slice(6);
    else throw new Error(`unknown argument ${a}`);
  }
  if (!mode) throw new Error("missing mode");
  return { mode, out: out.startsWith("/") ? out : `${Deno.cwd()}/${out}`, withRuntime };
}

async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseBuildArgs(args);
  } catch (e) {
    console.error(`build: ${(e as Error).message}`);
    console.error(
      "usage: deno run --allow-all scripts/build.ts compile|bundle [--out DIR] [--with-runtime]",
    );
    return 2;
  }
  if (Deno.version.deno !== DENO_VERSION) {
    console.error(`build: warning: deno ${Deno.version.deno} is not the pinned ${DENO_VERSION}`);
  }
  try {
    const result = (parsed.mode === "compile" ? await tryCompile(parsed.out) : undefined) ??
      await buildBundle(parsed.out, { withRuntime: parsed.withRuntime });
    for (const f of result.files) console.log(`built ${f} (${result.mode})`);
    return 0;
  } catch (e) {
    console.error(`build: ${(e as Error).message}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
