/**
 * The exit codes a verb returns, named once: systemd's `exit-status.h` (the generic and
 * LSB init-script codes systemctl uses for jobs) and LSB's codes for `status`. Verbs choose
 * among these; nothing else picks a bare number.
 * @module
 */

/** systemd's generic codes and the LSB init-script codes, by their `exit-status.h` names. */
const JOB_CODES = {
  /** Success. */
  EXIT_SUCCESS: 0,
  /** Generic failure (systemctl's `EXIT_FAILURE`). */
  EXIT_FAILURE: 1,
  /** LSB: invalid or excess arguments. */
  EXIT_INVALIDARGUMENT: 2,
  /** LSB: unimplemented feature (a job type not applicable to the unit). */
  EXIT_NOTIMPLEMENTED: 3,
  /** LSB: user had insufficient privilege (access denied, isolation refused). */
  EXIT_NOPERMISSION: 4,
  /** LSB: program is not installed (no such unit). */
  EXIT_NOTINSTALLED: 5,
  /** LSB: program is not configured. */
  EXIT_NOTCONFIGURED: 6,
  /** LSB: program is not running. */
  EXIT_NOTRUNNING: 7,
};

/** LSB's codes for `status`. */
const STATUS_CODES = {
  /** The program is running or the service is OK. */
  EXIT_PROGRAM_RUNNING_OR_SERVICE_OK: 0,
  /** The program is dead and its PID file exists. */
  EXIT_PROGRAM_DEAD_AND_PID_EXISTS: 1,
  /** The program is dead and its lock file exists. */
  EXIT_PROGRAM_DEAD_AND_LOCK_FILE_EXISTS: 2,
  /** The program is not running. */
  EXIT_PROGRAM_NOT_RUNNING: 3,
  /** The program's or service's status is unknown (no such unit). */
  EXIT_PROGRAM_OR_SERVICES_STATUS_UNKNOWN: 4,
};

export const {
  EXIT_SUCCESS,
  EXIT_FAILURE,
  EXIT_INVALIDARGUMENT,
  EXIT_NOTIMPLEMENTED,
  EXIT_NOPERMISSION,
  EXIT_NOTINSTALLED,
  EXIT_NOTCONFIGURED,
  EXIT_NOTRUNNING,
} = JOB_CODES;

export const {
  EXIT_PROGRAM_RUNNING_OR_SERVICE_OK,
  EXIT_PROGRAM_DEAD_AND_PID_EXISTS,
  EXIT_PROGRAM_DEAD_AND_LOCK_FILE_EXISTS,
  EXIT_PROGRAM_NOT_RUNNING,
  EXIT_PROGRAM_OR_SERVICES_STATUS_UNKNOWN,
} = STATUS_CODES;
