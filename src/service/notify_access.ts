/**
 * Who may change what about a running service from outside the manager (spec
 * §12), as systemd 252's service.c decides it: NotifyAccess= for notify
 * messages (service_notify_message_authorized()), and which new main PID a
 * MAINPID= message or a PID file may name (service_is_suitable_main_pid(),
 * service_notify_message(), service_load_pid_file()). A PID that is not the
 * service's own is taken only from a privileged source: a root sender, or a
 * PID file owned by root and reached without an unsafe symlink.
 * @module
 */

import type { UnitState } from "../state/store.ts";
import type { NotifySender } from "../process/notify.ts";
import type { PidFileContent } from "../process/safe_open.ts";
import { isAlive } from "../process/procfs.ts";
import { alive, isLiveMember } from "./runtime.ts";

/** Whether `pid` is one of the service's processes now (proved as for a signal, §12). */
export function belongsToService(
  st: UnitState,
  pid: number,
  extra: () => readonly number[] = () => [],
): boolean {
  return isLiveMember(st, pid) || extra().includes(pid);
}

function known(pid: number | undefined, start: number | undefined): number {
  return pid && alive(pid, start) ? pid : 0;
}

/**
 * NotifyAccess= for one message: undefined when it is taken, else systemd's
 * warning (without the unit prefix). `all` takes messages from the service's own
 * processes only: a message from anyone else is the one systemd's manager cannot
 * route to any unit.
 */
export function notifyRefusal(
  access: string,
  st: UnitState,
  sender: NotifySender,
): string | undefined {
  const pid = sender.pid;
  if (!(pid > 0)) return "Received notify message without valid credentials. Ignoring.";
  const main = known(st.MainPID, st.MainPIDStartTime);
  const control = known(st.ControlPID, st.ControlPIDStartTime);
  const from = `Got notification message from PID ${pid}`;
  if (pid !== main && pid !== control && !belongsToService(st, pid)) {
    return `Cannot find unit for notify message of PID ${pid}, ignoring.`;
  }
  switch (access) {
    case "all":
      return undefined;
    case "main":
      if (pid === main) return undefined;
      return main
        ? `${from}, but reception only permitted for main PID ${main}`
        : `${from}, but reception only permitted for main PID which is currently not known`;
    case "exec":
      if (pid === main || pid === control) return undefined;
      if (main && control) {
        return `${from}, but reception only permitted for main PID ${main} and control PID ${control}`;
      }
      if (main) return `${from}, but reception only permitted for main PID ${main}`;
      if (control) return `${from}, but reception only permitted for control PID ${control}`;
      return `${from}, but reception only permitted for main PID and control PID which are currently not known`;
    default:
      return `${from}, but reception is disabled.`;
  }
}

/** Where a new main PID comes from: a notify message's sender, or a PID file. */
export type MainPidSource =
  | { readonly kind: "message"; readonly senderUid: number }
  | { readonly kind: "pidfile"; readonly path: string; readonly file: PidFileContent };

/** Whether a new main PID is taken, and systemd's words when it is not. */
export type MainPidVerdict =
  | { readonly accept: true }
  | { readonly accept: false; readonly reason: string; readonly gone?: boolean };

/**
 * service_is_suitable_main_pid() and what follows it: never the manager or the control
 * process, never a process that is gone; the service's own process always; any other
 * only from a privileged source. `extra` lists processes the caller knows to be the
 * service's (a forking start's daemons), asked for only when the record does not tell.
 */
export function judgeMainPid(
  st: UnitState,
  pid: number,
  source: MainPidSource,
  extra: () => readonly number[] = () => [],
): MainPidVerdict {
  if (pid === Deno.pid || pid === 1) {
    return { accept: false, reason: `New main PID ${pid} is the manager, refusing.` };
  }
  if (pid === known(st.ControlPID, st.ControlPIDStartTime)) {
    return { accept: false, reason: `New main PID ${pid} is the control process, refusing.` };
  }
  if (!isAlive(pid)) {
    return {
      accept: false,
      reason: `New main PID ${pid} does not exist or is a zombie.`,
      gone: true,
    };
  }
  if (belongsToService(st, pid, extra)) return { accept: true };
  if (source.kind === "message") {
    if (source.senderUid === 0) return { accept: true };
    return { accept: false, reason: `New main PID ${pid} does not belong to service, refusing.` };
  }
  if (source.file.questionable) {
    return {
      accept: false,
      reason: "Refusing to accept PID outside of service control group, acquired through " +
        `unsafe symlink chain: ${source.path}`,
    };
  }
  if (source.file.ownerUid !== 0) {
    return {
      accept: false,
      reason: `New main PID ${pid} does not belong to service, and PID file is not owned by ` +
        "root. Refusing.",
    };
  }
  return { accept: true };
}
