import assert from "node:assert/strict";
import { OUTPUT_MODES, parseCommandLine } from "../../src/cli/args.ts";
import { journalctlMain } from "../../src/cli/journalctl.ts";

async function journalctlError(argv: string[]): Promise<{ code: number; err: string }> {
  let err = "";
  const code = await journalctlMain(argv, {
    out: () => {},
    err: (t) => void (err += t),
    flush: () => {},
    stdoutIsTty: false,
  });
  return { code, err };
}

Deno.test("systemctl -o refuses json-short as systemd 252 does (not one of its output modes)", () => {
  const parsed = parseCommandLine(["-o", "json-short", "list-units"]);
  assert.deepEqual(parsed, { ok: false, error: "Unknown output 'json-short'." });
});

Deno.test("systemctl and journalctl accept the same -o modes, systemd's sixteen", async () => {
  assert.equal(OUTPUT_MODES.length, 16);
  for (const mode of OUTPUT_MODES) {
    assert.equal(parseCommandLine(["-o", mode, "list-units"]).ok, true, mode);
  }
  // (journalctl's accepting path drops this process's permissions: its refusal is tested.)
  assert.deepEqual(await journalctlError(["-o", "json-short"]), {
    code: 1,
    err: "Unknown output format 'json-short'.\n",
  });
});
