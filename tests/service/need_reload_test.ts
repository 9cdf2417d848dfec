/**
 * NeedDaemonReload= and systemctl's warning (issue 25): a unit whose fragment changed since
 * the manager loaded it needs a daemon-reload; a drop-in added since is not noticed, as in
 * systemd 252; daemon-reload takes the files as they are now.
 */

import { strictEqual } from "node:assert/strict";
import { rootTest, service } from "./_support.ts";

const WARNING = "Warning: The unit file, source configuration file or drop-ins of nr.service " +
  "changed on disk. Run 'systemctl daemon-reload' to reload units.\n";

rootTest("a changed unit file needs a daemon-reload, and start and status say so", async (root) => {
  root.unit("nr.service", service(`ExecStart=/bin/sleep 3401`));
  strictEqual((await root.run("start", "nr")).code, 0);
  strictEqual((await root.show("nr", "NeedDaemonReload")).NeedDaemonReload, "no");
  // A new drop-in is not noticed (systemd 252 compares the files it loaded).
  Deno.mkdirSync(`${root.path}/etc/systemd/system/nr.service.d`);
  Deno.writeTextFileSync(
    `${root.path}/etc/systemd/system/nr.service.d/a.conf`,
    "[Service]\nNice=1\n",
  );
  strictEqual((await root.show("nr", "NeedDaemonReload")).NeedDaemonReload, "no");
  // An edit of the fragment is (mtimes move at least by the file system's granularity).
  await new Promise((r) => setTimeout(r, 20));
  root.unit("nr.service", service(`ExecStart=/bin/sleep 3402`));
  strictEqual((await root.show("nr", "NeedDaemonReload")).NeedDaemonReload, "yes");
  const st = await root.run("status", "nr");
  strictEqual(st.stderr, WARNING);
  const re = await root.run("restart", "nr");
  strictEqual(re.code, 0, re.stderr);
  strictEqual(re.stderr, WARNING);
  strictEqual((await root.run("daemon-reload")).code, 0);
  strictEqual((await root.show("nr", "NeedDaemonReload")).NeedDaemonReload, "no");
  strictEqual((await root.run("status", "nr")).stderr, "");
  strictEqual((await root.run("stop", "nr")).code, 0);
});
