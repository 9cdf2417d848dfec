/**
 * Issue 18, items 5 and 7: no owner or mode change through a link, no path out of `--root`.
 * Each test reproduces a case found on main: a service user's link in a shared
 * StateDirectory= made the next start chown a root-only file; `//` at the start of a path
 * (and absolute links inside the root) reached host files through PIDFile=,
 * StandardOutput=/StandardError=, EnvironmentFile=, WorkingDirectory=, listening sockets
 * and `/run`. Each checks that nothing outside the root changed and that the path went
 * where chroot would put it.
 * @module
 */

import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { eventually, type Root, rootTest, type Run } from "./_support.ts";

function ok0(r: Run, what = "command"): void {
  strictEqual(r.code, 0, `${what} exited ${r.code}: ${r.stderr}`);
}

/** A host directory beside the root (nothing may change there) and its listing. */
function outside(root: Root): { dir: string; snapshot(): string[]; done(): void } {
  const dir = `${root.path}-outside`;
  Deno.mkdirSync(dir, { recursive: true });
  Deno.chmodSync(dir, 0o755);
  const snapshot = () => {
    const out: string[] = [];
    const walk = (d: string) => {
      for (const e of Deno.readDirSync(d)) {
        const p = `${d}/${e.name}`;
        const st = Deno.lstatSync(p);
        const body = st.isFile ? Deno.readTextFileSync(p) : "";
        out.push(`${p} ${st.uid}:${st.gid} ${(st.mode! & 0o7777).toString(8)} ${body}`);
        if (st.isDirectory) walk(p);
      }
    };
    walk(dir);
    return out.sort();
  };
  return { dir, snapshot, done: () => Deno.removeSync(dir, { recursive: true }) };
}

function owner(path: string): string {
  const st = Deno.lstatSync(path);
  return `${st.uid}:${st.gid} ${(st.mode! & 0o7777).toString(8)}`;
}

rootTest(
  "StateDirectory= shared by two users: a link one user made never gets the other's owner onto a root-only file",
  async (root) => {
    const out = outside(root);
    try {
      // Root-only files: one on the host beside the root, one inside the root.
      const hostSecret = join(out.dir, "secret");
      Deno.writeTextFileSync(hostSecret, "host secret\n");
      Deno.chmodSync(hostSecret, 0o600);
      Deno.writeTextFileSync(join(root.path, "etc/shadow-ish"), "root secret\n");
      Deno.chmodSync(join(root.path, "etc/shadow-ish"), 0o600);
      const state = join(root.path, "var/lib/shared");
      root.unit(
        "a.service",
        `[Service]\nType=oneshot\nUser=nobody\nStateDirectory=shared\n` +
          `ExecStart=/bin/sh -c 'ln -s ${hostSecret} "$STATE_DIRECTORY/x"; ` +
          `ln -s /etc/shadow-ish "$STATE_DIRECTORY/y"; ln -s /etc "$STATE_DIRECTORY/etc"; ` +
          `mkdir "$STATE_DIRECTORY/d"; ln -s ${out.dir} "$STATE_DIRECTORY/d/up"'\n`,
      );
      root.unit(
        "b.service",
        `[Service]\nType=oneshot\nUser=daemon\nStateDirectory=shared\nExecStart=/bin/true\n`,
      );
      ok0(await root.run("start", "a.service"), "start a");
      ok(Deno.lstatSync(join(state, "x")).isSymlink, "a made its links");
      ok0(await root.run("start", "b.service"), "start b");
      strictEqual(owner(hostSecret), "0:0 600");
      strictEqual(owner(join(root.path, "etc/shadow-ish")), "0:0 600");
      strictEqual(owner(join(root.path, "etc")), "0:0 755");
      strictEqual(owner(out.dir), "0:0 755");
      // The directory and the links themselves are the new user's.
      const daemon = Deno.lstatSync(state).uid;
      ok(daemon !== 0 && daemon !== 65534, `daemon's uid, not ${daemon}`);
      for (const n of ["x", "y", "etc", "d", "d/up"]) {
        strictEqual(Deno.lstatSync(join(state, n)).uid, daemon, n);
      }
    } finally {
      out.done();
    }
  },
);

