import { strictEqual } from "node:assert/strict";
import { fnmatch } from "../../src/unit/glob.ts";
import { globMatch } from "../../src/unit/names.ts";

Deno.test("unit-name globs and conditions share one fnmatch: classes, casefold, FNM_PATHNAME", () => {
  // The unit-name glob knows the POSIX classes as glibc's fnmatch does.
  strictEqual(globMatch("[[:digit:]]*.service", "5x.service"), true);
  strictEqual(globMatch("[![:alpha:]]*", "a.service"), false);
  strictEqual(globMatch("a[x\\]]b", "a]b"), true);
  strictEqual(fnmatch("HOST*", "host-1", { casefold: true }), true);
  strictEqual(fnmatch("[a-c]", "B", { casefold: true }), true);
  strictEqual(fnmatch("a?b", "a/b", { pathname: true }), false);
  strictEqual(fnmatch("a[!x]b", "a/b", { pathname: true }), false);
  strictEqual(fnmatch("a*", "a/b", { pathname: true }), false);
  strictEqual(fnmatch("a/*", "a/b", { pathname: true }), true);
  strictEqual(fnmatch("a*", "a/b"), true);
});
