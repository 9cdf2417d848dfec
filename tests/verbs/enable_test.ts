import assert from "node:assert/strict";
import { parseCommandLine } from "../../src/cli/args.ts";
import type { Context } from "../../src/cli/context.ts";
import { RootMap } from "../../src/units/paths.ts";
import {
  disable,
  enable,
  getDefault,
  isEnabled,
  listUnitFiles,
  mask,
  NO_INSTALL_INFO_NOTICE,
  setDefault,
} from "../../src/verbs/enable.ts";
import { buildInstallTree } from "../fixtures/install/tree.ts";

type Handler = (ctx: Context, args: string[]) => Promise<number>;

/** Runs a handler with options parsed from argv; returns stdout, stderr and the exit code. */
async function call(
  handler: Handler,
  root: string,
  argv: string[],
): Promise<{ out: string; err: string; code: number }> {
  const parsed = parseCommandLine([`--root=${root}`, ...argv]);
  if (!parsed.ok) throw new Error(parsed.error);
  let out = "";
  let err = "";
  const ctx: Context = {
    options: parsed.options,
    root: new RootMap(parsed.options.root),
    scope: parsed.options.scope,
    env: {},
    io: {
      out: (t) => void (out += t),
      err: (t) => void (err += t),
      flush: () => {},
      stdoutIsTty: false,
    },
    prog: "systemctl",
    now: () => 0,
    warn: (t) => void (err += t + "\n"),
  };
  const code = await handler(ctx, parsed.args);
  return { out, err: err.replaceAll(root, "<root>"), code };
}

