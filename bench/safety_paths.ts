/**
 * Issue 18, item 5, safety trials (`BENCH_SKIP=safety` skips them; they need root): the
 * ownership fix-up of `StateDirectory=` against a service user who plants links in it and
 * swaps them while another user's service starts.
 *
 * Each trial: `a.service` (`User=nobody`, `StateDirectory=sharedN`) plants links to
 * root-only files and directories (one on the host beside the root, one inside the root)
 * and then swaps a subdirectory of its state directory with a link to the root-only
 * directory, as fast as it can; meanwhile `b.service` (`User=daemon`, the same directory,
 * `StateDirectoryMode=0777`) starts, which chowns the directory tree to daemon and
 * chmods it. A root-only file or directory whose owner or mode changed is a file changed
 * through a link.
 *
 * `deno run --allow-all bench/safety_paths.ts [TRIALS]`
 * @module
 */

import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { PERMISSION_FLAGS } from "../src/process/self.ts";

const MOD = join(dirname(dirname(fileURLToPath(import.meta.url))), "mod.ts");

/** What the trials found. */
export interface ChownResults {
  trials: number;
  /** Trials in which b started while a's swap loop ran. */
  raced: number;
  /** Root-only files and directories whose owner or mode changed (inside and outside the root). */
  changed: number;
  /** The first few changes, for the report. */
  samples: string[];
  seconds: number;
}

async function cli(root: string, ...args: string[]): Promise<number> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSION_FLAGS, "--quiet", MOD, `--root=${root}`, ...args],
    env: { DENO_NO_UPDATE_CHECK: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).output();
  return out.code;
}

function state(path: string): string {
  const st = Deno.lstatSync(path);
  return `${st.uid}:${st.gid} ${((st.mode ?? 0) & 0o7777).toString(8)}`;
}

/** Root-only things a service user must never get: a directory with a file, on both sides. */
function protectedTree(base: string): string[] {
  Deno.mkdirSync(join(base, "private"), { recursive: true });
  Deno.chmodSync(join(base, "private"), 0o700);
  Deno.writeTextFileSync(join(base, "private/key"), "secret\n");
  Deno.chmodSync(join(base, "private/key"), 0o600);
  Deno.writeTextFileSync(join(base, "shadow"), "secret\n");
  Deno.chmodSync(join(base, "shadow"), 0o600);
  return [join(base, "private"), join(base, "private/key"), join(base, "shadow")];
}

/** Runs the trials in one root; returns the counts. */
export async function runChownTrials(trials: number): Promise<ChownResults> {
  const t0 = performance.now();
  const root = Deno.makeTempDirSync({ prefix: "chown-trials-" });
  const outside = `${root}-outside`;
  Deno.chmodSync(root, 0o755);
  const res: ChownResults = { trials: 0, raced: 0, changed: 0, samples: [], seconds: 0 };
  try {
    Deno.mkdirSync(join(root, "etc/systemd/system"), { recursive: true });
    for (const f of ["passwd", "group"]) Deno.copyFileSync(`/etc/${f}`, join(root, "etc", f));
    Deno.mkdirSync(join(root, "srv"));
    const watched = [...protectedTree(join(root, "srv")), ...protectedTree(outside)];
    const before = watched.map(state);
    const unitDir = join(root, "etc/systemd/system");
    for (let n = 0; n < trials; n++) {
      res.trials++;
      // a: plants links, then swaps `sub` between a directory and a link to root-only trees.
      Deno.writeTextFileSync(
        join(unitDir, `a${n}.service`),
        `[Service]\nUser=nobody\nStateDirectory=shared${n}\n` +
          `ExecStart=/bin/sh -c 'cd "$STATE_DIRECTORY" || exit 1; ` +
          `ln -s /srv/shadow x; ln -s ${outside}/shadow y; ln -s /srv/private z; ` +
          `ln -s ${outside}/private w; mkdir -p sub/deep; touch sub/deep/f; ` +
          `i=0; while :; do mv sub sub.real; ln -s /srv/private sub; rm sub; ` +
          `ln -s ${outside}/private sub; rm sub; mv sub.real sub; done'\n`,
      );
      Deno.writeTextFileSync(
        join(unitDir, `b${n}.service`),
        `[Service]\nUser=daemon\nStateDirectory=shared${n}\nStateDirectoryMode=0777\n` +
          `ExecStart=/bin/sleep 600\n`,
      );
      await cli(root, "start", `a${n}.service`);
      // The loop runs once `sub` has been swapped a few times.
      const stateDir = join(root, `var/lib/shared${n}`);
      for (let i = 0; i < 200; i++) {
        try {
          Deno.lstatSync(join(stateDir, "w"));
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 10));
        }
      }
      const running = (await cli(root, "is-active", `a${n}.service`)) === 0;
      await cli(root, "start", `b${n}.service`);
      if (running && (await cli(root, "is-active", `a${n}.service`)) === 0) res.raced++;
      await cli(root, "stop", `a${n}.service`, `b${n}.service`);
      watched.forEach((p, i) => {
        const now = state(p);
        if (now === before[i]) return;
        res.changed++;
        if (res.samples.length < 10) res.samples.push(`trial ${n}: ${p} ${before[i]} -> ${now}`);
        before[i] = now;
      });
    }
  } finally {
    Deno.removeSync(root, { recursive: true });
    Deno.removeSync(outside, { recursive: true });
  }
  res.seconds = Math.round((performance.now() - t0) / 100) / 10;
  return res;
}

if (import.meta.main) {
  const res = await runChownTrials(Number(Deno.args[0] ?? 50));
  console.log(
    `chown/chmod through a link: ${res.trials} trials (${res.raced} raced by a swap loop): ` +
      `${res.changed} root-only files changed [${res.seconds} s]`,
  );
  for (const s of res.samples) console.log(`  ${s}`);
}
