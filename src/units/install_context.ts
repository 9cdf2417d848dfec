/**
 * systemd's InstallContext: finding a unit file by name, following alias and linked
 * symlinks, and reading its `[Install]` once per name.
 * @module
 */

import { dirname, isAbsolute, join } from "../unit/posix_path.ts";
import { instanceName, isValidUnitName, parseUnitName, templateOf } from "../unit/names.ts";
import { chaseParent, type InstallLookup, lstatIn, nullOrEmpty } from "./install_lookup.ts";
import {
  basename,
  emptyInstall,
  type Info,
  type InstallChange,
  InstallError,
  isInstance,
  isTemplate,
} from "./install_types.ts";

export interface SearchFlags {
  load: boolean;
  followConfig: boolean;
}

export const LOAD_FOLLOW: SearchFlags = { load: true, followConfig: true };

/** systemd's InstallContext: the units to process, in order of discovery. */
export class InstallContext {
  readonly lp: InstallLookup;
  readonly willProcess = new Map<string, Info>();
  readonly haveProcessed = new Map<string, Info>();

  constructor(lp: InstallLookup) {
    this.lp = lp;
  }

  /** Takes the next unit to process (moved to the processed ones), or undefined. */
  next(): Info | undefined {
    const first = this.willProcess.entries().next();
    if (first.done) return undefined;
    const [name, i] = first.value;
    this.willProcess.delete(name);
    this.haveProcessed.set(name, i);
    return i;
  }

  find(name: string): Info | undefined {
    return this.haveProcessed.get(name) ?? this.willProcess.get(name);
  }

  /** Adds a name (or a path whose base name is the name). */
  add(name: string | undefined, path: string | undefined, auxiliary: boolean): Info {
    const n = name ?? basename(path as string);
    if (!isValidUnitName(n)) throw new InstallError("EINVAL");
    const existing = this.find(n);
    if (existing) {
      existing.auxiliary = existing.auxiliary && auxiliary;
      return existing;
    }
    const info: Info = { name: n, path, install: emptyInstall(), auxiliary };
    this.willProcess.set(n, info);
    return info;
  }

  loadOrReadlink(info: Info, path: string, flags: SearchFlags): void {
    const lp = this.lp;
    if (lp.listedKind(dirname(path), basename(path)) === "file" && flags.load) {
      // Known regular file: reading it tells emptiness, no lstat needed.
      info.path = path;
      this.#load(info);
      return;
    }
    const st = lstatIn(lp, path);
    if (!st) throw new InstallError("ENOENT");
    if (st.isSymlink) {
      let raw: string;
      try {
        raw = Deno.readLinkSync(lp.host(path));
      } catch {
        throw new InstallError("ENOENT");
      }
      const target = chaseParent(lp, isAbsolute(raw) ? raw : join(dirname(path), raw));
      info.symlinkTarget = target;
      const outside = !lp.underSearchPath(target);
      if (nullOrEmpty(lp, target) === true) info.mode = "masked";
      else info.mode = outside ? "linked" : "alias";
      return;
    }
    if (st.isDirectory) throw new InstallError("EISDIR");
    if (st.isFile && st.size === 0) {
      info.mode = "masked";
      return;
    }
    if (!st.isFile) throw new InstallError("EIO");
    info.path = path;
    if (flags.load) this.#load(info);
    else info.mode = "regular";
  }

  /** Reads the `[Install]` of a regular file: masked when it is empty. */
  #load(info: Info): void {
    const r = this.lp.installOf(info, (n) => this.add(n, undefined, true));
    if (r === "EMPTY") {
      info.mode = "masked";
      return;
    }
    if (typeof r === "string") throw new InstallError(r);
    info.install = r;
    info.mode = "regular";
  }

  search(info: Info, flags: SearchFlags): void {
    if (info.mode !== undefined) return;
    if (info.path !== undefined) {
      this.loadOrReadlink(info, info.path, flags);
      return;
    }
    const candidates = [info.name];
    const t = isInstance(info.name) ? templateOf(info.name) : undefined;
    if (t !== undefined) candidates.push(t);
    for (const n of candidates) {
      for (const dir of this.lp.searchPath) {
        if (this.lp.listed(dir, n) === false) continue;
        const path = `${dir}/${n}`;
        try {
          info.path = path;
          this.loadOrReadlink(info, path, flags);
          info.path = path;
          return;
        } catch (e) {
          info.path = undefined;
          info.mode = undefined;
          if (e instanceof InstallError && e.errno === "ENOENT") continue;
          throw e;
        }
      }
    }
    throw new InstallError("ENOENT");
  }

  follow(info: Info, flags: SearchFlags, ignoreDifferentName: boolean): void {
    const target = info.symlinkTarget as string;
    if (!ignoreDifferentName && basename(target) !== info.name) throw new InstallError("EXDEV");
    info.path = target;
    info.mode = undefined;
    info.symlinkTarget = undefined;
    this.loadOrReadlink(info, target, flags);
    if (info.mode !== "regular") info.path = target;
  }

  traverse(start: Info, flags: SearchFlags): Info {
    this.search(start, flags);
    let i = start;
    let k = 0;
    while (i.mode === "alias" || i.mode === "linked") {
      if (++k > 64) throw new InstallError("ELOOP");
      if (!flags.followConfig && this.lp.isConfig(i.path as string)) {
        throw new InstallError("ELOOP");
      }
      try {
        this.follow(i, flags, i.mode === "linked");
        continue;
      } catch (e) {
        if (!(e instanceof InstallError) || e.errno !== "EXDEV" || !i.symlinkTarget) throw e;
      }
      let bn = basename(i.symlinkTarget);
      if (isInstance(i.name) && isTemplate(bn)) {
        const inst = parseUnitName(i.name)?.instance as string;
        const buffer = instanceName(bn, inst);
        if (buffer === i.name) {
          this.follow(i, flags, true);
          continue;
        }
        bn = buffer;
      }
      i = this.add(bn, undefined, false);
      try {
        this.search(i, flags);
      } catch (e) {
        if (e instanceof InstallError && e.errno === "ENOENT") throw new InstallError("ENOLINK");
        throw e;
      }
    }
    return i;
  }

  addAuto(nameOrPath: string): Info {
    if (nameOrPath.startsWith("/")) return this.add(undefined, nameOrPath, false);
    return this.add(nameOrPath, undefined, false);
  }

  discover(nameOrPath: string, flags: SearchFlags, changes?: InstallChange[]): Info {
    try {
      return this.traverse(this.addAuto(nameOrPath), flags);
    } catch (e) {
      if (e instanceof InstallError) {
        changes?.push({ type: "error", errno: e.errno, path: nameOrPath });
      }
      throw e;
    }
  }

  discoverAndCheck(nameOrPath: string, flags: SearchFlags, changes: InstallChange[]): Info {
    const info = this.discover(nameOrPath, flags, changes);
    const lp = this.lp;
    if (info.mode === "masked") {
      changes.push({ type: "error", errno: "ERFKILL", path: lp.host(info.path as string) });
      throw new InstallError("ERFKILL");
    }
    if (lp.isGenerated(info.path as string) || lp.isTransient(info.path as string)) {
      changes.push({ type: "error", errno: "EADDRNOTAVAIL", path: lp.host(info.path as string) });
      throw new InstallError("EADDRNOTAVAIL");
    }
    return info;
  }
}
