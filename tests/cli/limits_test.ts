/**
 * Unit files written to stall or crash the program (issue 18 item 9) through the real
 * CLI: every verb that loads the root finishes, a JavaScript error never reaches the
 * user, and the one unit with a line over LONG_LINE_MAX fails to load as in systemd 252
 * (`systemd-analyze verify` prints "Unit long.service failed to load properly, please
 * adjust/correct and reload service manager: No buffer space available").
 */

import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { makeTree, parseShow, systemctl } from "./_cli.ts";

const D = "/etc/systemd/system";
const JS_ERROR = /RangeError|TypeError|Maximum call stack| {4}at |Uncaught|error: /;

function hostileRoot(): string {
  return makeTree({
    [`${D}/long.service`]: "[Unit]\nDescription=long\n[Service]\nExecStart=/bin/echo " +
      "a".repeat(2 << 20) + "\n",
    [`${D}/cont.service`]: "[Service]\nExecStart=/bin/echo \\\n" + "ab\\\n".repeat(200_000) +
      "end\n",
    [`${D}/env.service`]: "[Service]\nExecStart=/bin/true\n" +
      Array.from({ length: 200_000 }, (_, i) => `Environment=V${i}=x\n`).join(""),
    // Active and referring to the others, so that they stay loaded (as systemd's manager holds
    // a unit another loaded unit references) and list-units --all lists them.
    [`${D}/ok.service`]: "[Unit]\nAfter=long.service cont.service env.service\n" +
      "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n",
  });
}

Deno.test("list-units --all, show and daemon-reload finish on a root of hostile unit files", async () => {
  const root = hostileRoot();
  try {
    const started = await systemctl([`--root=${root}`, "start", "ok.service"]);
    deepStrictEqual([started.code, started.stderr], [0, ""]);
    const list = await systemctl([`--root=${root}`, "list-units", "--all", "--no-legend"]);
    strictEqual(list.stderr, "");
    strictEqual(list.code, 0);
    const rows = list.stdout.split("\n").filter((l) => /\.service/.test(l));
    match(rows.find((l) => l.includes("long.service")) ?? "", /long\.service\s+error\s+inactive/);
    for (const name of ["cont", "env"]) {
      match(rows.find((l) => l.includes(`${name}.service`)) ?? "", /\s+loaded\s+inactive/);
    }
    match(rows.find((l) => l.includes("ok.service")) ?? "", /\s+loaded\s+active\s+exited/);

    const show = await systemctl([
      `--root=${root}`,
      "show",
      "long.service",
      "cont.service",
      "env.service",
      "-p",
      "Id,LoadState,LoadError,ExecStart,Environment",
    ]);
    strictEqual(show.stderr, "");
    strictEqual(show.code, 0);
    ok(!JS_ERROR.test(show.stdout));
    const [long, cont, env] = show.stdout.split("\n\n").map(parseShow);
    deepStrictEqual([long.Id, long.LoadState, long.LoadError], [
      "long.service",
      "error",
      'org.freedesktop.DBus.Error.InvalidArgs "No buffer space available"',
    ]);
    ok(cont.ExecStart.includes(`argv[]=/bin/echo ${"ab ".repeat(200_000)}end ;`));
    strictEqual(env.Environment.split(" ").length, 200_000);

    // The one warning, where systemd's config_parse would log it.
    const reload = await systemctl([`--root=${root}`, "daemon-reload"]);
    strictEqual(reload.code, 0);
    strictEqual(reload.stderr, `${D}/long.service:4: Line too long\n`);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("start of a unit with a 2 MiB line fails in one line, in systemd's words", async () => {
  const root = hostileRoot();
  try {
    const r = await systemctl([`--root=${root}`, "start", "long.service"]);
    strictEqual(r.code, 1);
    strictEqual(
      r.stderr,
      "Failed to start long.service: Unit long.service failed to load properly, please " +
        "adjust/correct and reload service manager: No buffer space available\n",
    );
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
