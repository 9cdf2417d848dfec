/** Symlink listings for tests that compare the links two tools leave behind. */

/** Every symlink below `root` as `path -> target` (paths inside the root), sorted. */
export function linksOf(root: string, below = ""): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of Deno.readDirSync(dir)) {
      const p = `${dir}/${e.name}`;
      if (e.isSymlink) out.push(`${p.slice(root.length)} -> ${Deno.readLinkSync(p)}`);
      else if (e.isDirectory) walk(p);
    }
  };
  walk(`${root}${below}`);
  return out.sort();
}
