/**
 * Issue 18.6 driver, run as root in a private mount namespace with a tmpfs on /tmp (see
 * notify_dir_test.ts): a root path too long for the notify socket, the directory the old
 * fallback used (`/tmp/systemctl-0`) made beforehand by `nobody` (mode 0777), a nobody
 * process that keeps swapping a symlink to a root-owned 0600 file over every name in it,
 * and twelve `start`s of a Type=notify service that records where its socket lives.
 * Prints one JSON line: the starts, the socket directories seen, the file's mode after.
 * @module
 */

import { cli } from "./_support.ts";

const NOBODY = 65534;
const UNIT = "n.service";

const fallback = "/tmp/systemctl-0";
Deno.mkdirSync(fallback, { mode: 0o777 });
Deno.chmodSync(fallback, 0o777);
Deno.chownSync(fallback, NOBODY, NOBODY);
const precious = "/tmp/precious";
Deno.writeTextFileSync(precious, "root only\n");
Deno.chmodSync(precious, 0o600);

const root = `/tmp/${"r".repeat(80)}`;
Deno.mkdirSync(`${root}/etc/systemd/system`, { recursive: true });
Deno.chmodSync(root, 0o755);
const seen = `${root}/seen`;
Deno.writeTextFileSync(
  `${root}/etc/systemd/system/${UNIT}`,
  "[Unit]\nStartLimitIntervalSec=0\n[Service]\nType=notify\nNotifyAccess=all\n" +
    "TimeoutStartSec=10\n" +
    `ExecStart=/bin/sh -c 'stat -c "%%u %%a %%n" "$(dirname "$NOTIFY_SOCKET")" >> ${seen}; ` +
    "systemd-notify --ready; exec sleep 4201'\n",
);

// The swapper: a symlink to the precious file, renamed over each name in the directory.
const swapper = new Deno.Command("/usr/bin/setpriv", {
  args: [
    `--reuid=${NOBODY}`,
    `--regid=${NOBODY}`,
    "--clear-groups",
    "/usr/bin/python3",
    "-c",
    "import os\n" +
    `d=${JSON.stringify(fallback)}\n` +
    "while True:\n" +
    "  for n in os.listdir(d):\n" +
    "    if n.startswith('.l'): continue\n" +
    "    try:\n" +
    `      os.symlink(${JSON.stringify(precious)}, d+'/.l'+n)\n` +
    "      os.replace(d+'/.l'+n, d+'/'+n)\n" +
    "    except OSError: pass\n",
  ],
  stdin: "null",
  stdout: "null",
  stderr: "null",
}).spawn();

const starts: { code: number; stderr: string }[] = [];
try {
  for (let i = 0; i < 12; i++) {
    const r = await cli([`--root=${root}`, "start", UNIT]);
    starts.push({ code: r.code, stderr: r.stderr });
    await cli([`--root=${root}`, "stop", UNIT]);
  }
} finally {
  swapper.kill("SIGKILL");
  await swapper.status;
}
let dirs: string[] = [];
try {
  dirs = Deno.readTextFileSync(seen).trim().split("\n");
} catch { /* no service ran */ }
const mode = Deno.statSync(precious).mode! & 0o7777;
console.log(JSON.stringify({ starts, dirs, preciousMode: mode, root }));
