import assert from "node:assert/strict";
import { KEPT_PERMISSIONS, revokedPermissions } from "../src/cli/permissions.ts";
import { VERBS } from "../src/cli/registry.ts";
import { PERMISSION_FLAGS } from "../scripts/flags.ts";
import { bundleLauncher } from "../scripts/launcher.ts";
import { selfCommand } from "../src/process/self.ts";

const REPO = new URL("..", import.meta.url).pathname;
const PERMISSIONS_MODULE = new URL("../src/cli/permissions.ts", import.meta.url).href;

// Drops permissions for the class in argv[0], then tries one operation of
// each kind and prints what happened: "ok", or the error's class name.
const PROBE = `
import { dropPermissions } from ${JSON.stringify(PERMISSIONS_MODULE)};
const dir = Deno.args[1];
await dropPermissions(Deno.args[0]);
async function attempt(fn) {
  try { await fn(); return "ok"; } catch (e) { return e?.constructor?.name ?? String(e); }
}
const result = {
  read: await attempt(() => Deno.readTextFile("/etc/hostname")),
  env: await attempt(() => Deno.env.get("HOME")),
  sys: await attempt(() => Deno.hostname()),
  write: await attempt(() => Deno.writeTextFile(dir + "/written", "x")),
  run: await attempt(() => new Deno.Command("true").output()),
  ffi: await attempt(() => Deno.dlopen("libc.so.6", { getpid: { parameters: [], result: "i32" } })),
  net: await attempt(() => Deno.listenDatagram({ transport: "unixpacket", path: dir + "/notify" }).close()),
  import: await attempt(() => import("https://example.invalid/x.js")),
};
console.log(JSON.stringify(result));
`;

