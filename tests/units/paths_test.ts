/**
 * The one `--root` resolver, `RootMap.resolve`, against the kernel: generated symlink
 * trees and generated paths (`//`, `/./`, `..`, absolute and relative links at every
 * component, loops) are resolved by `RootMap.resolve`, by the process layer's descriptor
 * walk (`openIn`), by the kernel (`openat2(RESOLVE_IN_ROOT)`, the lookup of `chroot`) and,
 * where a component is missing, by `realpath -m` run inside `chroot(root)`; the answers
 * must agree and never leave the root.
 */

import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { RootMap } from "../../src/units/paths.ts";
import { openIn, RootFsError } from "../../src/process/rootfs.ts";

const IS_ROOT = Deno.uid() === 0;
const ENOTDIR = 20;

/** A small seeded generator (mulberry32), so a failure names its case. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = ["a", "b", "c"];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)];
}

/** A path of 0..n components from names, `.`, `..` and empty ones (`//`). */
function genPath(r: () => number, max: number): string {
  const n = Math.floor(r() * (max + 1));
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const x = r();
    parts.push(x < 0.6 ? pick(r, NAMES) : x < 0.75 ? ".." : x < 0.87 ? "." : "");
  }
  return parts.join("/");
}

/** A random tree of directories, files and symlinks (absolute and relative) under root. */
function genTree(r: () => number, root: string): void {
  const dirs = [""];
  const count = 4 + Math.floor(r() * 10);
  for (let i = 0; i < count; i++) {
    const parent = pick(r, dirs);
    const name = pick(r, NAMES);
    const path = `${root}${parent}/${name}`;
    try {
      Deno.lstatSync(path);
      continue;
    } catch { /* free */ }
    try {
      const x = r();
      if (x < 0.4) {
        Deno.mkdirSync(path);
        dirs.push(`${parent}/${name}`);
      } else if (x < 0.5) {
        Deno.writeTextFileSync(path, "");
      } else {
        const target = genPath(r, 4);
        const abs = r() < 0.5;
        Deno.symlinkSync(abs ? `/${target}` : target || ".", path);
      }
    } catch { /* parent is a file: skip */ }
  }
}

/** The dynamic loader and C library of realpath(1), copied into the root's /o. */
function installRealpath(root: string): string[] {
  const ldd = new Deno.Command("ldd", { args: ["/usr/bin/realpath"] }).outputSync();
  const libs = new TextDecoder().decode(ldd.stdout).split("\n")
    .map((l) => /(\/\S+)/.exec(l.includes("=>") ? l.split("=>")[1] : l)?.[1])
    .filter((l): l is string => l !== undefined);
  const loader = libs.find((l) => /ld-linux|ld-.*\.so/.test(l.slice(l.lastIndexOf("/"))));
  if (!loader) throw new Error("no dynamic loader for realpath");
  Deno.mkdirSync(`${root}/o`);
  for (const l of [...libs, "/usr/bin/realpath"]) {
    Deno.copyFileSync(l, `${root}/o/${l.slice(l.lastIndexOf("/") + 1)}`);
  }
  const ld = `/o/${loader.slice(loader.lastIndexOf("/") + 1)}`;
  return [ld, "--library-path", "/o", "/o/realpath", "-m", "--"];
}

/** `realpath -m PATH` inside chroot(root), for each path; undefined where it fails. */
function realpathM(root: string, argv: string[], paths: string[]): (string | undefined)[] {
  // Bounded by timeout(1): realpath -m of coreutils 9.1 spins on some link loops.
  const run = (ps: string[]) =>
    new Deno.Command("timeout", { args: ["5", "chroot", root, ...argv, ...ps], stderr: "null" })
      .outputSync();
  const all = run(paths);
  if (all.success) {
    const lines = new TextDecoder().decode(all.stdout).split("\n").slice(0, -1);
    if (lines.length === paths.length) return lines;
  }
  return paths.map((p) => {
    const one = run([p]);
    return one.success ? new TextDecoder().decode(one.stdout).replace(/\n$/, "") : undefined;
  });
}

const libc = Deno.dlopen("libc.so.6", {
  syscall: { parameters: ["i64", "i64", "buffer", "buffer", "i64"], result: "i64" },
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
});
const SYS_OPENAT2 = 437n;
const O_PATH = 0o10000000, O_NOFOLLOW = 0o400000, O_CLOEXEC = 0o2000000, O_DIRECTORY = 0o200000;
const RESOLVE_IN_ROOT = 0x10;
const ELOOP = 40;

