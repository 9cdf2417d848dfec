/**
 * Issue 18.6: the notify socket lives in a directory only root can write, made and checked
 * without following a symlink, its mode set without following one; a path too long for a
 * socket address is refused in one line (no fallback to a shared directory such as /tmp).
 */

import { deepStrictEqual, equal, match, ok, strictEqual } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { IS_ROOT, pidsMatching, rootTest, service } from "./_support.ts";

const DRIVER = fileURLToPath(new URL("./_notify_dir.ts", import.meta.url));
const NOBODY = 65534;

async function namespaceSkipReason(): Promise<string | undefined> {
  if (!IS_ROOT) return "needs root";
  try {
    Deno.statSync("/usr/bin/python3");
  } catch {
    return "needs /usr/bin/python3";
  }
  const out = await new Deno.Command("unshare", {
    args: ["--mount", "--propagation", "private", "true"],
    stdout: "null",
    stderr: "null",
  }).output().catch(() => undefined);
  return out?.code === 0 ? undefined : "unshare --mount fails here";
}

const skip = await namespaceSkipReason();
if (skip) console.log(`notify_dir_test: namespace test skipped: ${skip}`);

Deno.test({
  name: "a root path too long for the notify socket is refused in one line; /tmp is never used " +
    "and no root-owned file changes mode",
  ignore: skip !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    // A private /tmp (tmpfs): the driver may make /tmp/systemctl-0 and a root-owned file there.
    const out = await new Deno.Command("unshare", {
      args: [
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        `mount -t tmpfs tmpfs /tmp && exec "$0" run --allow-all "$1"`,
        Deno.execPath(),
        DRIVER,
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    strictEqual(out.code, 0, new TextDecoder().decode(out.stderr));
    const res = JSON.parse(text.trim().split("\n").at(-1)!);
    strictEqual(res.preciousMode, 0o600, "a root-owned 0600 file changed mode");
    for (const line of res.dirs as string[]) {
      // A service that ran saw its socket in a directory of root's that nobody else writes.
      const [uid, mode] = line.split(" ");
      ok(uid === "0" && (parseInt(mode, 8) & 0o022) === 0, `socket directory: ${line}`);
    }
    for (const start of res.starts as { code: number; stderr: string }[]) {
      if (start.code === 0) continue;
      const lines = start.stderr.trimEnd().split("\n");
      match(
        lines[0],
        /^n\.service: Failed to open notify socket: path too long for a socket address \(123 bytes, at most 107\): \/tmp\/r+\/run\/systemctl\/notify\/[0-9a-f]{16}$/,
      );
      match(lines[1], /^Job for n\.service failed because of unavailable resources/);
      equal(lines.length, 3, start.stderr);
    }
  },
});

rootTest(
  "a notify socket directory that someone else can write, or a symlink, is refused",
  async (root) => {
    root.unit(
      "n.service",
      service(
        `Type=notify\nNotifyAccess=all\nTimeoutStartSec=5\nExecStart=/bin/sh -c ` +
          `'systemd-notify --ready; exec sleep 4211'`,
      ),
    );
    const dir = join(root.path, "run/systemctl/notify");
    Deno.mkdirSync(dir, { recursive: true });
    Deno.chownSync(dir, NOBODY, NOBODY);
    let r = await root.run("start", "n.service");
    strictEqual(r.code, 1, r.stderr);
    match(
      r.stderr,
      new RegExp(
        `^n\\.service: Failed to open notify socket: refusing ${dir}: not a directory that ` +
          `only uid 0 can write \\(owner ${NOBODY}, mode 0755\\)\\n`,
      ),
    );
    deepStrictEqual([...Deno.readDirSync(dir)], [], "a socket was made in it");
    deepStrictEqual(pidsMatching("sleep 4211"), []);

    // Root's, but writable by others.
    Deno.chownSync(dir, 0, 0);
    Deno.chmodSync(dir, 0o777);
    r = await root.run("start", "n.service");
    strictEqual(r.code, 1, r.stderr);
    match(r.stderr, /not a directory that only uid 0 can write \(owner 0, mode 0777\)/);

    // A symlink to a directory of root's: never followed.
    Deno.removeSync(dir);
    const elsewhere = join(root.path, "elsewhere");
    Deno.mkdirSync(elsewhere);
    Deno.symlinkSync(elsewhere, dir);
    r = await root.run("start", "n.service");
    strictEqual(r.code, 1, r.stderr);
    match(r.stderr, /^n\.service: Failed to open notify socket: .*notify: /);
    deepStrictEqual([...Deno.readDirSync(elsewhere)], []);

    // Made by us: 0755, root's, and the socket 0777 in it (as the service saw it).
    Deno.removeSync(dir);
    const seen = root.file("seen");
    root.unit(
      "n.service",
      service(
        `Type=notify\nNotifyAccess=all\nTimeoutStartSec=5\nExecStart=/bin/sh -c ` +
          `'stat -c "%%u %%a %%F" "$NOTIFY_SOCKET" > ${seen}; systemd-notify --ready; ` +
          `exec sleep 4211'`,
      ),
    );
    strictEqual((await root.run("start", "n.service")).code, 0);
    const st = Deno.lstatSync(dir);
    strictEqual(st.uid, 0);
    strictEqual(st.mode! & 0o7777, 0o755);
    strictEqual(Deno.readTextFileSync(seen), "0 777 socket\n");
    strictEqual((await root.run("stop", "n.service")).code, 0);
  },
);