async function probe(access: string): Promise<Record<string, string>> {
  const dir = await Deno.makeTempDir({ prefix: "perm-probe-" });
  try {
    const script = `${dir}/probe.js`;
    await Deno.writeTextFile(script, PROBE);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-config", ...PERMISSION_FLAGS, script, access, dir],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    return JSON.parse(text);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a query verb that tried to spawn, write, load a library or open a socket is refused", async () => {
  const r = await probe("read");
  assert.equal(r.read, "ok");
  assert.equal(r.env, "ok");
  assert.equal(r.sys, "ok");
  assert.equal(r.write, "NotCapable");
  assert.equal(r.run, "NotCapable");
  assert.equal(r.ffi, "NotCapable");
  assert.equal(r.net, "NotCapable");
  assert.notEqual(r.import, "ok");
});

Deno.test("a write verb may write but not spawn", async () => {
  const r = await probe("write");
  assert.equal(r.read, "ok");
  assert.equal(r.write, "ok");
  assert.equal(r.run, "NotCapable");
  assert.equal(r.ffi, "NotCapable");
  assert.equal(r.net, "NotCapable");
});

Deno.test("an inspect verb reads procfs through libc but may not write or spawn", async () => {
  const r = await probe("inspect");
  assert.deepEqual(
    { read: r.read, write: r.write, run: r.run, ffi: r.ffi, net: r.net },
    { read: "ok", write: "NotCapable", run: "NotCapable", ffi: "ok", net: "NotCapable" },
  );
});

Deno.test("a run verb keeps spawning, FFI and Unix sockets", async () => {
  const r = await probe("run");
  assert.deepEqual(
    { read: r.read, write: r.write, run: r.run, ffi: r.ffi, net: r.net },
    { read: "ok", write: "ok", run: "ok", ffi: "ok", net: "ok" },
  );
  assert.notEqual(r.import, "ok");
});

Deno.test("every access class revokes remote imports and keeps read, env and sys", () => {
  for (const access of ["read", "inspect", "write", "run"] as const) {
    assert.ok(revokedPermissions(access).includes("import"));
    for (const kept of ["read", "env", "sys"] as const) {
      assert.ok(KEPT_PERMISSIONS[access].includes(kept), `${access} keeps ${kept}`);
    }
  }
});

Deno.test("query verbs of the verb table may neither write nor spawn", () => {
  const query = /^(status|show|cat|is-.*|list-.*|get-default|help)$/;
  for (const verb of VERBS) {
    if (!query.test(verb.name)) continue;
    assert.ok(verb.access === "read" || verb.access === "inspect", `${verb.name}: ${verb.access}`);
    assert.ok(revokedPermissions(verb.access).includes("write"), verb.name);
    assert.ok(revokedPermissions(verb.access).includes("run"), verb.name);
  }
});

Deno.test("the permission list grants no -A and no import or scripts", () => {
  assert.ok(!PERMISSION_FLAGS.includes("-A") && !PERMISSION_FLAGS.includes("--allow-all"));
  assert.ok(!PERMISSION_FLAGS.some((f) => /^--allow-(import|scripts)/.test(f)));
  assert.ok(PERMISSION_FLAGS.includes("--no-prompt"));
});

Deno.test("the self re-invocation asks for no permission the launcher does not grant", () => {
  // What the installed launcher really runs with, read from the text it is generated as,
  // against the flags the exec helper's re-invocation really passes (selfCommand()).
  const line = bundleLauncher().split("\n").find((l) => l.startsWith('exec "$deno" run '));
  assert.ok(line, "the launcher has an exec line");
  const granted = new Set(line.split(" ").filter((w) => w.startsWith("--")));
  const asked = selfCommand().args.filter((a) => /^--(allow|unstable)-/.test(a));
  assert.ok(asked.length > 0, "the re-invocation passes its permissions explicitly");
  for (const flag of asked) assert.ok(granted.has(flag), `${flag} is granted by the launcher`);
  // And the run class, the widest, keeps nothing the launcher does not grant.
  for (const name of KEPT_PERMISSIONS.run) {
    assert.ok(granted.has(`--allow-${name}`), `the launcher grants --allow-${name}`);
  }
});

Deno.test("show still works after dropping to the read class", async () => {
  const root = await Deno.makeTempDir({ prefix: "perm-root-" });
  try {
    await Deno.mkdir(`${root}/etc/systemd/system`, { recursive: true });
    await Deno.writeTextFile(
      `${root}/etc/systemd/system/web.service`,
      "[Unit]\nDescription=Web\n[Service]\nExecStart=/bin/true\n",
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...PERMISSION_FLAGS,
        `${REPO}mod.ts`,
        `--root=${root}`,
        "show",
        "-p",
        "Id,Description",
        "web.service",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.match(stdout, /^Id=web\.service$/m);
    assert.match(stdout, /^Description=Web$/m);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("journalctl drops every permission but read, env and sys before it reads a file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "perm-journal-" });
  try {
    const journalctl = new URL("../src/cli/journalctl.ts", import.meta.url).href;
    // The companion's own entry, then one operation of each kind in the same process.
    const script = `${dir}/probe.js`;
    await Deno.writeTextFile(
      script,
      `import { journalctlMain } from ${JSON.stringify(journalctl)};
const io = { out() {}, err() {}, flush() {}, stdoutIsTty: false };
await journalctlMain(["--root=${dir}", "-u", "x.service", "--no-pager"], io);
async function attempt(fn) {
  try { await fn(); return "ok"; } catch (e) { return e?.constructor?.name ?? String(e); }
}
console.log(JSON.stringify({
  read: await attempt(() => Deno.readTextFile("/etc/hostname")),
  write: await attempt(() => Deno.writeTextFile(${JSON.stringify(dir)} + "/written", "x")),
  run: await attempt(() => new Deno.Command("true").output()),
  ffi: await attempt(() => Deno.dlopen("libc.so.6", { getpid: { parameters: [], result: "i32" } })),
  net: await attempt(() => Deno.listen({ port: 0, hostname: "127.0.0.1" }).close()),
}));
`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-config", ...PERMISSION_FLAGS, script],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.deepEqual(JSON.parse(new TextDecoder().decode(out.stdout)), {
      read: "ok",
      write: "NotCapable",
      run: "NotCapable",
      ffi: "NotCapable",
      net: "NotCapable",
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
