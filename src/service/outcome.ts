/**
 * What a job verb's work on units came to, as facts: the service layer reports these and
 * returns the one that decides the exit code; `verbs/` turns them into systemd's words and
 * exit codes. Nothing here prints.
 * @module
 */

import type { RootMap, Scope } from "../units/paths.ts";

/** What the service layer needs from the invocation (the CLI's context has it all). */
export interface JobContext {
  readonly root: RootMap;
  readonly scope: Scope;
  readonly env: Readonly<Record<string, string>>;
  readonly options: {
    readonly verbose: number;
    readonly extraVars: readonly string[];
    readonly maxTimeout?: number;
  };
  /** A warning for the caller (systemctl's log_warning()). */
  warn(text: string): void;
}

/** The facts of a unit that could not be loaded for a job (its load state says why). */
export interface LoadFacts {
  readonly requested: string;
  readonly id: string;
  readonly loadState: string;
  readonly loadError?: string;
}

/** A job the manager refused with its own error (the client prints that error). */
export type JobRefusal =
  /** AssertX= failed. */
  | { readonly kind: "assert-failed"; readonly id: string }
  /** reload on a unit that cannot reload. */
  | { readonly kind: "reload-not-applicable"; readonly id: string }
  /** reload on a unit that is not active. */
  | { readonly kind: "reload-inactive"; readonly id: string }
  /** The init instance that runs the job did not answer. */
  | { readonly kind: "init-silent"; readonly verb: string; readonly id: string };

/** A unit the job could not act on, or a job that failed: what a message needs. */
export type JobFailure =
  /** The unit is not found, masked, or failed to load. */
  | { readonly kind: "load"; readonly verb: string; readonly unit: LoadFacts }
  /** A template name without an instance. */
  | { readonly kind: "no-instance"; readonly verb: string; readonly name: string }
  /** RefuseManualStart=/RefuseManualStop=. */
  | {
    readonly kind: "refused-manual";
    readonly verb: string;
    readonly name: string;
    readonly id: string;
  }
  /** A Requisite= that is not active, or a required unit's job failed. */
  | { readonly kind: "dependency-failed"; readonly id: string }
  /** The transaction needs a unit that does not exist (systemd's NoSuchUnit). */
  | {
    readonly kind: "dependency-not-found";
    readonly verb: string;
    readonly requested: string;
    readonly missing: string;
  }
  /** The unit's lock was not had in time (or its state could not be written). */
  | { readonly kind: "busy"; readonly verb: string; readonly id: string; readonly reason: string }
  /**
   * The job ran and failed: `result` is the Result the manager holds after it (undefined
   * when the unit was collected), `message` the unit's log line when it says why.
   */
  | {
    readonly kind: "job-failed";
    readonly id: string;
    readonly result?: string;
    readonly message?: string;
  }
  /** The manager refused the job with its own error. */
  | JobRefusal
  /** isolate of a target that does not allow it. */
  | { readonly kind: "not-isolatable"; readonly id: string }
  /** kill --signal= that is no signal. */
  | { readonly kind: "bad-signal"; readonly text: string }
  /** kill, reset-failed, clean on a unit the manager holds no record of. */
  | {
    readonly kind: "not-loaded";
    readonly action: "kill" | "reset-failed" | "clean";
    readonly name: string;
  }
  /** kill --kill-whom= that is none of main, control, all. */
  | { readonly kind: "bad-whom"; readonly id: string; readonly whom: string }
  /** kill --kill-whom=main|control with no such process. */
  | { readonly kind: "no-process"; readonly id: string; readonly which: "main" | "control" }
  /** clean --what= that is no resource type. */
  | { readonly kind: "bad-clean-type"; readonly what: string }
  /** clean of a unit that is not inactive. */
  | { readonly kind: "clean-busy"; readonly id: string };

/** Something the caller is told that fails nothing. */
export type JobNotice =
  /** The unit's files changed since they were loaded (NeedDaemonReload=). */
  | { readonly kind: "changed-on-disk"; readonly id: string }
  /** A line of the -v trace (what a job did that the client is not otherwise told). */
  | { readonly kind: "trace"; readonly text: string };

/** Where the service layer reports failures and notices as they happen. */
export type Report = (o: JobFailure | JobNotice) => void;

/** A report that keeps nothing (for callers that only want the returned failure). */
export const QUIET: Report = () => {};

/** A job verb's failures as it goes: each reported at once, the first kept for the exit code. */
export interface FailureLog {
  /** Reports `f` and keeps it when it is the first. */
  fail(f: JobFailure): void;
  /** Keeps `f`, already reported (by a nested job), when it is the first. */
  keep(f: JobFailure | undefined): void;
  /** The first failure kept, if any. */
  readonly first: JobFailure | undefined;
}

/** A FailureLog reporting to `report`. */
export function failureLog(report: Report): FailureLog {
  let first: JobFailure | undefined;
  return {
    fail(f) {
      report(f);
      first ??= f;
    },
    keep(f) {
      first ??= f;
    },
    get first() {
      return first;
    },
  };
}
