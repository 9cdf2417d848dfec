/**
 * Issue 11, sockets (BENCH_SKIP key `sockets`): connection-to-service latency of
 * socket activation by our init instance, as PID 1 of a fresh PID + network
 * namespace (`unshare --net`, lo up), measured by a client inside the namespace:
 *
 * - Accept=no, first connection: connect until the first reply byte, which includes
 *   the start of the service (a small Python server on LISTEN_FDS);
 * - Accept=no, later connections: the running service answers (our init is not involved);
 * - Accept=yes: every connection starts its own `NAME@<n>-….service` (`/bin/echo`, on
 *   the connection).
 *
 * The reference (systemctl.py 1.4) has no socket units: `start X.socket` is tried in its
 * own network namespace and what happens is reported (exit code, whether the port answers).
 * BENCH_SOCKET_CONNECTIONS (50) connections per case.
 * @module
 */

import { join } from "node:path";
import type { Cmd } from "./lib.ts";
import { fmtMs, median } from "./lib.ts";

/** What the socket cases need. */
export interface SocketBenchOptions {
  /** Our program (the `--root=` argument is added). */
  ours: Cmd;
  refScript: string;
  work: string;
  connections: number;
  log(text: string): void;
}

/** The figures and the lines to print. */
export interface SocketResults {
  firstMs?: number;
  laterMs: number[];
  acceptMs: number[];
  reference: string;
  lines: string[];
}

const SERVER = `import os, socket
s = socket.socket(fileno=3)
while True:
    c, _ = s.accept()
    c.sendall(b"ok\\n")
    c.close()
`;

/** Connects `n` times; prints a JSON list of connect-to-first-byte times in ms. */
const CLIENT = `import json, socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
out = []
for i in range(n):
    t0 = time.perf_counter()
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        data = s.recv(64)
        s.close()
    except OSError as e:
        print(json.dumps({"error": str(e), "done": out}))
        sys.exit(0)
    if not data:
        print(json.dumps({"error": "no reply", "done": out}))
        sys.exit(0)
    out.append((time.perf_counter() - t0) * 1000)
print(json.dumps(out))
`;

const dec = new TextDecoder();

function makeRoot(dir: string): void {
  const units = join(dir, "etc/systemd/system");
  Deno.mkdirSync(units, { recursive: true });
  Deno.mkdirSync(join(dir, "opt"));
  Deno.writeTextFileSync(join(dir, "opt/server.py"), SERVER);
  Deno.writeTextFileSync(join(dir, "opt/client.py"), CLIENT);
  Deno.writeTextFileSync(
    join(units, "noacc.socket"),
    "[Unit]\nDescription=Accept=no socket\n[Socket]\nListenStream=127.0.0.1:7101\n",
  );
  Deno.writeTextFileSync(
    join(units, "noacc.service"),
    `[Unit]\nDescription=Accept=no server\n[Service]\nExecStart=/usr/bin/python3 ${dir}/opt/server.py\n`,
  );
  Deno.writeTextFileSync(
    join(units, "acc.socket"),
    "[Unit]\nDescription=Accept=yes socket\n[Socket]\nListenStream=127.0.0.1:7102\nAccept=yes\n",
  );
  Deno.writeTextFileSync(
    join(units, "acc@.service"),
    "[Unit]\nDescription=Connection %i\n[Service]\nStandardInput=socket\nExecStart=/bin/echo ok\n",
  );
}

async function output(args: string[]): Promise<string> {
  const out = await new Deno.Command(args[0], {
    args: args.slice(1),
    stdin: "null",
    signal: AbortSignal.timeout(300_000),
  }).output();
  return dec.decode(out.stdout) + dec.decode(out.stderr);
}

function parseTimes(text: string, what: string): number[] {
  const last = text.trim().split("\n").pop() ?? "";
  const parsed = JSON.parse(last) as number[] | { error: string; done: number[] };
  if (!Array.isArray(parsed)) {
    throw new Error(`${what}: ${parsed.error} after ${parsed.done.length}`);
  }
  return parsed;
}

/** Runs the socket cases; throws when ours fails. */
export async function runSocketCases(o: SocketBenchOptions): Promise<SocketResults> {
  const root = join(o.work, "sockets-root");
  makeRoot(root);
  const child = new Deno.Command("unshare", {
    args: [
      "--pid",
      "--fork",
      "--mount-proc",
      "--net",
      "--kill-child",
      "sh",
      "-c",
      'ip link set lo up && exec "$@"',
      "sh",
      o.ours.cmd,
      ...o.ours.args,
      `--root=${root}`,
      "init",
      "noacc.socket",
      "acc.socket",
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: o.ours.env,
  }).spawn();
  let text = "";
  const pump = async (s: ReadableStream<Uint8Array>) => {
    for await (const c of s) text += dec.decode(c);
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  try {
    let pid = 0;
    for (let i = 0; i < 600 && !(pid && text.includes("Startup finished")); i++) {
      try {
        pid = Number(
          Deno.readTextFileSync(`/proc/${child.pid}/task/${child.pid}/children`)
            .trim().split(" ")[0],
        ) || 0;
      } catch { /* not yet */ }
      await new Promise((r) => setTimeout(r, 50));
    }
    if (!text.includes("Startup finished")) throw new Error(`our init did not boot: ${text}`);
    const enter = ["nsenter", "-t", String(pid), "-p", "-m", "-n"];
    const client = (port: number, n: number) =>
      output([...enter, "/usr/bin/python3", join(root, "opt/client.py"), String(port), String(n)]);
    const noacc = parseTimes(await client(7101, o.connections + 1), "Accept=no");
    const accept = parseTimes(await client(7102, o.connections), "Accept=yes");
    child.kill("SIGTERM");
    const reference = await referenceTry(o, root);
    const res: SocketResults = {
      firstMs: noacc[0],
      laterMs: noacc.slice(1),
      acceptMs: accept,
      reference,
      lines: [],
    };
    res.lines = [
      `sockets, Accept=no: first connection to first reply byte (starts the service) ` +
      `${fmtMs(res.firstMs)}; later connections median ${fmtMs(median(res.laterMs))} ` +
      `(${res.laterMs.length})`,
      `sockets, Accept=yes: connection to first reply byte (one service instance each) median ` +
      `${fmtMs(median(accept))}, max ${fmtMs(Math.max(...accept))} (${accept.length})`,
      `sockets, reference: ${reference}`,
    ];
    return res;
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* ended */ }
    await child.status;
    await pumps;
  }
}

/** What the reference does with the same socket unit, in its own network namespace. */
async function referenceTry(o: SocketBenchOptions, root: string): Promise<string> {
  const copy = join(o.work, "sockets-ref-root");
  makeRoot(copy);
  const script =
    `ip link set lo up; ${o.refScript} --root=${copy} start noacc.socket >/dev/null 2>&1; ` +
    `echo "rc=$?"; /usr/bin/python3 ${root}/opt/client.py 7101 1; ` +
    `${o.refScript} --root=${copy} stop noacc.socket noacc.service >/dev/null 2>&1; true`;
  const text = await output([
    "unshare",
    "--pid",
    "--fork",
    "--mount-proc",
    "--net",
    "--kill-child",
    "sh",
    "-c",
    script,
  ]);
  const rc = /rc=(\d+)/.exec(text)?.[1] ?? "?";
  const refused = /"error"/.test(text);
  return `\`start noacc.socket\` exits ${rc} and the port ${
    refused ? "refuses connections" : "answers"
  } (systemctl.py 1.4 has no socket units; no latency to measure)`;
}
