/**
 * The descriptors a socket activation hands to a service (spec §4.4): the
 * socket layer offers them for a service just before starting it, the
 * service's ExecStart takes them as LISTEN_FDS (from descriptor 3), with
 * LISTEN_PID (its own PID) and LISTEN_FDNAMES, and, for an accepted
 * connection, StandardInput=/StandardOutput=socket on the connection.
 * @module
 */

import type { SpawnSpec } from "../process/spawn.ts";
import type { ServiceSettings } from "../unit/model.ts";

/** Descriptors for one service start. */
export interface ActivationFds {
  /** Descriptors of this process, passed as 3, 4, ... */
  readonly fds: readonly number[];
  /** One name per descriptor (FileDescriptorName=, `connection` for Accept=yes). */
  readonly names: readonly string[];
  /** The first descriptor is an accepted connection (Accept=yes). */
  readonly connection?: boolean;
}

const offered = new Map<string, ActivationFds>();

/** Offers descriptors to the next start of `service` in this process. */
export function offerDescriptors(service: string, fds: ActivationFds): void {
  offered.set(service, fds);
}

/** Withdraws an offer that was not taken (the service was already running). */
export function withdrawDescriptors(service: string): void {
  offered.delete(service);
}

let source: ((service: string) => ActivationFds | undefined) | undefined;

/**
 * Registers where a service started for any other reason gets its sockets: as in
 * systemd, a service is handed the descriptors of the listening sockets that trigger it
 * (the init instance's socket host).
 */
export function setDescriptorSource(
  fn: ((service: string) => ActivationFds | undefined) | undefined,
): void {
  source = fn;
}

/** Takes the descriptors offered to `service`, else those of the sockets that trigger it. */
export function takeDescriptors(service: string): ActivationFds | undefined {
  const fds = offered.get(service);
  offered.delete(service);
  return fds ?? source?.(service);
}

/** Adds the activation descriptors and variables to the spawn spec of an ExecStart command. */
export function applyDescriptors(
  spec: SpawnSpec,
  fds: ActivationFds,
  s: ServiceSettings,
): SpawnSpec {
  const out: SpawnSpec = {
    ...spec,
    passFds: [...fds.fds],
    env: {
      ...spec.env,
      LISTEN_FDS: String(fds.fds.length),
      LISTEN_FDNAMES: fds.names.join(":"),
    },
    pidEnv: [...(spec.pidEnv ?? []), "LISTEN_PID"],
  };
  if (fds.connection) {
    const conn = { kind: "fd" as const, fd: 3 };
    const stdin = s.standardInput.kind === "socket";
    if (stdin) out.stdin = conn;
    // StandardOutput=inherit (the default with StandardInput=socket) means stdin's target.
    const stdoutKind = s.standardOutput.kind;
    if (stdoutKind === "socket" || (stdin && stdoutKind === "inherit")) out.stdout = conn;
    // stderr=inherit follows stdout; an explicit socket also goes to the connection.
    if (s.standardError.kind === "socket") out.stderr = conn;
  }
  return out;
}
