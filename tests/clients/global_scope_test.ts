/**
 * `--global` (Ansible's `scope: global`, `systemctl --global enable UNIT`): the user scope with
 * the global config dirs. The same command lines run, in order, on two copies of one root, one
 * through systemd 252's offline `systemctl --root=DIR`, one through ours; stdout, stderr, exit
 * codes and the links left behind must be equal. Skips (ignored, reason printed) where
 * /usr/bin/systemctl is not systemd 252.
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { MOD, PERMS } from "../cli/_cli.ts";
import { withoutBuiltinWarnings } from "../support/builtin_warnings.ts";

const REAL = "/usr/bin/systemctl";
const decoder = new TextDecoder();

function skipReason(): string | undefined {
  try {
    const out = new Deno.Command(REAL, { args: ["--version"], stdout: "piped", stderr: "null" })
      .outputSync();
    const first = decoder.decode(out.stdout).split("\n")[0];
    return /^systemd 252\b/.test(first) ? undefined : `${REAL} is not systemd 252 (${first})`;
  } catch (e) {
    return `${REAL} cannot run: ${e instanceof Error ? e.message : e}`;
  }
}

const SKIP = skipReason();
if (SKIP) console.log(`global_scope_test: ignored: ${SKIP}`);

const UNIT = "[Service]\nExecStart=/bin/sleep 100\n[Install]\nWantedBy=default.target\n";

function build(root: string): void {
  const files: Record<string, string> = {
    "etc/systemd/user/u.service": UNIT,
    "usr/lib/systemd/user/v.service": UNIT,
    "usr/lib/systemd/user/w.service": "[Service]\nExecStart=/bin/true\n",
    // A user's own unit: not in the global scope.
    "root/.config/systemd/user/mine.service": UNIT,
    // A system unit: not in the global scope either.
    "etc/systemd/system/sys.service": UNIT.replace("default.target", "multi-user.target"),
  };
  for (const [path, text] of Object.entries(files)) {
    Deno.mkdirSync(join(root, path, ".."), { recursive: true });
    Deno.writeTextFileSync(join(root, path), text);
  }
}

function links(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of Deno.readDirSync(dir)) {
      const p = join(dir, e.name);
      if (e.isSymlink) out.push(`${p.slice(root.length)} -> ${Deno.readLinkSync(p)}`);
      else if (e.isDirectory) walk(p);
    }
  };
  walk(root);
  return out.sort();
}

function run(cmd: string, args: string[]): { out: string; err: string; code: number } {
  const r = new Deno.Command(cmd, {
    args,
    cwd: "/tmp",
    stdout: "piped",
    stderr: "piped",
    env: { HOME: "/root", SYSTEMD_PAGER: "", SYSTEMD_COLORS: "0" },
  }).outputSync();
  return { out: decoder.decode(r.stdout), err: decoder.decode(r.stderr), code: r.code };
}

const STEPS: string[][] = [
  ["--global", "list-unit-files"],
  ["--global", "is-enabled", "u.service", "v.service", "w.service"],
  ["--global", "is-enabled", "mine.service"],
  ["--global", "is-enabled", "sys.service"],
  ["--global", "enable", "u.service"],
  ["--global", "enable", "v.service"],
  ["--global", "is-enabled", "u", "v"],
  ["--user", "--global", "is-enabled", "u"],
  ["--global", "--system", "is-enabled", "u"],
  ["--global", "disable", "v.service"],
  ["--global", "mask", "v.service"],
  ["--global", "list-unit-files", "--no-legend"],
  ["--global", "unmask", "v.service"],
  ["--global", "enable", "mine.service"],
  ["--global", "list-unit-files"],
];

Deno.test({
  name: "--global enables, masks and lists the global user units as systemd 252 does",
  ignore: SKIP !== undefined,
  fn() {
    const base = Deno.makeTempDirSync({ prefix: "global-scope-" });
    try {
      const a = join(base, "a"), b = join(base, "b");
      build(a);
      build(b);
      for (const step of STEPS) {
        const real = run(REAL, [`--root=${a}`, ...step]);
        const ours = run(Deno.execPath(), [
          "run",
          ...PERMS,
          "--quiet",
          MOD,
          `--root=${b}`,
          ...step,
        ]);
        const norm = (s: string) => s.replaceAll(b, a);
        const what = `systemctl ${step.join(" ")}`;
        assert.equal(norm(ours.out), real.out, `stdout of ${what}`);
        assert.equal(norm(ours.err), withoutBuiltinWarnings(real.err), `stderr of ${what}`);
        assert.equal(ours.code, real.code, `exit code of ${what}`);
        assert.deepEqual(links(b), links(a), `links after ${what}`);
      }
    } finally {
      Deno.removeSync(base, { recursive: true });
    }
  },
});
