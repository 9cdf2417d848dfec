/**
 * The README and docs/ keep their promises about the repository: every relative link resolves to a
 * file (and its `#anchor` to a heading of that file), every repository path they name in backticks
 * exists, the README stays a README (at most 300 lines), and the documentation speaks to users
 * (no issue numbers). And the README's quick start for running services works with the permission
 * list it prints. The checks of the text are pure file reads.
 * @module
 */

import assert from "node:assert/strict";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { makeTree, MOD, PERMS } from "./cli/_cli.ts";

const REPO = fileURLToPath(new URL("..", import.meta.url));

/** README.md and every Markdown file of docs/, as paths relative to the repository. */
function documents(): string[] {
  const docs = [...Deno.readDirSync(join(REPO, "docs"))]
    .filter((e) => e.isFile && e.name.endsWith(".md"))
    .map((e) => `docs/${e.name}`)
    .sort();
  return ["README.md", ...docs];
}

/** The text of a Markdown file outside its fenced code blocks (links there are not links). */
export function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[ \t]*$/gm, "");
}

/** GitHub's anchor for a heading text: lower case, punctuation dropped, spaces as hyphens. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** The anchors a Markdown file offers: each heading's slug, and `{#id}` where one is given. */
export function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  const seen = new Map<string, number>();
  for (const m of prose(markdown).matchAll(/^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$/gm)) {
    let text = m[1];
    const id = text.match(/\{#([^}]+)\}\s*$/);
    if (id) {
      out.add(id[1]);
      text = text.slice(0, id.index);
    }
    const base = slug(text);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** The targets of inline Markdown links `[text](target)` outside code, with their line numbers. */
export function links(markdown: string): { target: string; line: number }[] {
  const text = prose(markdown);
  const out: { target: string; line: number }[] = [];
  for (const m of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    // Inline code spans are not links: skip a match inside backticks on its line.
    const before = text.slice(text.lastIndexOf("\n", m.index) + 1, m.index);
    if ((before.match(/`/g) ?? []).length % 2 === 1) continue;
    out.push({ target: m[1], line: text.slice(0, m.index).split("\n").length });
  }
  return out;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("every relative link of README.md and docs/*.md resolves, anchors included", () => {
  const broken: string[] = [];
  let checked = 0;
  for (const doc of documents()) {
    const text = Deno.readTextFileSync(join(REPO, doc));
    for (const { target, line } of links(text)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
      checked++;
      const [file, anchor] = target.split("#", 2);
      const path = file === "" ? join(REPO, doc) : normalize(join(REPO, dirname(doc), file));
      if (relative(REPO, path).startsWith("..")) {
        broken.push(`${doc}:${line}: ${target} leaves the repository`);
        continue;
      }
      if (!exists(path)) {
        broken.push(`${doc}:${line}: ${target}: no such file`);
        continue;
      }
      if (anchor !== undefined && !anchors(Deno.readTextFileSync(path)).has(anchor)) {
        broken.push(`${doc}:${line}: ${target}: no heading with that anchor`);
      }
    }
  }
  assert.deepEqual(broken, []);
  assert.ok(checked >= 20, `only ${checked} links found: is the link pattern still right?`);
});

Deno.test("every repository path README.md and docs/*.md name in backticks exists", () => {
  const missing: string[] = [];
  let checked = 0;
  const path = /`((?:src|tests|scripts|bench|docs|examples|\.ci)\/[\w./@-]+|mod\.ts|install\.sh)`/g;
  for (const doc of documents()) {
    const text = Deno.readTextFileSync(join(REPO, doc));
    for (const m of text.matchAll(path)) {
      const name = m[1].replace(/\/$/, "");
      checked++;
      if (!exists(join(REPO, name))) {
        const line = text.slice(0, m.index).split("\n").length;
        missing.push(`${doc}:${line}: ${name}`);
      }
    }
  }
  assert.deepEqual(missing, []);
  assert.ok(checked >= 40, `only ${checked} paths found: is the path pattern still right?`);
});

Deno.test("the README is at most 300 lines", () => {
  const lines = Deno.readTextFileSync(join(REPO, "README.md")).split("\n").length - 1;
  assert.ok(lines <= 300, `README.md has ${lines} lines; reference material belongs in docs/`);
});

Deno.test("README.md and docs/ speak to users: no issue numbers", () => {
  const found: string[] = [];
  for (const doc of documents()) {
    const text = Deno.readTextFileSync(join(REPO, doc));
    for (const m of text.matchAll(/\bissues? \d+|\(#\d+\)/gi)) {
      found.push(`${doc}:${text.slice(0, m.index).split("\n").length}: ${m[0]}`);
    }
  }
  assert.deepEqual(found, []);
});

Deno.test("link helpers: slugs, custom anchors, code is not a link", () => {
  assert.equal(slug("PID 1 without Docker"), "pid-1-without-docker");
  assert.equal(slug("`/proc` through libc"), "proc-through-libc");
  const md = "# A b\n## A b\n### Times {#times}\n```sh\n[x](nope.md)\n# not a heading\n```\n" +
    "see [y](docs/y.md#a-b) and `[z](code.md)`\n";
  assert.deepEqual([...anchors(md)].sort(), ["a-b", "a-b-1", "times"]);
  assert.deepEqual(links(md).map((l) => l.target), ["docs/y.md#a-b"]);
});

Deno.test({
  name: "the README quick start's permission list starts and stops a service and a socket unit",
  sanitizeResources: false,
  async fn() {
    const readme = Deno.readTextFileSync(join(REPO, "README.md"));
    const line = readme.match(/^P="([^"]+)"$/m);
    assert.ok(line, 'no P="…" line in the README');
    const flags = line[1].split(" ");
    assert.ok(!flags.includes("--allow-all") && !flags.includes("-A"), line[1]);
    const root = makeTree({
      "etc/systemd/system/q.service": "[Service]\nExecStart=/bin/sleep 300\n",
      "etc/systemd/system/k.socket": "[Socket]\nListenStream=/run/k.sock\n",
      "etc/systemd/system/k.service": "[Service]\nExecStart=/bin/sleep 301\n",
    });
    const run = async (perms: readonly string[], args: string[]) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--quiet", ...perms, MOD, `--root=${root}`, ...args],
        env: { NO_COLOR: "1" },
        stdin: "null",
      }).output();
      const dec = new TextDecoder();
      return { code: out.code, text: dec.decode(out.stdout) + dec.decode(out.stderr) };
    };
    try {
      const start = await run(flags, ["start", "q.service", "k.socket"]);
      assert.equal(start.code, 0, start.text);
      const active = await run(flags, ["is-active", "q.service", "k.socket", "k.service"]);
      assert.equal(active.text, "active\nactive\nactive\n");
      const stop = await run(flags, ["stop", "q.service", "k.socket", "k.service"]);
      assert.equal(stop.code, 0, stop.text);
    } finally {
      await run(PERMS, ["stop", "q.service", "k.socket", "k.service"]);
    }
  },
});
