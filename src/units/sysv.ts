/**
 * SysV init scripts as generated units, as systemd-sysv-generator makes
 * them: the LSB header gives Description, dependencies and the targets.
 * @module
 */

import { LineReader } from "../unit/parse.ts";
import { type PathEnv, type RootMap, sysvInitDir } from "./paths.ts";
import { readRegularTextChunks } from "./regular_file.ts";

/** The fields of an LSB `### BEGIN INIT INFO` block. */
export interface LsbHeader {
  provides: string[];
  requiredStart: string[];
  shouldStart: string[];
  defaultStart: string[];
  shortDescription?: string;
  description?: string;
}

const BEGIN = "### BEGIN INIT INFO";
const END = "### END INIT INFO";

/**
 * Reads a script line by line (fed in pieces): the LSB block (from the line holding
 * `### BEGIN INIT INFO` to `### END INIT INFO`) and whether the script handles reload.
 * Time is linear in the script, memory bounded by one line and the header's fields.
 */
class LsbScanner {
  header: LsbHeader | undefined;
  reload = false;
  /** Where the scanner is: before the block, in it, or past it. */
  #state: "before" | "in" | "after" = "before";
  #last: string | undefined;
  /** The description and its continuation lines, joined once at the end. */
  #description: string[] | undefined;

  line(raw: string): boolean {
    if (!this.reload && (/^\s*(reload|force-reload)\)/.test(raw) || /\breload\|/.test(raw))) {
      this.reload = true;
    }
    if (this.#state === "before") {
      const at = raw.indexOf(BEGIN);
      if (at >= 0) {
        this.header = { provides: [], requiredStart: [], shouldStart: [], defaultStart: [] };
        this.#state = raw.includes(END, at + BEGIN.length) ? "after" : "in";
      }
    } else if (this.#state === "in") {
      const end = raw.indexOf(END);
      if (end >= 0) {
        this.#state = "after";
        this.#field(raw.slice(0, end));
      } else this.#field(raw);
    }
    return true;
  }

  #field(raw: string): void {
    const h = this.header as LsbHeader;
    if (!raw.startsWith("#")) return;
    const line = raw.slice(1);
    const m = /^\s*([A-Za-z-]+):\s*(.*)$/.exec(line);
    if (!m) {
      if (this.#last === "description" && /^(\t| {2,})/.test(line)) {
        const t = line.trim();
        if (t !== "") this.#description?.push(t);
      }
      return;
    }
    const key = m[1].toLowerCase();
    const words = m[2].trim().split(/\s+/).filter((w) => w);
    this.#last = key;
    if (key === "provides") h.provides = words;
    else if (key === "required-start") h.requiredStart = words;
    else if (key === "should-start") h.shouldStart = words;
    else if (key === "default-start") h.defaultStart = words;
    else if (key === "short-description") h.shortDescription = m[2].trim();
    else if (key === "description") {
      const t = m[2].trim();
      this.#description = t === "" ? [] : [t];
    }
  }

  end(): void {
    if (this.header && this.#description) this.header.description = this.#description.join(" ");
  }
}

/** Parses the LSB header of a script. Pure. */
export function parseLsbHeader(text: string): LsbHeader | undefined {
  const scanner = new LsbScanner();
  const reader = new LineReader((line) => scanner.line(line));
  reader.push(text);
  reader.end();
  scanner.end();
  return scanner.header;
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

/**
 * Reads a script in pieces through {@link LsbScanner}. Undefined when a line holds
 * LONG_LINE_MAX bytes or more: systemd-sysv-generator then fails with "Failed to read
 * configuration file '…': No buffer space available" and generates no unit.
 */
function scanScript(root: RootMap, scriptPath: string): LsbScanner | undefined {
  const scanner = new LsbScanner();
  const reader = new LineReader((line) => scanner.line(line));
  try {
    readRegularTextChunks(root.resolve(scriptPath), (text) => reader.push(text), { fatal: false });
  } catch { /* unreadable: an empty header */ }
  reader.end();
  if (reader.tooLong) return undefined;
  scanner.end();
  return scanner;
}

/**
 * The generated unit text for a SysV script (path inside the root); undefined for a
 * script the generator refuses (a line over systemd's limit).
 */
export function sysvUnitText(root: RootMap, scriptPath: string): string | undefined {
  const scan = scanScript(root, scriptPath);
  if (scan === undefined) return undefined;
  const name = scriptPath.slice(scriptPath.lastIndexOf("/") + 1);
  const h = scan.header;
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
  if (scan.reload) lines.push(`ExecReload=${scriptPath} reload`);
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
    // A script the generator cannot read (a line over systemd's limit) gets no unit.
    if (scanScript(root, `${dir}/${n}`) === undefined) continue;
    out.set(unit, `${dir}/${n}`);
  }
  return out;
}
