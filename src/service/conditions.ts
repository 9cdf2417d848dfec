/**
 * `Condition…=` and `Assert…=` checks, evaluated as systemd 252 does when a
 * start job runs (systemd.unit(5), "Conditions and Asserts").
 *
 * Rules:
 * - All non-triggering checks must pass; if any triggering (`|`) checks
 *   exist, at least one of them must pass. `!` negates a check.
 * - A check that cannot be evaluated (relative path, malformed expression,
 *   unknown capability name, unreadable kernel facts) fails
 *   whether or not it is negated, like systemd's `CONDITION_ERROR`.
 * - As in systemd, evaluation stops at the first failing non-triggering
 *   check; {@link ChecksOutcome.results} holds the checks evaluated so far,
 *   and the failed ones among them are what `status` lists.
 * - A check name this module does not know passes (systemd would already
 *   have refused the key when loading the unit).
 *
 * Every path taken from a unit file is opened under the `--root` through
 * {@link RootMap.host}; symlinks met on the way are resolved inside the root.
 * Facts about the running system (kernel, CPUs, memory, capabilities,
 * virtualization, security modules) come from `procRoot` and `sysRoot`.
 * @module
 */

import {
  CheckError,
  type CheckResult,
  type ChecksOutcome,
  type ConditionEnv,
} from "./conditions_common.ts";
import {
  checkCapability,
  checkCpuFeature,
  checkCpus,
  checkMemory,
  checkSecurity,
} from "./conditions_hardware.ts";
import {
  checkDirectoryNotEmpty,
  checkFileIsExecutable,
  checkFileNotEmpty,
  checkPathExists,
  checkPathExistsGlob,
  checkPathIsDirectory,
  checkPathIsMountPoint,
  checkPathIsReadWrite,
  checkPathIsSymbolicLink,
} from "./conditions_path.ts";
import {
  checkArchitecture,
  checkEnvironment,
  checkHost,
  checkKernelCommandLine,
  checkKernelVersion,
  checkOsRelease,
  checkVirtualization,
} from "./conditions_system.ts";
import { checkGroup, checkUser } from "./conditions_users.ts";

import type { Check } from "../unit/model.ts";
import { parseBoolean } from "../unit/values.ts";
import { fnmatch, fnmatchSteps } from "../unit/glob.ts";
import { expandBraces, globExists } from "./conditions_path.ts";

export type { CheckResult, ChecksOutcome, ConditionEnv } from "./conditions_common.ts";
export { compareVersions } from "./conditions_common.ts";
export { detectVirtualization, nativeArchitecture } from "./conditions_system.ts";

function checkBoolean(value: string): boolean {
  const b = parseBoolean(value);
  if (b === undefined) throw new CheckError(`not a boolean: ${value}`);
  return b;
}

type Evaluator = (env: ConditionEnv, value: string) => boolean;

const EVALUATORS: Record<string, Evaluator> = {
  PathExists: checkPathExists,
  PathExistsGlob: checkPathExistsGlob,
  PathIsDirectory: checkPathIsDirectory,
  PathIsSymbolicLink: checkPathIsSymbolicLink,
  PathIsMountPoint: checkPathIsMountPoint,
  PathIsReadWrite: checkPathIsReadWrite,
  DirectoryNotEmpty: checkDirectoryNotEmpty,
  FileNotEmpty: checkFileNotEmpty,
  FileIsExecutable: checkFileIsExecutable,
  Environment: checkEnvironment,
  Host: checkHost,
  Architecture: checkArchitecture,
  Virtualization: checkVirtualization,
  KernelCommandLine: checkKernelCommandLine,
  KernelVersion: checkKernelVersion,
  User: checkUser,
  Group: checkGroup,
  OSRelease: checkOsRelease,
  Memory: checkMemory,
  CPUs: checkCpus,
  CPUFeature: checkCpuFeature,
  Capability: checkCapability,
  Security: checkSecurity,
  // Not the first boot: `FirstBoot=yes` is false, `FirstBoot=no` true.
  FirstBoot: (_env, value) => !checkBoolean(value),
  NeedsUpdate: () => false,
  Credential: () => false,
  ControlGroupController: () => false,
  PathIsEncrypted: () => false,
  Firmware: () => false,
  // On AC power (or no connectors known): `ACPower=yes` is true, `ACPower=no` false.
  ACPower: (_env, value) => checkBoolean(value),
  MemoryPressure: () => true,
  CPUPressure: () => true,
  IOPressure: () => true,
};

/** Whether the check names one this module evaluates. */
export function isKnownCheck(name: string): boolean {
  return Object.hasOwn(EVALUATORS, name);
}

/** Evaluates one check, negation applied; a check that cannot be evaluated is false. */
export function evaluateCheck(check: Check, env: ConditionEnv): boolean {
  if (!Object.hasOwn(EVALUATORS, check.name)) return true;
  const fn = EVALUATORS[check.name];
  try {
    return fn(env, check.value) !== check.negate;
  } catch {
    return false;
  }
}

/**
 * Evaluates the checks of one kind (`Condition` or `Assert`), as systemd's
 * `condition_test_list()`: every plain check must pass, and when triggering
 * checks exist at least one of them must pass. Checks of the other kind are
 * skipped.
 */
export function evaluateChecks(
  checks: readonly Check[],
  kind: "Condition" | "Assert",
  env: ConditionEnv,
): ChecksOutcome {
  const results: CheckResult[] = [];
  let triggered: boolean | undefined;
  let firstFailedTrigger: Check | undefined;
  for (const check of checks) {
    if (check.kind !== kind) continue;
    const ok = evaluateCheck(check, env);
    results.push({ check, ok });
    if (!check.trigger && !ok) return { ok: false, failed: check, results };
    if (check.trigger) {
      if (ok) triggered = true;
      else {
        triggered ??= false;
        firstFailedTrigger ??= check;
      }
    }
  }
  if (triggered === false) return { ok: false, failed: firstFailedTrigger, results };
  return { ok: true, results };
}

/**
 * The `status` line for a failed check, as systemctl prints it:
 * `ConditionPathExists=|!/x was not met`.
 */
export function describeFailedCheck(c: Check): string {
  return `${c.kind}${c.name}=${c.trigger ? "|" : ""}${c.negate ? "!" : ""}${c.value} was not met`;
}

/** @internal For tests: the fnmatch(3) emulation and the glob existence test. */
export const _internal = {
  fnmatch: (pattern: string, text: string, casefold = false) =>
    fnmatch(pattern, text, { casefold }),
  fnmatchSteps: (pattern: string, text: string) => fnmatchSteps(pattern, text),
  globExists,
  expandBraces,
};
