/**
 * SysV init scripts as generated units, as systemd-sysv-generator makes
 * them: the LSB header gives Description, dependencies and the targets.
 * @module
 */

import { type PathEnv, type RootMap, sysvInitDir } from "./paths.ts";

/** The fields of an LSB `### BEGIN INIT INFO` block. */
export interface LsbHeader {
  provides: string[];
  requiredStart: string[];
  shouldStart: string[];
  defaultStart: string[];
  shortDescription?: string;
  description?: string;
}

/** Parses the LSB header of a script. Pure. */
export function parseLsbHeader(text: string): LsbHeader | undefined {
  const begin = text.indexOf("### BEGIN INIT INFO");
  if (begin < 0) return undefined;
  const end = text.indexOf("### END INIT INFO", begin);
  const block = text.slice(begin, end < 0 ? undefined : end).split("\n");
  const h: LsbHeader = { provides: [], requiredStart: [], shouldStart: [], defaultStart: [] };
  let last: string | undefined;
  for (const raw of block.slice(1)) {
    if (!raw.startsWith("#")) continue;
    const line = raw.replace(/^#/, "");
    const m = /^\s*([A-Za-z-]+):\s*(.*)$/.exec(line);
    if (!m) {
      if (last === "description" && /^(\t| {2,})/.test(line)) {
        h.description = `${h.description ?? ""} ${line.trim()}`.trim();
      }
      continue;
    }
    const key = m[1].toLowerCase();
    const words = m[2].trim().split(/\s+/).filter((w) => w);
    last = key;
    if (key === "provides") h.provides = words;
    else if (key === "required-start") h.requiredStart = words;
    else if (key === "should-start") h.shouldStart = words;
    else if (key === "default-start") h.defaultStart = words;
    else if (key === "short-description") h.shortDescription = m[2].trim();
    else if (key === "description") h.description = m[2].trim();
  }
  return h;
}

const FACILITIES: Record<string, string> = {
  "$local_fs": "local-fs.target",
  "$network": "network.target",
  "$named": "nss-lookup.target",
  "$portmap": "rpcbind.target",
  "$remote_fs": "remote-fs.target",
  "$syslog": "",
  "$time": "time-sync.target",
};

function depUnits(words: string[]): string[] {
  const out: string[] = [];
  for (const w of words) {
    if (w.startsWith("$")) {
      const t = FACILITIES[w];
      if (t) out.push(t);
    } else out.push(`${w}.service`);
  }
  return out;
}

/** The generated unit text for a SysV script (path inside the root). */
export function sysvUnitText(root: RootMap, scriptPath: string): string {
  let text = "";
  try {
    text = Deno.readTextFileSync(root.resolve(scriptPath));
  } catch { /* unreadable: an empty header */ }
  const name = scriptPath.slice(scriptPath.lastIndexOf("/") + 1);
  const h = parseLsbHeader(text);
  const desc = h?.shortDescription ?? `LSB: ${name}`;
  const after = h ? depUnits([...h.requiredStart, ...h.shouldStart]) : [];
  const lines = [
    "[Unit]",
    `Documentation=man:systemd-sysv-generator(8)`,
    `SourcePath=${scriptPath}`,
    `Description=${h?.shortDescription ? `LSB: ${desc}` : desc}`,
    "Before=multi-user.target graphical.target",
  ];
  if (after.length) lines.push(`After=${after.join(" ")}`);
  const wants = h ? depUnits(h.requiredStart.filter((w) => !w.startsWith("$"))) : [];
  if (wants.length) lines.push(`Wants=${wants.join(" ")}`);
  lines.push(
    "",
    "[Service]",
    "Type=forking",
    "Restart=no",
    "TimeoutSec=5min",
    "IgnoreSIGPIPE=no",
    "KillMode=process",
    "GuessMainPID=no",
    "RemainAfterExit=yes",
    "SuccessExitStatus=5 6",
    `ExecStart=${scriptPath} start`,
    `ExecStop=${scriptPath} stop`,
  );
  if (/^\s*(reload|force-reload)\)/m.test(text) || /\breload\|/.test(text)) {
    lines.push(`ExecReload=${scriptPath} reload`);
  }
  return lines.join("\n") + "\n";
}

/**
 * The SysV scripts that systemd-sysv-generator turns into units: executable
 * files of the init.d directory (`SYSTEMD_SYSVINIT_PATH`) that are not
 * backups or helpers and have no native unit. Unit name → script path.
 */
export function sysvScripts(
  root: RootMap,
  env: PathEnv,
  hasNative: (unit: string) => boolean,
): Map<string, string> {
  const out = new Map<string, string>();
  const dir = sysvInitDir(env);
  let names: string[];
  try {
    names = [...Deno.readDirSync(root.resolve(dir))].filter((e) => e.isFile || e.isSymlink)
      .map((e) => e.name).sort();
  } catch {
    return out; // no init.d
  }
  for (const n of names) {
    if (n.startsWith(".") || n.includes("~") || /\.(dpkg-|rpm|sh$)/.test(n)) continue;
    if (n === "README" || n === "skeleton" || n === "functions") continue;
    const unit = `${n}.service`;
    if (hasNative(unit)) continue;
    try {
      const st = Deno.statSync(root.resolve(`${dir}/${n}`));
      if (!st.isFile || ((st.mode ?? 0) & 0o111) === 0) continue;
    } catch {
      continue;
    }
    out.set(unit, `${dir}/${n}`);
  }
  return out;
}