rootTest(
  "StateDirectory= below another user's directory: its link is not followed for chown or chmod",
  async (root) => {
    // A root-only directory inside the root, with a root-only file in it.
    const priv = join(root.path, "srv/private");
    Deno.mkdirSync(priv, { recursive: true });
    Deno.chmodSync(priv, 0o700);
    Deno.writeTextFileSync(join(priv, "key"), "root secret\n");
    Deno.chmodSync(join(priv, "key"), 0o600);
    root.unit(
      "a.service",
      `[Service]\nType=oneshot\nUser=nobody\nStateDirectory=shared\n` +
        `ExecStart=/bin/sh -c 'ln -s /srv/private "$STATE_DIRECTORY/sub"'\n`,
    );
    root.unit(
      "b.service",
      `[Service]\nType=oneshot\nUser=daemon\nStateDirectory=shared/sub\n` +
        `StateDirectoryMode=0777\nExecStart=/bin/true\n`,
    );
    ok0(await root.run("start", "a.service"), "start a");
    const b = await root.run("start", "b.service");
    strictEqual(owner(priv), "0:0 700");
    strictEqual(owner(join(priv, "key")), "0:0 600");
    ok(b.code !== 0, "b must not start on a directory it cannot have");
    const log = Deno.readTextFileSync(join(root.path, "var/log/journal/b.service.log"));
    match(log, /Failed to set up state directory \/var\/lib\/shared\/sub: Potentially unsafe/);
  },
);

rootTest(
  "PIDFile=//host/path: stop removes the file inside the root, not the host's",
  async (root) => {
    const out = outside(root);
    try {
      Deno.writeTextFileSync(join(out.dir, "precious"), "keep me\n");
      Deno.mkdirSync(join(root.path, out.dir), { recursive: true });
      Deno.writeTextFileSync(join(root.path, out.dir, "precious"), "1\n");
      const before = out.snapshot();
      root.unit(
        "pf.service",
        `[Service]\nExecStart=/bin/sleep 3181\nPIDFile=/${out.dir}/precious\n`,
      );
      ok0(await root.run("start", "pf.service"), "start");
      await root.run("stop", "pf.service");
      deepStrictEqual(out.snapshot(), before);
      ok(!exists(join(root.path, out.dir, "precious")), "the in-root PID file is removed");
    } finally {
      out.done();
    }
  },
);

rootTest(
  "StandardOutput=file://… and StandardError=append://… are created inside the root",
  async (root) => {
    const out = outside(root);
    try {
      Deno.symlinkSync(out.dir, join(root.path, "logs"));
      // As in systemd, the file's directory must exist: inside the root it does.
      Deno.mkdirSync(join(root.path, out.dir), { recursive: true });
      const before = out.snapshot();
      root.unit(
        "io.service",
        `[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo to-out; echo to-err >&2'\n` +
          `StandardOutput=file://${out.dir}/o\nStandardError=append:/logs/e\n`,
      );
      root.unit(
        "io2.service",
        `[Service]\nType=oneshot\nUser=nobody\nExecStart=/bin/sh -c 'echo to-out; echo to-err >&2'\n` +
          `StandardOutput=truncate://${out.dir}/o2\nStandardError=append://${out.dir}/e2\n`,
      );
      ok0(await root.run("start", "io.service"), "start io");
      ok0(await root.run("start", "io2.service"), "start io2 (exec helper)");
      deepStrictEqual(out.snapshot(), before);
      strictEqual(Deno.readTextFileSync(join(root.path, out.dir, "o")), "to-out\n");
      strictEqual(Deno.readTextFileSync(join(root.path, out.dir, "e")), "to-err\n");
      strictEqual(Deno.readTextFileSync(join(root.path, out.dir, "o2")), "to-out\n");
      strictEqual(Deno.readTextFileSync(join(root.path, out.dir, "e2")), "to-err\n");
    } finally {
      out.done();
    }
  },
);

