/** The reason of a failed state write, as users read it: the errno's text and the path. */

import assert from "node:assert/strict";
import { reasonOf } from "../../src/service/runtime.ts";

Deno.test("a state write error reads as its errno text and path, without Deno's os error", () => {
  // Deno's messages for a failed open on a read-only file system and a full disk.
  assert.equal(
    reasonOf(
      new Error("Read-only file system (os error 30): open '/r/run/systemctl/units/a.lock'"),
    ),
    "Read-only file system (/r/run/systemctl/units/a.lock).",
  );
  assert.equal(
    reasonOf(new Error("No space left on device (os error 28): write")),
    "No space left on device.",
  );
  assert.equal(
    reasonOf(new Deno.errors.PermissionDenied("Permission denied (os error 13): mkdir '/r/run'")),
    "Permission denied (/r/run).",
  );
  assert.equal(reasonOf(new Error("Lock held")), "Lock held");
});
