/**
 * Differential tests: the real systemd 252 `systemctl --root` (offline verbs)
 * and ours run on identical copies of a root; stdout, stderr, exit code and
 * the resulting symlink trees must match. Skipped (with the reason printed)
 * where /usr/bin/systemctl is not systemd's.
 */

import assert from "node:assert/strict";
import { buildInstallTree, TREE_NAMES } from "../fixtures/install/tree.ts";
import { linksOf } from "../support/links.ts";
import { withoutBuiltinWarnings } from "../support/builtin_warnings.ts";

const MOD = new URL("../../mod.ts", import.meta.url).pathname;
const decoder = new TextDecoder();

function systemdReason(): string | undefined {
  try {
    const out = new Deno.Command("/usr/bin/systemctl", { args: ["--version"], stdout: "piped" })
      .outputSync();
    const first = decoder.decode(out.stdout).split("\n")[0];
    if (!/^systemd 252\b/.test(first)) return `/usr/bin/systemctl is not systemd 252 (${first})`;
    return undefined;
  } catch (e) {
    return `/usr/bin/systemctl cannot run: ${e instanceof Error ? e.message : e}`;
  }
}

const SKIP = systemdReason();
if (SKIP) console.log(`skipping unit-file differential tests: ${SKIP}`);

interface Outcome {
  out: string;
  err: string;
  code: number;
  links: string[];
}

function copyTree(src: string, dst: string): void {
  const r = new Deno.Command("cp", { args: ["-a", src, dst] }).outputSync();
  if (!r.success) throw new Error(`cp -a ${src} ${dst} failed`);
}

function run(cmd: string[], root: string): Outcome {
  const out = new Deno.Command(cmd[0], {
    args: [...cmd.slice(1)],
    cwd: "/tmp",
    stdout: "piped",
    stderr: "piped",
    env: { SYSTEMD_PAGER: "", SYSTEMD_COLORS: "0" },
  }).outputSync();
  return {
    out: decoder.decode(out.stdout),
    err: decoder.decode(out.stderr),
    code: out.code,
    links: linksOf(root),
  };
}

/** Runs one command line on two copies of `src` and compares everything. */
function compare(src: string, args: string[]): void {
  const base = Deno.makeTempDirSync({ prefix: "ufdiff-" });
  try {
    const a = `${base}/a`;
    const b = `${base}/b`;
    copyTree(src, a);
    copyTree(src, b);
    const real = run(["/usr/bin/systemctl", `--root=${a}`, ...args], a);
    const ours = run(
      [Deno.execPath(), "run", "-A", "--unstable-net", MOD, `--root=${b}`, ...args],
      b,
    );
    const norm = (s: string) => s.replaceAll(b, a);
    const what = `systemctl ${args.join(" ")}`;
    assert.equal(norm(ours.err), withoutBuiltinWarnings(real.err), `stderr of ${what}`);
    assert.equal(norm(ours.out), real.out, `stdout of ${what}`);
    assert.equal(ours.code, real.code, `exit code of ${what}`);
    assert.deepEqual(ours.links, real.links, `links after ${what}`);
  } finally {
    Deno.removeSync(base, { recursive: true });
  }
}

