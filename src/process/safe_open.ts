/**
 * Reading a PID file under a root as systemd's service_load_pid_file() does: the path is
 * chased inside the root with CHASE_SAFE (rootfs.ts's one descriptor walk: nothing
 * outside the root is reached, no component can be swapped between a check and its use,
 * and a step from an unprivileged owner to another owner is refused), and on such an
 * unsafe transition chased again without it, the content then marked questionable.
 * @module
 */

import { closeFd, readFd } from "./fsat.ts";
import { Errno } from "./libc.ts";
import { openFileIn, RootFsError, type RootStat } from "./rootfs.ts";

/** What a PID file held, and how far it can be trusted. */
export interface PidFileContent {
  /** The PID on its first line; undefined when that line is not a PID. */
  pid?: number;
  /** The owner of the file. */
  ownerUid: number;
  /**
   * Reached only through an unsafe symlink chain (an unprivileged user's link to
   * someone else's file): systemd then takes no PID from outside the service.
   */
  questionable: boolean;
}

/**
 * Reads a PID file under `root` as systemd's service_load_pid_file() does: chased
 * with CHASE_SAFE and, when that meets an unsafe transition, again without it
 * (the content is then marked questionable). Undefined when it cannot be opened.
 */
export function readPidFileIn(root: string, path: string): PidFileContent | undefined {
  let opened: { fd: number; stat: RootStat };
  let questionable = false;
  try {
    try {
      opened = openFileIn(root, path, true);
    } catch (e) {
      if (!(e instanceof RootFsError) || e.code !== Errno.ENOLINK) throw e;
      questionable = true;
      opened = openFileIn(root, path, false);
    }
  } catch {
    return undefined;
  }
  try {
    const text = new TextDecoder().decode(readFd(opened.fd, 4096));
    const m = /^\s*(\d+)\s*$/.exec(text.split("\n")[0]);
    const pid = m ? Number(m[1]) : undefined;
    return {
      pid: pid !== undefined && Number.isSafeInteger(pid) && pid > 0 ? pid : undefined,
      ownerUid: opened.stat.uid,
      questionable,
    };
  } catch {
    return undefined;
  } finally {
    closeFd(opened.fd);
  }
}
