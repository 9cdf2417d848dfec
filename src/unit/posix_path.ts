/**
 * POSIX path strings, with the results of `node:path`'s posix functions (which the program
 * used until its start-up cost showed: loading `node:path` pulls in the runtime's Node
 * assertion and error modules). Pure: strings in, strings out.
 * @module
 */

/** Folds `.`, `..` and repeated slashes of `path`; `..` climbs above the start when allowed. */
function normalizeString(path: string, allowAboveRoot: boolean): string {
  let res = "";
  let lastSegmentLength = 0;
  let lastSlash = -1;
  let dots = 0;
  let code = 0;
  for (let i = 0; i <= path.length; ++i) {
    if (i < path.length) code = path.charCodeAt(i);
    else if (code === 47) break;
    else code = 47;
    if (code === 47) {
      if (lastSlash === i - 1 || dots === 1) {
        // An empty or `.` component.
      } else if (dots === 2) {
        if (
          res.length < 2 || lastSegmentLength !== 2 || res.charCodeAt(res.length - 1) !== 46 ||
          res.charCodeAt(res.length - 2) !== 46
        ) {
          if (res.length > 2) {
            const lastSlashIndex = res.lastIndexOf("/");
            if (lastSlashIndex === -1) {
              res = "";
              lastSegmentLength = 0;
            } else {
              res = res.slice(0, lastSlashIndex);
              lastSegmentLength = res.length - 1 - res.lastIndexOf("/");
            }
            lastSlash = i;
            dots = 0;
            continue;
          } else if (res.length !== 0) {
            res = "";
            lastSegmentLength = 0;
            lastSlash = i;
            dots = 0;
            continue;
          }
        }
        if (allowAboveRoot) {
          res += res.length > 0 ? "/.." : "..";
          lastSegmentLength = 2;
        }
      } else {
        if (res.length > 0) res += `/${path.slice(lastSlash + 1, i)}`;
        else res = path.slice(lastSlash + 1, i);
        lastSegmentLength = i - lastSlash - 1;
      }
      lastSlash = i;
      dots = 0;
    } else if (code === 46 && dots !== -1) {
      ++dots;
    } else {
      dots = -1;
    }
  }
  return res;
}

/** Whether the path starts at `/`. */
export function isAbsolute(path: string): boolean {
  return path.length > 0 && path.charCodeAt(0) === 47;
}

/** `path` without `.`, `..` (where it can climb) and repeated slashes; a trailing `/` stays. */
export function normalize(path: string): string {
  if (path.length === 0) return ".";
  const abs = isAbsolute(path);
  const trailing = path.charCodeAt(path.length - 1) === 47;
  let out = normalizeString(path, !abs);
  if (out.length === 0) {
    if (abs) return "/";
    return trailing ? "./" : ".";
  }
  if (trailing) out += "/";
  return abs ? `/${out}` : out;
}

/** The non-empty parts joined with `/`, normalized; `.` when all are empty. */
export function join(...parts: string[]): string {
  let joined: string | undefined;
  for (const p of parts) {
    if (p.length > 0) joined = joined === undefined ? p : `${joined}/${p}`;
  }
  return joined === undefined ? "." : normalize(joined);
}

/** Everything before the last component (trailing slashes ignored). */
export function dirname(path: string): string {
  if (path.length === 0) return ".";
  const hasRoot = path.charCodeAt(0) === 47;
  let end = -1;
  let matchedSlash = true;
  for (let i = path.length - 1; i >= 1; --i) {
    if (path.charCodeAt(i) === 47) {
      if (!matchedSlash) {
        end = i;
        break;
      }
    } else {
      matchedSlash = false;
    }
  }
  if (end === -1) return hasRoot ? "/" : ".";
  if (hasRoot && end === 1) return "//";
  return path.slice(0, end);
}

/** The last component (trailing slashes ignored). */
export function basename(path: string): string {
  let start = 0;
  let end = -1;
  let matchedSlash = true;
  for (let i = path.length - 1; i >= 0; --i) {
    if (path.charCodeAt(i) === 47) {
      if (!matchedSlash) {
        start = i + 1;
        break;
      }
    } else if (end === -1) {
      matchedSlash = false;
      end = i + 1;
    }
  }
  return end === -1 ? "" : path.slice(start, end);
}

/**
 * The absolute path the parts lead to, right to left until one is absolute; `cwd` (asked
 * only when none is) starts them otherwise.
 */
export function resolve(parts: readonly string[], cwd: () => string): string {
  let resolved = "";
  let absolute = false;
  for (let i = parts.length - 1; i >= -1 && !absolute; i--) {
    const path = i >= 0 ? parts[i] : cwd();
    if (path.length === 0) continue;
    resolved = `${path}/${resolved}`;
    absolute = isAbsolute(path);
  }
  resolved = normalizeString(resolved, !absolute);
  if (absolute) return `/${resolved}`;
  return resolved.length > 0 ? resolved : ".";
}
