/**
 * The test suite's own hygiene (issue 20): it leaves the host as it found it, tests remove
 * the temporary directories they make, a test whose tool is missing is ignored with its
 * reason instead of passing, and `.ci/run` installs every tool the tests use.
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { differences, snapshot } from "../scripts/host_check.ts";
import { tempDir } from "./support/tmp.ts";

const REPO = new URL("../", import.meta.url).pathname;
const HOST_CHECK = join(REPO, "scripts/host_check.ts");

/** Every .ts file under tests/ but the fixtures, with its text. */
function testSources(): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  const walk = (dir: string) => {
    for (const e of Deno.readDirSync(dir)) {
      const path = join(dir, e.name);
      if (e.isDirectory && e.name !== "fixtures") walk(path);
      else if (e.isFile && e.name.endsWith(".ts")) {
        out.push({ path: path.slice(REPO.length), text: Deno.readTextFileSync(path) });
      }
    }
  };
  walk(join(REPO, "tests"));
  return out;
}

Deno.test("the host check sees entries added, removed and changed, and nothing else", () => {
  const top = tempDir("host-check-top-");
  const tree = tempDir("host-check-tree-");
  Deno.writeTextFileSync(`${top}/kept`, "x");
  Deno.writeTextFileSync(`${top}/gone`, "x");
  Deno.mkdirSync(`${tree}/sub`);
  Deno.writeTextFileSync(`${tree}/sub/log`, "a\n");
  Deno.writeTextFileSync(`${tree}/same`, "a\n");
  const watched = { top: [top], tree: [tree, `${tree}/absent`] };
  const before = snapshot(watched);
  assert.deepEqual(differences(before, snapshot(watched)), []);
  Deno.removeSync(`${top}/gone`);
  Deno.mkdirSync(`${top}/sysctl-cli-x`);
  // Inside a top-level directory nothing counts; under a tree everything does.
  Deno.writeTextFileSync(`${top}/kept`, "longer");
  Deno.writeTextFileSync(`${tree}/sub/log`, "a\nb\n", { append: true });
  Deno.symlinkSync("/dev/null", `${tree}/sub/link`);
  assert.deepEqual(
    differences(before, snapshot(watched)).map((l) => l.replace(/ \(.*$/, "")),
    [
      `- ${top}/gone`,
      `+ ${top}/sysctl-cli-x`,
      `~ ${tree}/sub/log`,
      `+ ${tree}/sub/link`,
    ].sort((a, b) => a.slice(2).localeCompare(b.slice(2))),
  );
});

Deno.test("host_check.ts -- CMD fails on a change, passes without one, keeps CMD's failure", async () => {
  const top = tempDir("host-check-run-");
  const run = async (...cmd: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", HOST_CHECK, `--top=${top}`, "--", ...cmd],
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { code: out.code, text: new TextDecoder().decode(out.stdout) };
  };
  const quiet = await run("true");
  assert.deepEqual([quiet.code, quiet.text], [0, `host check: no change in ${top}\n`]);
  const leak = await run("mkdir", `${top}/journalctl-test-1`);
  assert.equal(leak.code, 1);
  assert.match(leak.text, new RegExp(`^  \\+ ${top}/journalctl-test-1 \\(dir\\)$`, "m"));
  assert.equal((await run("false")).code, 1);
  assert.equal((await run("sh", "-c", "exit 3")).code, 3);
});

Deno.test("every temporary directory a test makes is removed by it", () => {
  // Either tests/support/tmp.ts makes it (removed when the module ends), or the line says
  // who removes it, or the same file removes the variable it was assigned to in a finally.
  const problems: string[] = [];
  for (const { path, text } of testSources()) {
    if (path === "tests/support/tmp.ts" || path === "tests/hygiene_test.ts") continue;
    const lines = text.split("\n");
    lines.forEach((line, i) => {
      if (!/Deno\.makeTemp(Dir|File)(Sync)?\(/.test(line)) return;
      if (/\/\/ removed by /.test(line)) return;
      const name = /(?:const|let) (\w+) = (?:await )?Deno\.makeTemp/.exec(line)?.[1];
      const rest = lines.slice(i + 1).join("\n");
      const finallyAt = rest.indexOf("finally");
      const removed = name !== undefined && finallyAt >= 0 &&
        new RegExp(`(remove(Sync|Tree)?|cleanup)\\(\\s*${name}\\b`).test(rest.slice(finallyAt));
      if (!removed) problems.push(`${path}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(problems, [], "use tempDir() of tests/support/tmp.ts, or remove it in finally");
});

Deno.test("no test passes in silence when its tool is missing", () => {
  // The pattern of issue 20: a test body that prints "skipped" and returns is reported as
  // passed. A missing tool makes the test ignored (Deno.test's `ignore`) with the reason.
  const problems: string[] = [];
  for (const { path, text } of testSources()) {
    for (const m of text.matchAll(/console\.log\([^\n]*skip[^\n]*\);?\s*\n\s*return\b/gi)) {
      problems.push(`${path}: ${m[0].split("\n")[0].trim()}`);
    }
    for (const m of text.matchAll(/return skip\(/g)) problems.push(`${path}: ${m[0]}`);
  }
  assert.deepEqual(problems, []);
});

Deno.test(".ci/run installs the package of every tool a test needs", () => {
  const ci = Deno.readTextFileSync(join(REPO, ".ci/run"));
  const list = /packages=\(([\s\S]*?)\n\)/.exec(ci)?.[1] ?? "";
  const packages = new Set(
    list.split("\n").map((l) => l.replace(/#.*/, "")).join(" ").split(/\s+/).filter((w) => w),
  );
  // Tool (as the tests name it in their skip reasons) → the Debian package that ships it.
  const needed: Record<string, string> = {
    socat: "socat",
    "/usr/bin/python3": "python3",
    "/usr/sbin/sshd": "openssh-server",
    shellcheck: "shellcheck",
    "systemd-analyze": "systemd",
    "/usr/bin/systemctl": "systemd",
    "systemd-sysv-install": "systemd",
    debootstrap: "debootstrap",
    "ansible-playbook": "ansible-core",
    unshare: "util-linux",
    setpriv: "util-linux",
    "ip (iproute2)": "iproute2",
    "/usr/share/zoneinfo": "tzdata",
    curl: "curl",
    "redis-cli": "redis-tools",
    "ssh-keyscan": "openssh-server",
    mysql: "mariadb-client",
    pg_isready: "postgresql",
    nginx: "nginx",
    "redis-server": "redis-server",
    memcached: "memcached",
    apache2: "apache2",
    "mariadb-server": "mariadb-server",
  };
  const sources = testSources().map((s) => s.text).join("\n");
  for (const [tool, pkg] of Object.entries(needed)) {
    assert.ok(sources.includes(tool.replace(/ \(.*/, "")), `no test names ${tool} any more`);
    assert.ok(packages.has(pkg), `.ci/run does not install ${pkg} (for ${tool})`);
  }
});
