/**
 * Builds the installable artifact.
 *
 *     deno run --allow-all scripts/build.ts compile|bundle [--out DIR] [--with-runtime]
 *       [--system-libc]
 *
 * `compile`: `deno compile` into `DIR/deno-systemctl` (a standalone binary)
 * with the explicit permission list of `scripts/flags.ts`, plus the sh
 * launchers `DIR/systemctl` and `DIR/journalctl`. `deno compile` needs the
 * `denort` runtime: it downloads it, or takes the file named by `DENORT_BIN`
 * (read by deno itself; passed through untouched). When that fails, or the
 * result does not run, one line says why and the `bundle` path is taken.
 *
 * `bundle`: `deno bundle` into `DIR/systemctl.js` plus a launcher
 * `DIR/systemctl` (sh) that runs it with the pinned Deno and the same
 * permission list, and the companion `DIR/journalctl`. DIR defaults to
 * `dist/` in the repository. `--with-runtime` copies the running Deno into
 * `DIR/deno` so the bundle directory is self-contained.
 *
 * The C runtime: with the Deno runtime beside the launchers (`compile`, or
 * `bundle --with-runtime`), the dynamic loader and the shared libraries the
 * runtime links against (as `ldd` lists them) are copied from this machine
 * into `DIR/crt/`, and the launchers start the runtime through that loader,
 * so the artifact runs on any image of this architecture whatever its C
 * library. `--system-libc` leaves them out: the image's own glibc (2.27 or
 * newer) runs it.
 * @module
 */

import { PERMISSION_FLAGS } from "./flags.ts";
import {
  bundleLauncher,
  COMPILED_NAME,
  compiledLauncher,
  CRT_DIR,
  type CRuntime,
} from "./launcher.ts";

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

/** The C runtime of an executable as `ldd` lists it, with the paths on this machine. */
export interface CRuntimeFiles {
  /** The dynamic loader: its file name and path. */
  readonly loader: { readonly name: string; readonly path: string };
  /** The shared libraries: sonames and paths. */
  readonly libraries: readonly { readonly name: string; readonly path: string }[];
}

/**
 * Parses `ldd` output: `libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)`
 * lines and the loader's own `/lib64/ld-linux-x86-64.so.2 (0x…)` line; the
 * kernel's vDSO is skipped. Throws on a library ldd did not find; undefined
 * for a static executable. Pure.
 */
export function parseLdd(text: string): CRuntimeFiles | undefined {
  if (/not a dynamic executable|statically linked/.test(text)) return undefined;
  let loader: CRuntimeFiles["loader"] | undefined;
  const libraries: { name: string; path: string }[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || /^linux-(vdso|gate)\.so/.test(line)) continue;
    const mapped = line.match(/^(\S+) => (.*?)(?: \(0x[0-9a-f]+\))?$/);
    if (mapped) {
      if (!mapped[2].startsWith("/")) throw new Error(`ldd: ${mapped[1]} ${mapped[2]}`);
      libraries.push({ name: mapped[1], path: mapped[2] });
      continue;
    }
    const own = line.match(/^(\/\S+) \(0x[0-9a-f]+\)$/);
    if (own) loader = { name: own[1].slice(own[1].lastIndexOf("/") + 1), path: own[1] };
  }
  if (!loader) throw new Error("ldd named no dynamic loader");
  return { loader, libraries };
}

/** The C runtime `executable` runs on here, from `ldd`; undefined for a static executable. */
export async function cRuntimeOf(executable: string): Promise<CRuntimeFiles | undefined> {
  let r: Run;
  try {
    r = await run("ldd", [executable]);
  } catch (e) {
    throw new Error(`cannot run ldd on ${executable}: ${(e as Error).message}`);
  }
  if (r.code !== 0 && !/not a dynamic executable/.test(r.stdout + r.stderr)) {
    throw new Error(`ldd ${executable} failed: ${(r.stdout + r.stderr).trim()}`);
  }
  return parseLdd(r.stdout + r.stderr);
}

/**
 * Copies the C runtime of `executable` into `out/crt/` (replacing what was
 * there) and returns what the launchers need to know of it; undefined for a
 * static executable.
 */
export async function copyCRuntime(executable: string, out: string): Promise<CRuntime | undefined> {
  const files = await cRuntimeOf(executable);
  const dir = `${out}/${CRT_DIR}`;
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  if (!files) return undefined;
  const tmp = `${dir}.tmp-${Deno.pid}`;
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
  await Deno.mkdir(tmp);
  for (const f of [files.loader, ...files.libraries]) {
    // copyFile follows the symlinks (libc.so.6 -> libc-2.x.so on older systems).
    await Deno.copyFile(f.path, `${tmp}/${f.name}`);
    await Deno.chmod(`${tmp}/${f.name}`, 0o755);
  }
  await Deno.rename(tmp, dir);
  return { loader: files.loader.name, libraries: files.libraries.map((l) => l.name) };
}

