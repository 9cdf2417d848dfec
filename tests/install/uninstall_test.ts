/**
 * install.sh on a host with a real systemd (issue 20 §4), its manifest and --uninstall.
 *
 * The host test runs install.sh without --root in a private mount namespace whose /usr is
 * read-only and whose /usr/local is an empty tmpfs: whatever install.sh does there, the
 * host's files stay as they were. Needs root and a systemd `/usr/bin/systemctl` on the host;
 * skips with a printed reason otherwise.
 */
import assert from "node:assert/strict";
import { isRoot } from "../support/rootfs.ts";

const INSTALL = new URL("../../install.sh", import.meta.url).pathname;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(cmd: string, args: string[]): Promise<Result> {
  const out = await new Deno.Command(cmd, { args, stdin: "null" }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

function lines(text: string): string[] {
  return text.split("\n").filter(Boolean);
}

/** Why the host test cannot run, or undefined. */
function hostSkip(): string | undefined {
  if (!isRoot()) return "needs root (mount namespace)";
  try {
    const head = Deno.readFileSync("/usr/bin/systemctl").subarray(0, 4);
    if (new TextDecoder().decode(head.subarray(1)) !== "ELF") {
      return "/usr/bin/systemctl is not a binary here";
    }
    if (
      new TextDecoder().decode(Deno.readFileSync("/usr/bin/systemctl")).includes("deno-systemctl")
    ) {
      return "/usr/bin/systemctl is ours here";
    }
  } catch {
    return "no /usr/bin/systemctl (real systemd) on this machine";
  }
  return undefined;
}

const HOST_SKIP = hostSkip();
if (HOST_SKIP) console.log(`ignored (install.sh on a host with systemd): ${HOST_SKIP}`);

const HOST_SCRIPT = `set -u
out=$1
install=$2
mount --bind /usr /usr
mount -o remount,bind,ro /usr
mount -t tmpfs tmpfs /usr/local
step() {
  name=$1
  shift
  "$@" >"$out/$name.out" 2>"$out/$name.err"
  echo $? >"$out/$name.rc"
}
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
step refuse sh "$install"
find /usr/local >"$out/refuse.find"
step side sh "$install" --prefix /usr/local --bundle
step which sh -c 'command -v systemctl && systemctl --version'
step uninstall sh "$install" --uninstall
find /usr/local >"$out/uninstall.find"
`;

Deno.test({
  name:
    "install.sh on a host with systemd refuses to shadow it, and --uninstall undoes a side install",
  ignore: HOST_SKIP !== undefined,
}, async () => {
  const out = await Deno.makeTempDir({ prefix: "systemctl-hostinstall-" });
  try {
    const r = await run("unshare", [
      "--mount",
      "--propagation",
      "private",
      "sh",
      "-c",
      HOST_SCRIPT,
      "sh",
      out,
      INSTALL,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const step = (name: string) => ({
      code: Number(Deno.readTextFileSync(`${out}/${name}.rc`)),
      stdout: Deno.readTextFileSync(`${out}/${name}.out`),
      stderr: Deno.readTextFileSync(`${out}/${name}.err`),
    });

    // The default: one line naming the three ways, nothing written.
    const refuse = step("refuse");
    assert.equal(refuse.code, 1, refuse.stdout + refuse.stderr);
    assert.equal(refuse.stdout, "");
    const [line, ...more] = lines(refuse.stderr);
    assert.deepEqual(more, []);
    assert.match(
      line,
      /^install\.sh: \/usr\/bin\/systemctl is not ours \(.*\): installing here would shadow it; /,
    );
    for (const flag of ["--root DIR", "--prefix DIR", "--force"]) {
      assert.ok(line.includes(flag), line);
    }
    assert.equal(Deno.readTextFileSync(`${out}/refuse.find`), "/usr/local\n");

    // Asked for explicitly: installed, with a note that it now comes first in PATH.
    const side = step("side");
    assert.equal(side.code, 0, side.stdout + side.stderr);
    assert.match(
      side.stdout,
      /^note: \/usr\/local\/bin\/systemctl shadows \/usr\/bin\/systemctl /m,
    );
    const which = step("which");
    assert.match(which.stdout, /^\/usr\/local\/bin\/systemctl\nsystemd 252 \(deno-systemctl /);

    // --uninstall finds it by its manifest and removes exactly it, line by line.
    const un = step("uninstall");
    assert.equal(un.code, 0, un.stdout + un.stderr);
    assert.deepEqual(lines(un.stdout), [
      "removed /usr/local/bin/systemctl",
      "removed /usr/local/bin/journalctl",
      un.stdout.match(/^removed \/usr\/local\/lib\/deno-systemctl \(\d+ files: .*\)$/m)?.[0],
      "removed the empty directory /usr/local/lib (created at install)",
      "removed the empty directory /usr/local/bin (created at install)",
      "deno-systemctl is uninstalled from /usr/local",
    ]);
    assert.equal(Deno.readTextFileSync(`${out}/uninstall.find`), "/usr/local\n");
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test({
  name: "--uninstall keeps a file changed since the install and a directory it did not create",
  ignore: !isRoot(),
}, async () => {
  const root = await Deno.makeTempDir({ prefix: "systemctl-uninstall-" });
  try {
    await Deno.mkdir(`${root}/usr/bin`, { recursive: true });
    await Deno.writeTextFile(`${root}/usr/bin/other`, "not ours\n");
    const first = await run("sh", [INSTALL, "--root", root, "--bundle"]);
    assert.equal(first.code, 0, first.stderr);
    // A second install changes nothing and keeps the first one's records.
    const again = await run("sh", [INSTALL, "--root", root, "--bundle"]);
    assert.equal(again.code, 0, again.stderr);
    await Deno.writeTextFile(`${root}/usr/bin/journalctl`, "#!/bin/sh\n# edited by hand\n");
    const un = await run("sh", [INSTALL, "--root", root, "--uninstall"]);
    assert.equal(un.code, 0, un.stderr);
    assert.match(
      un.stdout,
      new RegExp(`^kept ${root}/usr/bin/journalctl: changed since it was installed$`, "m"),
    );
    assert.match(un.stdout, new RegExp(`^removed ${root}/usr/bin/systemctl$`, "m"));
    assert.match(un.stdout, /, but for 1 changed file\(s\)$/m);
    // usr/bin existed before: it stays, with what is not ours.
    assert.deepEqual([...Deno.readDirSync(`${root}/usr/bin`)].map((e) => e.name).sort(), [
      "journalctl",
      "other",
    ]);
    assert.deepEqual([...Deno.readDirSync(`${root}/usr`)].map((e) => e.name), ["bin"]);
    // Nothing left to uninstall: one line.
    const none = await run("sh", [INSTALL, "--root", root, "--uninstall"]);
    assert.equal(none.code, 1);
    assert.deepEqual(lines(none.stderr), [
      `install.sh: no deno-systemctl install found in ${root}/usr or ${root}/usr/local (no install-manifest); name its --prefix`,
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("--uninstall refuses a manifest that names paths install.sh never writes", async () => {
  const root = await Deno.makeTempDir({ prefix: "systemctl-uninstall-evil-" });
  const outside = await Deno.makeTempDir({ prefix: "systemctl-uninstall-outside-" });
  try {
    const lib = `${root}/usr/lib/deno-systemctl`;
    await Deno.mkdir(`${lib}/replaced`, { recursive: true });
    await Deno.writeTextFile(`${lib}/replaced/evil`, "written by an image\n");
    await Deno.writeTextFile(`${outside}/victim`, "a host file\n");
    const sum =
      (await run("sh", ["-c", `cksum <"$1" | awk '{print $1" "$2}'`, "sh", `${outside}/victim`]))
        .stdout.trim();
    const rel = `/usr/bin/../../..${outside}`;
    for (
      const line of [
        `saved ${rel}/evil`,
        `file ${sum} ${rel}/victim`,
        `file ${sum} ${outside}/victim`,
        `saved /usr/bin/evil`,
      ]
    ) {
      await Deno.writeTextFile(`${lib}/install-manifest`, `prefix /usr\n${line}\n`);
      const r = await run("sh", [INSTALL, "--root", root, "--uninstall"]);
      assert.equal(r.code, 1, `${line}: ${r.stdout}${r.stderr}`);
      assert.match(
        lines(r.stderr)[0],
        /^install\.sh: .*install-manifest names .*, which install\.sh never installs there: not uninstalling \(a changed manifest\?\)$/,
      );
      assert.equal(r.stdout, "");
      assert.deepEqual([...Deno.readDirSync(outside)].map((e) => e.name), ["victim"]);
      assert.equal(await Deno.readTextFile(`${outside}/victim`), "a host file\n");
    }
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test("install.sh refuses an image whose /usr leads outside the root", async () => {
  const root = await Deno.makeTempDir({ prefix: "systemctl-install-evil-" });
  const outside = await Deno.makeTempDir({ prefix: "systemctl-install-outside-" });
  try {
    await Deno.mkdir(`${root}/etc`);
    await Deno.mkdir(`${root}/bin`);
    await Deno.copyFile(Deno.realPathSync("/bin/sh"), `${root}/bin/sh`);
    await Deno.chmod(`${root}/bin/sh`, 0o755);
    await Deno.symlink(outside, `${root}/usr`);
    const r = await run("sh", [INSTALL, "--root", root, "--bundle"]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.deepEqual(lines(r.stderr), [
      `install.sh: cannot install into ${root}/usr: ${root}/usr leads outside ${root} (a symlink?); nothing was installed`,
    ]);
    assert.deepEqual([...Deno.readDirSync(outside)], []);
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(outside, { recursive: true });
  }
});
