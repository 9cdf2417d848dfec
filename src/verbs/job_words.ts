/**
 * The words and exit codes of the job verbs (systemctl-start-unit.c's part): the service
 * layer reports what happened to each unit (service/outcome.ts) and these lines say it as
 * systemd's systemctl does.
 * @module
 */

import type { Context } from "../cli/context.ts";
import type { JobFailure, JobNotice, Report } from "../service/outcome.ts";
import { loadProblem } from "../output/load_problem.ts";
import {
  EXIT_FAILURE,
  EXIT_NOPERMISSION,
  EXIT_NOTIMPLEMENTED,
  EXIT_NOTINSTALLED,
  EXIT_SUCCESS,
} from "../unit/exit_codes.ts";

const RESULT_TEXT: Record<string, string> = {
  "exit-code": "the control process exited with error code",
  "timeout": "a timeout was exceeded",
  "signal": "a fatal signal was delivered to the control process",
  "core-dump": "a fatal signal was delivered causing the control process to dump core",
  "protocol": "the service did not take the steps required by its unit configuration",
  "start-limit-hit": "start of the service was attempted too often",
  "resources": "of unavailable resources or another system error",
  "exec-condition": "the control process exited with error code",
};

/**
 * systemctl's words for a failed job (check_wait_response()): for a service they come
 * from its Result as the manager holds it after the job
 * (log_job_error_with_service_result()), which is the first failure of a run, not
 * necessarily this job's (a start refused by the start limit after a failed run says
 * why the run failed); a Result without an explanation (`success` after a failed reload)
 * gives the short form. Other unit types get one line.
 */
function jobFailedText(
  scope: string,
  o: { id: string; result?: string; message?: string },
): string {
  if (o.message) return o.message + "\n";
  if (!o.id.endsWith(".service")) return `Job failed. See "journalctl -xe" for details.\n`;
  const why = o.result ? RESULT_TEXT[o.result] : undefined;
  const hint = scope === "user" ? " --user" : "";
  let text = `Job for ${o.id} failed${why ? ` because ${why}` : ""}.\n` +
    `See "systemctl${hint} status ${o.id}" and "journalctl${hint} -xeu ${o.id}" for details.\n`;
  if (o.result === "start-limit-hit") {
    text += `To force a start use "systemctl${hint} reset-failed ${o.id}"\n` +
      `followed by "systemctl${hint} start ${o.id}" again.\n`;
  }
  return text;
}

const NOT_LOADED_ACTION = {
  "kill": "kill unit",
  "reset-failed": "reset failed state of unit",
  "clean": "clean unit",
} as const;

/** systemctl's lines for a failure or notice (each line ends in a newline). */
export function jobText(scope: string, o: JobFailure | JobNotice): string {
  const user = scope === "user" ? " --user" : "";
  switch (o.kind) {
    case "load":
      return loadProblem(o.verb, o.unit)!.text + "\n";
    case "no-instance":
      // The manager's error, with systemctl's hint (not for a missing or masked unit).
      return `Failed to ${o.verb} ${o.name}: Unit name ${o.name} is missing the instance name.\n` +
        `See system logs and 'systemctl${user} status ${o.name}' for details.\n`;
    case "refused-manual":
      return `Failed to ${o.verb} ${o.name}: Operation refused, unit ${o.id} may be requested by ` +
        "dependency only (it is configured to refuse manual start/stop).\n";
    case "dependency-failed":
      return `A dependency job for ${o.id} failed. See 'journalctl -xe' for details.\n`;
    case "dependency-not-found":
      return `Failed to ${o.verb} ${o.requested}: Unit ${o.missing} not found.\n`;
    case "busy":
      return `Failed to ${o.verb} ${o.id}: ${o.reason}\n`;
    case "job-failed":
      return jobFailedText(scope, o);
    case "assert-failed":
      return `Assertion failed on job for ${o.id}.\n`;
    case "reload-inactive":
      return `Failed to reload ${o.id}: Unit ${o.id} is not active.\n`;
    case "init-silent":
      return `Failed to ${o.verb} ${o.id}: the init instance did not answer.\n`;
    case "reload-not-applicable":
      return `Failed to reload ${o.id}: Job type reload is not applicable for unit ${o.id}.\n`;
    case "not-isolatable":
      return `Failed to start ${o.id}: Operation refused, unit may not be isolated.\n` +
        `See system logs and 'systemctl status ${o.id}' for details.\n`;
    case "bad-signal":
      return `Failed to parse signal string "${o.text}".\n`;
    case "not-loaded":
      return `Failed to ${NOT_LOADED_ACTION[o.action]} ${o.name}: Unit ${o.name} not loaded.\n`;
    case "bad-whom":
      return `Failed to kill unit ${o.id}: Invalid who argument ${o.whom}\n`;
    case "no-process":
      return `Failed to kill unit ${o.id}: No ${o.which} process to kill\n`;
    case "bad-clean-type":
      return `Invalid clean resource type: ${o.what}\n`;
    case "clean-busy":
      return `Failed to clean unit ${o.id}: Unit is not inactive or has pending job.\n`;
    case "trace":
      return o.text + "\n";
    case "changed-on-disk":
      return `Warning: The unit file, source configuration file or drop-ins of ${o.id} changed ` +
        `on disk. Run 'systemctl${user} daemon-reload' to reload units.\n`;
  }
}

/** The exit code a failure gives the verb (systemctl's mapping of the manager's errors). */
export function exitCodeOf(f: JobFailure | undefined): number {
  if (f === undefined) return EXIT_SUCCESS;
  switch (f.kind) {
    case "load":
      return loadProblem(f.verb, f.unit)!.code;
    case "dependency-not-found":
      return EXIT_NOTINSTALLED;
    case "reload-not-applicable":
      // BUS_ERROR_JOB_TYPE_NOT_APPLICABLE
      return EXIT_NOTIMPLEMENTED;
    case "not-isolatable":
      // BUS_ERROR_NO_ISOLATION
      return EXIT_NOPERMISSION;
    default:
      return EXIT_FAILURE;
  }
}

/** A report that prints each failure and notice on stderr as it happens. */
export function printer(ctx: Context): Report {
  return (o) => ctx.io.err(jobText(ctx.scope, o));
}

/** Runs service work that reports to stderr; its first failure gives the exit code. */
export async function said(
  ctx: Context,
  work: (report: Report) => Promise<JobFailure | undefined>,
): Promise<number> {
  return exitCodeOf(await work(printer(ctx)));
}