/** Options of {@linkcode buildBundle}. */
export interface BundleOptions {
  /**
   * Copy the running Deno beside the bundle as `out/deno` (a self-contained
   * directory, as install.sh lays it out), with its C runtime in `out/crt/`;
   * otherwise the launchers fall back to the Deno that built them.
   */
  readonly withRuntime?: boolean;
  /** Leave the C runtime out: the image's own glibc runs the Deno runtime. */
  readonly systemLibc?: boolean;
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
  let crt: CRuntime | undefined;
  await Deno.remove(`${out}/${CRT_DIR}`, { recursive: true }).catch(() => {});
  await removeIfExists(`${out}/${COMPILED_NAME}`);
  if (options.withRuntime) {
    const runtimeTmp = `${out}/deno.tmp-${Deno.pid}`;
    await Deno.copyFile(Deno.execPath(), runtimeTmp);
    await Deno.chmod(runtimeTmp, 0o755);
    await Deno.rename(runtimeTmp, `${out}/deno`);
    files.push(`${out}/deno`);
    fallbackDeno = undefined;
    if (!options.systemLibc) {
      crt = await copyCRuntime(`${out}/deno`, out);
      if (crt) files.push(`${out}/${CRT_DIR}`);
    }
  } else {
    await removeIfExists(`${out}/deno`);
  }
  await writeAtomic(`${out}/systemctl`, bundleLauncher({ fallbackDeno, crt }), 0o755);
  await writeAtomic(
    `${out}/journalctl`,
    bundleLauncher({ fallbackDeno, crt, prefixArgs: JOURNALCTL_ARGS }),
    0o755,
  );
  const failure = await smokeTest(`${out}/systemctl`);
  if (failure) throw new Error(`${out}/systemctl --version failed: ${failure}`);
  return { mode: "bundle", files: [...files, `${out}/systemctl`, `${out}/journalctl`] };
}

/** Options of {@linkcode tryCompile}. */
export interface CompileOptions {
  /** Leave the C runtime out: the image's own glibc runs the binary. */
  readonly systemLibc?: boolean;
}

/**
 * `deno compile` into `out/deno-systemctl` plus the launchers; undefined
 * (after one line on stderr saying why) when the runtime cannot be had or
 * the binary does not run, through the bundled loader or at all.
 */
export async function tryCompile(
  out: string,
  options: CompileOptions = {},
): Promise<BuildResult | undefined> {
  await Deno.mkdir(out, { recursive: true });
  const bin = `${out}/${COMPILED_NAME}`;
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
  const launchers = {
    systemctl: `${out}/systemctl`,
    journalctl: `${out}/journalctl`,
  };
  const previous = await Promise.all(
    Object.values(launchers).map((f) => Deno.readTextFile(f).catch(() => undefined)),
  );
  let failure: string | undefined;
  let crt: CRuntime | undefined;
  try {
    if (!options.systemLibc) crt = await copyCRuntime(tmp, out);
    await Deno.rename(tmp, bin);
    await writeAtomic(launchers.systemctl, compiledLauncher({ crt }), 0o755);
    await writeAtomic(
      launchers.journalctl,
      compiledLauncher({ crt, prefixArgs: JOURNALCTL_ARGS }),
      0o755,
    );
    failure = await smokeTest(launchers.systemctl);
  } catch (e) {
    failure = (e as Error).message;
  }
  if (failure) {
    await removeIfExists(tmp);
    await removeIfExists(bin);
    await Deno.remove(`${out}/${CRT_DIR}`, { recursive: true }).catch(() => {});
    const paths = Object.values(launchers);
    for (const [i, text] of previous.entries()) {
      if (text === undefined) await removeIfExists(paths[i]);
      else await writeAtomic(paths[i], text, 0o755);
    }
    const what = denort ? `DENORT_BIN=${denort} (a full deno, not denort?)` : "deno compile";
    console.error(
      `deno compile: the binary built with ${what} does not run${
        crt ? " through the bundled loader" : ""
      } (${failure}); falling back to deno bundle.`,
    );
    return undefined;
  }
  await removeIfExists(`${out}/systemctl.js`);
  await removeIfExists(`${out}/deno`);
  for await (const e of Deno.readDir(out)) {
    if (e.isFile && CHUNK.test(e.name)) await Deno.remove(`${out}/${e.name}`);
  }
  const files = [bin, ...(crt ? [`${out}/${CRT_DIR}`] : []), launchers.systemctl];
  return { mode: "compile", files: [...files, launchers.journalctl] };
}

/** What the command line asks for. */
export interface BuildArgs {
  readonly mode: "compile" | "bundle";
  readonly out: string;
  readonly withRuntime: boolean;
  readonly systemLibc: boolean;
}

/** Parses `compile|bundle [--out DIR] [--with-runtime] [--system-libc]`; throws a usage error. */
export function parseBuildArgs(args: string[]): BuildArgs {
  let mode: "compile" | "bundle" | undefined;
  let out = `${REPO}/dist`;
  let withRuntime = false;
  let systemLibc = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "compile" || a === "bundle") mode = a;
    else if (a === "--with-runtime") withRuntime = true;
    else if (a === "--system-libc") systemLibc = true;
    else if (a === "--out" && i + 1 < args.length) out = args[++i];
    else if (a.startsWith("--out=")) out = a.slice(6);
    else throw new Error(`unknown argument ${a}`);
  }
  if (!mode) throw new Error("missing mode");
  return {
    mode,
    out: out.startsWith("/") ? out : `${Deno.cwd()}/${out}`,
    withRuntime,
    systemLibc,
  };
}

async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseBuildArgs(args);
  } catch (e) {
    console.error(`build: ${(e as Error).message}`);
    console.error(
      "usage: deno run --allow-all scripts/build.ts compile|bundle [--out DIR] [--with-runtime]" +
        " [--system-libc]",
    );
    return 2;
  }
  if (Deno.version.deno !== DENO_VERSION) {
    console.error(`build: warning: deno ${Deno.version.deno} is not the pinned ${DENO_VERSION}`);
  }
  try {
    const { systemLibc } = parsed;
    const result =
      (parsed.mode === "compile" ? await tryCompile(parsed.out, { systemLibc }) : undefined) ??
        await buildBundle(parsed.out, { withRuntime: parsed.withRuntime, systemLibc });
    for (const f of result.files) console.log(`built ${f} (${result.mode})`);
    return 0;
  } catch (e) {
    console.error(`build: ${(e as Error).message}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
