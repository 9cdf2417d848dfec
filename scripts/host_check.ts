/**
 * Proves that a command (the test suite) leaves the host as it found it: lists `/tmp` (its
 * entries) and `/var/log/journal`, `/etc/systemd/system` and `/run/systemctl` (everything
 * under them: type, size, modification time, link target) before and after, and prints
 * every difference.
 *
 *   deno run -A scripts/host_check.ts -- deno task test     # snapshot, run, compare
 *   deno run -A scripts/host_check.ts snapshot FILE         # the two halves, for .ci/run
 *   deno run -A scripts/host_check.ts compare FILE
 *
 * Exit status: the command's when it failed, else 1 when the host changed, else 0.
 * `--top=DIR` and `--tree=DIR` (repeatable) replace the default directories.
 * @module
 */

/** What was listed: path → description (`dir`, `file 120 B, mtime …`, `link → target`). */
export type Snapshot = Record<string, string>;

/** The directories of a check: entries only (`top`), or everything under them (`tree`). */
export interface Watched {
  top: string[];
  tree: string[];
}

/** The default: what the test suite must not touch. */
export const DEFAULT_WATCHED: Watched = {
  top: ["/tmp"],
  tree: ["/var/log/journal", "/etc/systemd/system", "/run/systemctl"],
};

function describe(path: string, deep: boolean): string {
  const st = Deno.lstatSync(path);
  if (st.isSymlink) return `link -> ${Deno.readLinkSync(path)}`;
  if (st.isDirectory) return "dir";
  if (!deep) return st.isFile ? "file" : "other";
  return `${st.isFile ? "file" : "other"} ${st.size} B, mtime ${st.mtime?.toISOString() ?? "?"}`;
}

function list(dir: string, deep: boolean, out: Snapshot): void {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch (e) {
    out[dir] = e instanceof Deno.errors.NotFound ? "absent" : `unreadable (${(e as Error).name})`;
    return;
  }
  out[dir] = "dir";
  for (const e of entries) {
    const path = `${dir}/${e.name}`;
    try {
      out[path] = describe(path, deep);
    } catch {
      continue; // gone meanwhile
    }
    if (deep && e.isDirectory) list(path, deep, out);
  }
}

/** Lists the watched directories now. */
export function snapshot(watched: Watched = DEFAULT_WATCHED): Snapshot {
  const out: Snapshot = {};
  for (const dir of watched.top) list(dir, false, out);
  for (const dir of watched.tree) list(dir, true, out);
  return out;
}

/** The differences, one line each: `+ path (what)`, `- path (what)`, `~ path (was -> is)`. */
export function differences(before: Snapshot, after: Snapshot): string[] {
  const lines: string[] = [];
  for (const path of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    const [a, b] = [before[path], after[path]];
    if (a === b) continue;
    if (a === undefined) lines.push(`+ ${path} (${b})`);
    else if (b === undefined) lines.push(`- ${path} (${a})`);
    else lines.push(`~ ${path} (${a} -> ${b})`);
  }
  return lines;
}

function report(lines: string[], dirs: Watched): number {
  if (lines.length === 0) {
    console.log(`host check: no change in ${[...dirs.top, ...dirs.tree].join(", ")}`);
    return 0;
  }
  console.log(`host check: the run changed the host (${lines.length} differences):`);
  for (const l of lines.slice(0, 200)) console.log(`  ${l}`);
  if (lines.length > 200) console.log(`  … and ${lines.length - 200} more`);
  return 1;
}

async function main(args: string[]): Promise<number> {
  const watched: Watched = { top: [], tree: [] };
  while (args[0]?.startsWith("--top=") || args[0]?.startsWith("--tree=")) {
    const [k, v] = args.shift()!.slice(2).split(/=(.*)/s);
    watched[k as "top" | "tree"].push(v);
  }
  const dirs = watched.top.length + watched.tree.length > 0 ? watched : DEFAULT_WATCHED;
  const [verb, ...rest] = args;
  if (verb === "snapshot" && rest.length === 1) {
    Deno.writeTextFileSync(rest[0], JSON.stringify(snapshot(dirs), null, 1) + "\n");
    return 0;
  }
  if (verb === "compare" && rest.length === 1) {
    const before = JSON.parse(Deno.readTextFileSync(rest[0])) as Snapshot;
    return report(differences(before, snapshot(dirs)), dirs);
  }
  if (verb === "--" && rest.length > 0) {
    const before = snapshot(dirs);
    const status = await new Deno.Command(rest[0], { args: rest.slice(1) }).spawn().status;
    const changed = report(differences(before, snapshot(dirs)), dirs);
    return status.code !== 0 ? status.code : changed;
  }
  console.error(
    "usage: host_check.ts [--top=DIR…] [--tree=DIR…] (snapshot FILE | compare FILE | -- COMMAND…)",
  );
  return 2;
}

if (import.meta.main) Deno.exit(await main([...Deno.args]));