rootTest(
  "EnvironmentFile=//host/secret and a link to the host give the service no host secret",
  async (root) => {
    const out = outside(root);
    try {
      Deno.writeTextFileSync(join(out.dir, "secret.env"), "HOST_SECRET=hunter2\n");
      Deno.symlinkSync(join(out.dir, "secret.env"), join(root.path, "etc/app.env"));
      Deno.mkdirSync(join(root.path, out.dir), { recursive: true });
      Deno.writeTextFileSync(join(root.path, out.dir, "secret.env"), "ROOT_VALUE=inside\n");
      const file = root.file("env");
      root.unit(
        "env.service",
        `[Service]\nType=oneshot\nEnvironmentFile=//${out.dir}/secret.env\n` +
          `EnvironmentFile=-/etc/app.env\nExecStart=/bin/sh -c 'env > ${file}'\n`,
      );
      ok0(await root.run("start", "env.service"), "start");
      const env = Deno.readTextFileSync(file);
      ok(!env.includes("hunter2"), env);
      match(env, /^ROOT_VALUE=inside$/m);
      strictEqual(env.match(/^ROOT_VALUE=/gm)?.length, 1);
    } finally {
      out.done();
    }
  },
);

rootTest("WorkingDirectory=//host/dir runs the service in the root's directory", async (root) => {
  const out = outside(root);
  try {
    Deno.mkdirSync(join(root.path, out.dir, "work"), { recursive: true });
    Deno.mkdirSync(join(out.dir, "work"));
    Deno.symlinkSync(join(out.dir, "work"), join(root.path, "srv"));
    const file = root.file("pwd");
    root.unit(
      "wd.service",
      `[Service]\nType=oneshot\nWorkingDirectory=//${out.dir}/work\n` +
        `ExecStart=/bin/sh -c '/bin/pwd -P > ${file}'\n`,
    );
    root.unit(
      "wd2.service",
      `[Service]\nType=oneshot\nUser=nobody\nWorkingDirectory=/srv\n` +
        `ExecStart=/bin/pwd -P\nStandardOutput=file:/scratch/pwd2\n`,
    );
    ok0(await root.run("start", "wd.service"), "start");
    strictEqual(Deno.readTextFileSync(file), `${root.path}${out.dir}/work\n`);
    ok0(await root.run("start", "wd2.service"), "start wd2 (exec helper)");
    strictEqual(Deno.readTextFileSync(root.file("pwd2")), `${root.path}${out.dir}/work\n`);
  } finally {
    out.done();
  }
});

rootTest(
  "an in-root /run that is an absolute link: state, /run/systemd/system and sockets stay in the root",
  async (root) => {
    const out = outside(root);
    try {
      Deno.mkdirSync(join(out.dir, "run"));
      Deno.symlinkSync(join(out.dir, "run"), join(root.path, "run"));
      const before = out.snapshot();
      root.unit("s.service", `[Service]\nExecStart=/bin/sleep 3191\nRuntimeDirectory=s\n`);
      root.unit(
        "l.socket",
        `[Socket]\nListenStream=/run/l.sock\nListenStream=//${out.dir}/l2.sock\n`,
      );
      root.unit("l.service", `[Service]\nExecStart=/bin/sleep 3192\n`);
      ok0(await root.run("start", "s.service"), "start");
      ok0(await root.run("start", "l.socket"), "start socket");
      strictEqual((await root.run("is-active", "s.service")).stdout, "active\n");
      deepStrictEqual(out.snapshot(), before);
      const inside = join(root.path, out.dir, "run");
      ok(exists(join(inside, "systemctl")), "state inside the root");
      ok(exists(join(inside, "s")), "RuntimeDirectory= inside the root");
      ok(Deno.lstatSync(join(inside, "l.sock")).isSocket, "the socket inside the root");
      ok(Deno.lstatSync(join(root.path, out.dir, "l2.sock")).isSocket, "// socket inside the root");
      // Stopping a socket leaves the service it started running, as in systemd: stop both.
      ok0(await root.run("stop", "s.service", "l.socket", "l.service"), "stop");
      ok(await eventually(() => !exists(join(inside, "s"))), "RuntimeDirectory= removed");
      deepStrictEqual(out.snapshot(), before);
    } finally {
      out.done();
    }
  },
);

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