function withTree(fn: (root: string) => void, options = {}): () => void {
  return () => {
    const dir = Deno.makeTempDirSync({ prefix: "uftree-" });
    try {
      buildInstallTree(`${dir}/root`, options);
      fn(`${dir}/root`);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  };
}

const QUERIES: string[][] = [
  ["list-unit-files"],
  ["list-unit-files", "--no-legend"],
  ["list-unit-files", "-o", "json"],
  ["list-unit-files", "-o", "json-pretty", "u*"],
  ["list-unit-files", "--state=enabled,masked"],
  ["list-unit-files", "-t", "service", "-t", "socket", "*a*"],
  ["list-unit-files", "zz*"],
  ["list-unit-files", "--no-legend", "zz*"],
  ["is-enabled", ...TREE_NAMES],
  ["is-enabled", "nope", "a"],
  ["is-enabled", "-q", "c"],
  ["is-enabled", "-q", "b"],
  ["is-enabled", "dangling"],
];

Deno.test({
  name: "list-unit-files and is-enabled print what systemd 252 prints for the same root",
  ignore: SKIP !== undefined,
  fn: withTree((root) => {
    for (const q of QUERIES) compare(root, q);
  }, { dangling: true }),
});

const CHANGES: string[][] = [
  ["enable", "split", "libonly"],
  ["disable", "split"],
  ["enable", "a"],
  ["enable", "aa"],
  ["enable", "c"],
  ["enable", "t@"],
  ["enable", "t@y", "u@z"],
  ["enable", "u@"],
  ["enable", "di@"],
  ["enable", "ne"],
  ["enable", "alsom"],
  ["enable", "alsoc"],
  ["enable", "up"],
  ["enable", "spec@"],
  ["enable", "spec@two"],
  ["enable", "dropin"],
  ["enable", "masked-etc"],
  ["enable", "masked-run"],
  ["enable", "empty"],
  ["enable", "lnk"],
  ["enable", "/opt/ext.service"],
  ["enable", "reboot.target"],
  ["enable", "x.socket", "x.timer"],
  ["enable", "--runtime", "a", "rt"],
  ["enable", "--force", "a"],
  ["enable", "-q", "a", "c"],
  ["enable", "nope"],
  ["enable", "dangling"],
  ["enable", "relc"],
  ["disable", "a"],
  ["disable", "aa"],
  ["disable", "t@"],
  ["disable", "u@"],
  ["disable", "rt"],
  ["disable", "--runtime", "rt"],
  ["disable", "nope", "a"],
  ["disable", "lnk"],
  ["disable", "dangling"],
  ["disable", "masked-etc"],
  ["disable", "relc"],
  ["disable", "c"],
  ["reenable", "a"],
  ["reenable", "t@"],
  ["reenable", "lnk"],
  ["mask", "c"],
  ["mask", "c", "a"],
  ["mask", "empty"],
  ["mask", "--runtime", "c"],
  ["unmask", "masked-etc"],
  ["unmask", "masked-run"],
  ["unmask", "--runtime", "masked-run"],
  ["unmask", "empty"],
  ["link", "/opt/ext.service"],
  ["link", "/opt/nope.service"],
  ["link", "/usr/lib/systemd/system/a.service"],
  ["preset", "a", "b", "ne"],
  ["preset", "u@"],
  ["preset", "x.socket"],
  ["preset", "--preset-mode=enable-only", "x.socket", "a"],
  ["preset", "nope"],
  ["preset-all"],
  ["preset-all", "--preset-mode=disable-only"],
  ["preset-all", "--preset-mode=enable-only"],
  ["set-default", "multi-user"],
  ["set-default", "nope"],
  ["add-wants", "multi-user.target", "c"],
  ["add-requires", "graphical.target", "a"],
  ["revert", "a"],
];

Deno.test({
  name: "enable, disable, mask, link, preset and friends change the same links as systemd 252",
  ignore: SKIP !== undefined,
  fn: withTree((root) => {
    for (const c of CHANGES) compare(root, c);
  }, { dangling: true }),
});

Deno.test({
  name: "preset-all applies the whole policy as systemd 252 does when no link dangles",
  ignore: SKIP !== undefined,
  fn: withTree((root) => {
    for (const mode of ["full", "enable-only", "disable-only"]) {
      compare(root, ["preset-all", `--preset-mode=${mode}`]);
    }
  }),
});

/** Bytes: strings as UTF-8, numbers as raw bytes. */
function bytes(...parts: Array<string | number>): Uint8Array {
  const enc = new TextEncoder();
  return new Uint8Array(parts.flatMap((p) => typeof p === "number" ? [p] : [...enc.encode(p)]));
}

Deno.test({
  name: "unit files that are not UTF-8 clean are bad, with systemd 252's file:line warnings",
  ignore: SKIP !== undefined,
  fn() {
    const dir = Deno.makeTempDirSync({ prefix: "uftree-" });
    const etc = `${dir}/root/etc/systemd/system`;
    try {
      Deno.mkdirSync(`${etc}/d8.service.d`, { recursive: true });
      Deno.mkdirSync(`${etc}/multi-user.target.wants`, { recursive: true });
      const install = "[Install]\nWantedBy=multi-user.target\n";
      // A bad byte in a comment is fine; in a continued line the last line counts.
      Deno.writeFileSync(
        `${etc}/u8.service`,
        bytes(
          "[Unit]\n# caf",
          0xe9,
          "\nBogus\n[Service]\nExecStart=/bin/true \\\n  caf",
          0xe9,
          "\n",
          install,
        ),
      );
      // A noncharacter (U+FFFE) is not clean for systemd, though a fatal decoder takes it.
      Deno.writeFileSync(
        `${etc}/nc.service`,
        bytes(
          "[Service]\nExecStart=/bin/true\n",
          install,
          "Alias=",
          0xef,
          0xbf,
          0xbe,
          ".service\n",
        ),
      );
      Deno.writeFileSync(`${etc}/d8.service`, bytes("[Service]\nExecStart=/bin/true\n", install));
      Deno.writeFileSync(
        `${etc}/d8.service.d/x.conf`,
        bytes("[Service]\nEnvironment=A=", 0xc0, 0xaf, "\n"),
      );
      Deno.writeFileSync(`${etc}/ok.service`, bytes("[Service]\nExecStart=/bin/true\n", install));
      for (
        const q of [
          ["list-unit-files"],
          ["is-enabled", "u8"],
          ["is-enabled", "d8"],
          ["is-enabled", "nc"],
          ["enable", "ok", "u8"],
          ["enable", "d8"],
          ["disable", "nc"],
        ]
      ) {
        compare(`${dir}/root`, q);
      }
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "[Install] is read by the unit parser with systemd 252's words, specifiers and errors",
  ignore: SKIP !== undefined,
  fn() {
    const dir = Deno.makeTempDirSync({ prefix: "uftree-" });
    const lib = `${dir}/root/usr/lib/systemd/system`;
    try {
      Deno.mkdirSync(lib, { recursive: true });
      Deno.mkdirSync(`${dir}/root/etc/systemd/system`, { recursive: true });
      const units: Record<string, string> = {
        // A continued line is reported at its last line; an unknown section is named.
        "cont.service":
          "[Unit]\nDescription=x\n[Install]\nWantedBy=a.target \\\n  b.target\nFoo=bar \\\n# c\n baz\n[Bogus]\nX=1\n",
        // WantedBy= keeps backslashes and the words before unbalanced quotes.
        "strv.service": '[Install]\nWantedBy=x.target "b\n',
        "esc.service": "[Install]\nWantedBy=a\\ b.target\n",
        // Specifiers that [Install] does not know, and a template's DefaultInstance in %N.
        "a-b.service": "[Install]\nWantedBy=%P.target\n",
        "p@.service": "[Install]\nDefaultInstance=one\nWantedBy=%N-%i.target\n",
        "also1.service": "[Install]\nWantedBy=a.target\nAlso=%P.service\n",
        "also2.service": "[Install]\nWantedBy=a.target\nAlso=q\\ r.service\n",
        "hdr.service": "[Install]\nWantedBy=a.target\n[Install\nWantedBy=b.target\n",
        "pct.service": "[Install]\nWantedBy=c%%-%n-%j-%p.target\n",
      };
      for (const [n, text] of Object.entries(units)) Deno.writeTextFileSync(`${lib}/${n}`, text);
      compare(`${dir}/root`, ["list-unit-files"]);
      for (const n of Object.keys(units)) compare(`${dir}/root`, ["enable", n]);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

function hostTree(): string | undefined {
  try {
    if (!Deno.statSync("/lib/systemd/system").isDirectory) return undefined;
  } catch {
    return undefined;
  }
  const dir = Deno.makeTempDirSync({ prefix: "ufhost-" });
  Deno.mkdirSync(`${dir}/root/usr/lib/systemd`, { recursive: true });
  Deno.mkdirSync(`${dir}/root/etc/systemd`, { recursive: true });
  copyTree("/lib/systemd/system", `${dir}/root/usr/lib/systemd/system`);
  for (
    const [src, dst] of [
      ["/lib/systemd/system-preset", "usr/lib/systemd/system-preset"],
      ["/etc/systemd/system", "etc/systemd/system"],
    ]
  ) {
    try {
      Deno.statSync(src);
      copyTree(src, `${dir}/root/${dst}`);
    } catch { /* not on this machine */ }
  }
  return dir;
}

Deno.test({
  name: "list-unit-files on a copy of this machine's unit files matches systemd 252",
  ignore: SKIP !== undefined,
  fn() {
    const dir = hostTree();
    if (!dir) {
      console.log("no /lib/systemd/system on this machine");
      return;
    }
    try {
      const root = `${dir}/root`;
      compare(root, ["list-unit-files"]);
      compare(root, ["list-unit-files", "--type=service", "--all", "--full"]);
      compare(root, ["preset-all"]);
      const names = [...Deno.readDirSync(`${root}/usr/lib/systemd/system`)]
        .map((e) => e.name)
        .filter((n) => /\.(service|socket|timer|target|path)$/.test(n))
        .sort();
      compare(root, ["is-enabled", ...names]);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

/** A root whose unit files and preset file hold lines at and over systemd's LONG_LINE_MAX. */
function longLineTree(dir: string, preset: boolean): string {
  const root = `${dir}/root`;
  const units = `${root}/etc/systemd/system`;
  const M = 1 << 20;
  const files: Record<string, string> = {
    // One byte under the limit, and at it (read_line refuses a line of M bytes).
    "under.service": "[Service]\nExecStart=/bin/true\nX-A=" + "a".repeat(M - 5) +
      "\n[Install]\nWantedBy=multi-user.target\n",
    "at.service": "[Service]\nExecStart=/bin/true\nX-A=" + "a".repeat(M - 4) +
      "\n[Install]\nWantedBy=multi-user.target\n",
    // After [Install], and in a continued line of many short pieces.
    "late.service": "[Install]\nWantedBy=multi-user.target\nX-A=" + "a".repeat(2 * M) + "\n",
    "cont.service": "[Install]\nWantedBy=a.target \\\n" + "b.target \\\n".repeat(M / 10) +
      "c.target\n",
    // A drop-in with a long line makes the unit bad too.
    "drop.service": "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n",
    "drop.service.d/a.conf": "[Install]\nWantedBy=x.target\nX-A=" + "a".repeat(M) + "\n",
    "ok.service": "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n",
  };
  for (const [name, text] of Object.entries(files)) {
    Deno.mkdirSync(`${units}/${name.includes("/") ? name.split("/")[0] : ""}`, {
      recursive: true,
    });
    Deno.writeTextFileSync(`${units}/${name}`, text);
  }
  if (preset) {
    Deno.mkdirSync(`${root}/etc/systemd/system-preset`, { recursive: true });
    Deno.writeTextFileSync(
      `${root}/etc/systemd/system-preset/50-x.preset`,
      "disable ok.service\n#" + "a".repeat(M) + "\n",
    );
  }
  return root;
}

Deno.test({
  name: "unit files with lines over LONG_LINE_MAX are 'bad' and refused as by systemd 252",
  ignore: SKIP !== undefined,
  fn() {
    const dir = Deno.makeTempDirSync({ prefix: "uflong-" });
    try {
      const root = longLineTree(dir, false);
      const names = ["under", "at", "late", "cont", "drop", "ok"].map((n) => `${n}.service`);
      compare(root, ["list-unit-files", ...names]);
      for (const n of names) {
        compare(root, ["is-enabled", n]);
        compare(root, ["enable", n]);
      }
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "a preset file with a line over LONG_LINE_MAX fails presets as in systemd 252",
  ignore: SKIP !== undefined,
  fn() {
    const dir = Deno.makeTempDirSync({ prefix: "uflong-" });
    try {
      const root = longLineTree(dir, true);
      compare(root, ["list-unit-files", "ok.service", "under.service"]);
      compare(root, ["preset", "ok.service"]);
      compare(root, ["preset-all"]);
      compare(root, ["is-enabled", "ok.service"]);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