function withRoot(fn: (root: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = Deno.makeTempDirSync({ prefix: "verbs-enable-" });
    try {
      await fn(dir);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  };
}

function unitsOnly(root: string): void {
  const u = `${root}/usr/lib/systemd/system`;
  Deno.mkdirSync(u, { recursive: true });
  Deno.mkdirSync(`${root}/etc/systemd/system`, { recursive: true });
  const svc = "[Service]\nExecStart=/bin/true\n";
  Deno.writeTextFileSync(`${u}/app.service`, `${svc}[Install]\nWantedBy=multi-user.target\n`);
  Deno.writeTextFileSync(`${u}/helper.service`, svc);
  Deno.writeTextFileSync(`${u}/app.socket`, "[Socket]\nListenStream=1\n[Install]\nWantedBy=x\n");
  Deno.writeTextFileSync(`${u}/multi-user.target`, "[Unit]\n");
}

Deno.test(
  "list-unit-files prints padded columns and the count footer",
  withRoot(async (root) => {
    unitsOnly(root);
    const r = await call(listUnitFiles, root, ["list-unit-files"]);
    assert.equal(r.code, 0);
    assert.equal(
      r.out,
      "UNIT FILE         STATE    PRESET\n" +
        "app.service       disabled enabled\n" +
        "helper.service    static   -\n" +
        "app.socket        disabled enabled\n" +
        "multi-user.target static   -\n" +
        "\n4 unit files listed.\n",
    );
  }),
);

Deno.test(
  "list-unit-files exits 1 and prints a bare header when nothing matches",
  withRoot(async (root) => {
    unitsOnly(root);
    const r = await call(listUnitFiles, root, ["list-unit-files", "nothing*"]);
    assert.equal(r.code, 1);
    assert.equal(r.out, "UNIT FILE STATE PRESET\n\n0 unit files listed.\n");
    const q = await call(listUnitFiles, root, ["list-unit-files", "--no-legend", "nothing*"]);
    assert.equal(q.out, "");
  }),
);

Deno.test(
  "list-unit-files -o json uses null for an absent preset",
  withRoot(async (root) => {
    unitsOnly(root);
    const r = await call(listUnitFiles, root, ["list-unit-files", "-o", "json", "helper*"]);
    assert.equal(r.out, '[{"unit_file":"helper.service","state":"static","preset":null}]\n');
  }),
);

Deno.test(
  "is-enabled stops at an unknown unit with systemd's message",
  withRoot(async (root) => {
    unitsOnly(root);
    const r = await call(isEnabled, root, ["is-enabled", "helper", "nope", "app"]);
    assert.equal(r.out, "static\n");
    assert.equal(
      r.err,
      "Failed to get unit file state for nope.service: No such file or directory\n",
    );
    assert.equal(r.code, 1);
    const q = await call(isEnabled, root, ["is-enabled", "-q", "app"]);
    assert.deepEqual([q.out, q.code], ["", 1]);
  }),
);

Deno.test(
  "enable prints each created symlink on stderr, root included",
  withRoot(async (root) => {
    unitsOnly(root);
    const r = await call(enable, root, ["enable", "app"]);
    assert.equal(r.code, 0);
    assert.equal(
      r.err,
      "Created symlink <root>/etc/systemd/system/multi-user.target.wants/app.service" +
        " \u2192 /usr/lib/systemd/system/app.service.\n",
    );
    const s = await call(isEnabled, root, ["is-enabled", "app"]);
    assert.deepEqual([s.out, s.code], ["enabled\n", 0]);
    const d = await call(disable, root, ["disable", "app"]);
    assert.equal(
      d.err,
      'Removed "<root>/etc/systemd/system/multi-user.target.wants/app.service".\n',
    );
  }),
);

Deno.test(
  "enable of a unit without [Install] prints the notice and exits 0",
  withRoot(async (root) => {
    unitsOnly(root);
    const r = await call(enable, root, ["enable", "helper"]);
    assert.deepEqual([r.err, r.code], [NO_INSTALL_INFO_NOTICE, 0]);
    const q = await call(enable, root, ["enable", "-q", "helper"]);
    assert.equal(q.err, "");
  }),
);

Deno.test(
  "enable of an unknown unit fails; disable of one only complains",
  withRoot(async (root) => {
    unitsOnly(root);
    const e = await call(enable, root, ["enable", "nope"]);
    assert.deepEqual([e.err, e.code], [
      "Failed to enable unit, unit nope.service does not exist.\n",
      1,
    ]);
    const d = await call(disable, root, ["disable", "nope"]);
    assert.deepEqual([d.err, d.code], [
      "Failed to disable unit, unit nope.service does not exist.\n",
      0,
    ]);
  }),
);

Deno.test(
  "mask links to /dev/null and enable then refuses",
  withRoot(async (root) => {
    unitsOnly(root);
    const m = await call(mask, root, ["mask", "app"]);
    assert.equal(
      m.err,
      "Created symlink <root>/etc/systemd/system/app.service \u2192 /dev/null.\n",
    );
    const e = await call(enable, root, ["enable", "app"]);
    assert.equal(
      e.err,
      "Failed to enable unit, unit <root>/etc/systemd/system/app.service is masked.\n",
    );
    assert.equal(e.code, 1);
  }),
);

Deno.test(
  "set-default links default.target and get-default reads it back",
  withRoot(async (root) => {
    buildInstallTree(root);
    const s = await call(setDefault, root, ["set-default", "multi-user"]);
    assert.equal(s.code, 0);
    assert.match(s.err, /Created symlink <root>\/etc\/systemd\/system\/default.target/);
    const g = await call(getDefault, root, ["get-default"]);
    assert.equal(g.out, "multi-user.target\n");
  }),
);

Deno.test(
  "get-default falls back to multi-user.target when nothing is set",
  withRoot(async (root) => {
    unitsOnly(root);
    const g = await call(getDefault, root, ["get-default"]);
    assert.deepEqual([g.out, g.code], ["multi-user.target\n", 0]);
  }),
);

Deno.test(
  "set-default of a built-in target without a file links to /usr/lib",
  withRoot(async (root) => {
    unitsOnly(root);
    const s = await call(setDefault, root, ["set-default", "graphical.target"]);
    assert.equal(s.code, 0);
    assert.equal(
      Deno.readLinkSync(`${root}/etc/systemd/system/default.target`),
      "/usr/lib/systemd/system/graphical.target",
    );
  }),
);