function cstr(s: string): Uint8Array<ArrayBuffer> {
  const b = new TextEncoder().encode(s);
  const out = new Uint8Array(Math.max(b.length + 1, 256));
  out.set(b);
  return out;
}

/**
 * The kernel's own answer: `openat2(root, path, O_PATH, RESOLVE_IN_ROOT)` (the lookup of
 * `chroot(root)`), the object's host path read back from /proc/self/fd; `{ errno }` when
 * the lookup fails (ENOENT for a missing component, ELOOP, ENOTDIR).
 */
function kernelLookup(root: string, path: string, follow: boolean): string | { errno: number } {
  const rootFd = libc.symbols.open(cstr(root), O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
  if (rootFd < 0) throw new Error(`cannot open ${root}`);
  try {
    const how = new BigUint64Array(32);
    how[0] = BigInt(O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
    how[2] = BigInt(RESOLVE_IN_ROOT);
    const fd = Number(
      libc.symbols.syscall(
        SYS_OPENAT2,
        BigInt(rootFd),
        cstr(path),
        new Uint8Array(how.buffer),
        24n,
      ),
    );
    if (fd < 0) {
      const at = libc.symbols.__errno_location()!;
      return { errno: new Deno.UnsafePointerView(at).getInt32() };
    }
    try {
      return Deno.readLinkSync(`/proc/self/fd/${fd}`);
    } finally {
      libc.symbols.close(fd);
    }
  } finally {
    libc.symbols.close(rootFd);
  }
}

/** Where the process layer's descriptor walk (rootfs.ts) ends: the opened object's path. */
function walkedPath(root: string, path: string, follow: boolean): string {
  let fd: number;
  try {
    fd = openIn(root, path, O_PATH, 0, { follow });
  } catch (e) {
    if (e instanceof RootFsError) return e.code === ELOOP ? "ELOOP" : `errno ${e.code}`;
    throw e;
  }
  try {
    return Deno.readLinkSync(`/proc/self/fd/${fd}`);
  } finally {
    libc.symbols.close(fd);
  }
}

/** The parent part and the last name of a path whose last component is a plain name. */
function splitLeaf(path: string): { parent: string; leaf: string } | undefined {
  if (/\/\.?$/.test(path)) return undefined;
  const cut = path.lastIndexOf("/");
  const leaf = path.slice(cut + 1);
  if (leaf === "" || leaf === "." || leaf === "..") return undefined;
  return { parent: path.slice(0, cut + 1) || "/", leaf };
}

Deno.test({
  name: "RootMap.resolve agrees with the kernel inside chroot on generated trees and paths",
  ignore: !IS_ROOT,
  fn() {
    const seed = Number(Deno.env.get("PATHS_SEED") ?? 2026);
    const trees = Number(Deno.env.get("PATHS_TREES") ?? 60);
    const r = rng(seed);
    const count = { kernel: 0, realpath: 0, loops: 0, unchecked: 0, unlessMissing: 0, missing: 0 };
    let escapes = 0;
    const mismatches: string[] = [];
    const inRoot = (root: string, p: string) => p === root || p.startsWith(root + "/");
    const root = Deno.makeTempDirSync({ prefix: "paths-prop-" });
    try {
      const argv = installRealpath(root);
      for (let t = 0; t < trees; t++) {
        for (const n of NAMES) {
          try {
            Deno.removeSync(`${root}/${n}`, { recursive: true });
          } catch { /* not there */ }
        }
        genTree(r, root);
        const map = new RootMap(root);
        const paths: string[] = [];
        for (let i = 0; i < 40; i++) {
          const p = genPath(r, 6);
          const x = r();
          paths.push(x < 0.2 ? `//${p}` : x < 0.3 ? `/./${p}` : x < 0.4 ? `${root}/${p}` : `/${p}`);
        }
        // Where the kernel's lookup fails on a missing component, realpath -m inside the
        // chroot says where the path would be (what mkdir -p or O_CREAT would make).
        const cases: Array<{ path: string; follow: boolean; mine?: string; kernel?: string }> = [];
        for (const p of paths) {
          for (const follow of [true, false]) {
            if (!follow && !splitLeaf(p)) continue;
            let mine: string | undefined;
            try {
              mine = map.resolve(p, follow);
            } catch (e) {
              if (!(e instanceof Deno.errors.FilesystemLoop)) throw e;
            }
            if (mine !== undefined && !inRoot(root, mine)) escapes++;
            const asked = p.startsWith(root + "/") ? p.slice(root.length) : p;
            const k = kernelLookup(root, asked, follow);
            const walked = walkedPath(root, asked, follow);
            const where = `seed ${seed} tree ${t} ${p} follow=${follow}`;
            if (follow && mine !== undefined) {
              // unlessMissing: resolve's path where something is there (the kernel's, where
              // it finds one), else undefined; a file taken for a directory is the caller's
              // stat's to find.
              const found = map.unlessMissing(p);
              let there = true;
              try {
                Deno.statSync(mine);
              } catch {
                there = false;
              }
              const want = there
                ? mine
                : typeof k !== "string" && k.errno === ENOTDIR
                ? found
                : undefined;
              if (typeof k === "string" && k !== mine) mismatches.push(`${where}: ${mine} != ${k}`);
              if (found !== want) {
                mismatches.push(`${where}: unlessMissing ${found} != ${JSON.stringify(k)}`);
              } else {
                count.unlessMissing++;
                if (found === undefined) count.missing++;
              }
            }
            if (typeof k === "string") {
              count.kernel++;
              if (mine !== k) mismatches.push(`${where}: ${mine} != ${k}`);
              if (walked !== k) mismatches.push(`${where}: walk ${walked} != ${k}`);
            } else if (k.errno === ELOOP) {
              count.loops++;
              if (mine !== undefined) mismatches.push(`${where}: ${mine} != ELOOP`);
              if (walked !== "ELOOP") mismatches.push(`${where}: walk ${walked} != ELOOP`);
            } else if (mine !== undefined) {
              cases.push({ path: asked, follow, mine });
            } else {
              // A loop behind a missing component: the kernel stops at the missing one, and
              // realpath -m of coreutils 9.1 spins on such loops; not compared.
              count.unchecked++;
            }
          }
        }
        // realpath -m has no "don't follow the last component": ask for the parent.
        const asked = cases.map((c) => c.follow ? c.path : splitLeaf(c.path)!.parent);
        const answers = realpathM(root, argv, asked);
        cases.forEach((c, i) => {
          const a = answers[i];
          if (a === undefined) {
            mismatches.push(`seed ${seed} tree ${t} ${c.path}: realpath -m failed`);
            return;
          }
          count.realpath++;
          const base = a === "/" ? root : root + a;
          const want = c.follow ? base : `${base === "/" ? "" : base}/${splitLeaf(c.path)!.leaf}`;
          if (c.mine !== want) {
            mismatches.push(
              `seed ${seed} tree ${t} ${c.path} follow=${c.follow} (missing): ${c.mine} != ${want}`,
            );
          }
        });
      }
    } finally {
      Deno.removeSync(root, { recursive: true });
    }
    console.log(
      `compared with the kernel: ${count.kernel} lookups, ${count.loops} ELOOP; ` +
        `with realpath -m in chroot: ${count.realpath} paths with missing components; ` +
        `${count.unchecked} loops behind a missing component; unlessMissing: ${count.unlessMissing} ` +
        `(${count.missing} missing)`,
    );
    deepStrictEqual(mismatches.slice(0, 10), []);
    strictEqual(escapes, 0);
    ok(count.kernel > trees * 10 && count.realpath > trees * 5 && count.loops > 0);
    ok(count.unchecked < count.loops);
    ok(count.unlessMissing > trees * 10 && count.missing > trees);
  },
});

Deno.test("RootMap.resolve: `//`, `..` and absolute links stay inside the root", () => {
  const root = Deno.makeTempDirSync({ prefix: "paths-" });
  try {
    Deno.mkdirSync(`${root}/etc`);
    Deno.symlinkSync("/", `${root}/up`);
    Deno.symlinkSync("/tmp", `${root}/run`);
    Deno.symlinkSync("../../../../..", `${root}/etc/rel`);
    const map = new RootMap(root);
    strictEqual(map.resolve("//tmp/x/precious"), `${root}/tmp/x/precious`);
    strictEqual(map.resolve("/../../etc/shadow"), `${root}/etc/shadow`);
    strictEqual(map.resolve("/up/etc/shadow"), `${root}/etc/shadow`);
    strictEqual(map.resolve("/run/systemd/system"), `${root}/tmp/systemd/system`);
    strictEqual(map.resolve("/etc/rel/etc/passwd"), `${root}/etc/passwd`);
    strictEqual(map.resolve("/./etc//./x"), `${root}/etc/x`);
    strictEqual(map.resolve(`${root}/../../etc/x`), `${root}/etc/x`);
    // The last component: followed or taken as the link itself.
    strictEqual(map.resolve("/run", false), `${root}/run`);
    strictEqual(map.resolve("/run", true), `${root}/tmp`);
    strictEqual(map.host("/run"), `${root}/run`);
    // A trailing slash or `.` makes the last component a directory to enter.
    strictEqual(map.resolve("/run/", false), `${root}/tmp`);
    strictEqual(map.resolve("/", false), root);
    Deno.symlinkSync("loop", `${root}/loop`);
    throws(() => map.resolve("/loop/x"), Deno.errors.FilesystemLoop);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test(
  "RootMap.resolve follows the last component inside the root after a `..` climbed back over a missing one",
  () => {
    const root = Deno.makeTempDirSync({ prefix: "paths-" });
    try {
      // /etc -> nope/../etc2 (nope missing, as realpath -m takes it); the leaf is a link to
      // an absolute path, which must lead inside the root, never to the host's file.
      Deno.mkdirSync(`${root}/etc2`);
      Deno.mkdirSync(`${root}/inside`);
      Deno.writeTextFileSync(`${root}/inside/id`, "in the root\n");
      Deno.symlinkSync("nope/../etc2", `${root}/etc`);
      Deno.symlinkSync("/inside/id", `${root}/etc2/machine-id`);
      const map = new RootMap(root);
      strictEqual(map.resolve("/etc/machine-id"), `${root}/inside/id`);
      strictEqual(map.unlessMissing("/etc/machine-id"), `${root}/inside/id`);
      strictEqual(map.resolve("/etc/machine-id", false), `${root}/etc2/machine-id`);
      // A search dir reached the same way exists; one below the missing component does not.
      Deno.mkdirSync(`${root}/etc2/systemd/system`, { recursive: true });
      strictEqual(map.unlessMissing("/etc/systemd/system"), `${root}/etc2/systemd/system`);
      strictEqual(map.unlessMissing("/etc/nope/system"), undefined);
      strictEqual(map.resolve("/etc/nope/x"), `${root}/etc2/nope/x`);
    } finally {
      Deno.removeSync(root, { recursive: true });
    }
  },
);

Deno.test("RootMap.resolve: a link whose target is not UTF-8 never leads out of the root", () => {
  const root = Deno.makeTempDirSync({ prefix: "paths-" });
  const host = Deno.makeTempDirSync({ prefix: "paths-host-" });
  try {
    Deno.writeTextFileSync(`${host}/f`, "HOST\n");
    // /e -> "\xff2" (Deno cannot read such a target as a string), and /\xff2 -> the host dir.
    const r = new Deno.Command("sh", {
      args: [
        "-c",
        `cd "$1" && bad="$(printf '\\3772')" && ln -s "$bad" e && ln -s "$2" "$bad"`,
        "sh",
        root,
        host,
      ],
    }).outputSync();
    ok(r.success, new TextDecoder().decode(r.stderr));
    ok(Deno.readTextFileSync(`${root}/e/f`) === "HOST\n", "the kernel follows it to the host");
    const map = new RootMap(root);
    const got = map.resolve("/e/f");
    ok(got.startsWith(`${root}/`) && got !== `${root}/e/f`, got);
    throws(() => Deno.readTextFileSync(got), Deno.errors.NotFound);
    strictEqual(map.unlessMissing("/e/f"), undefined);
  } finally {
    Deno.removeSync(root, { recursive: true });
    Deno.removeSync(host, { recursive: true });
  }
});

Deno.test("RootMap.resolve without a root: the host's own path, `//x` is `/x`", () => {
  const map = new RootMap(undefined);
  strictEqual(map.resolve("//tmp/x"), "/tmp/x");
  strictEqual(map.resolve("/etc/../etc/x"), "/etc/../etc/x");
  strictEqual(new RootMap("/").resolve("//x", false), "/x");
});
