/**
 * The exit codes a verb returns, named once: systemd's `exit-status.h` (the generic and
 * LSB init-script codes systemctl uses for jobs) and LSB's codes for `status`. Verbs choose
 * among these; nothing else picks a bare number.
 * @module
 */

// These repeat by shape on purpose: one named constant per code, each with its meaning.
/** Success. */
export const EXIT_SUCCESS = 0;
/** Generic failure (systemctl's `EXIT_FAILURE`). */
export const EXIT_FAILURE = 1;
/** LSB: invalid or excess arguments. */
export const EXIT_INVALIDARGUMENT = 2;
/** LSB: unimplemented feature (a job type not applicable to the unit). */
export const EXIT_NOTIMPLEMENTED = 3;
/** LSB: user had insufficient privilege (access denied, isolation refused). */
export const EXIT_NOPERMISSION = 4;
/** LSB: program is not installed (no such unit). */
export const EXIT_NOTINSTALLED = 5;
/** LSB: program is not configured. */
export const EXIT_NOTCONFIGURED = 6;
/** LSB: program is not running. */
export const EXIT_NOTRUNNING = 7;

/** LSB `status`: the program is running or the service is OK. */
export const EXIT_PROGRAM_RUNNING_OR_SERVICE_OK = 0;
/** LSB `status`: the program is dead and its PID file exists. */
export const EXIT_PROGRAM_DEAD_AND_PID_EXISTS = 1;
/** LSB `status`: the program is dead and its lock file exists. */
export const EXIT_PROGRAM_DEAD_AND_LOCK_FILE_EXISTS = 2;
/** LSB `status`: the program is not running. */
export const EXIT_PROGRAM_NOT_RUNNING = 3;
/** LSB `status`: the program's or service's status is unknown (no such unit). */
export const EXIT_PROGRAM_OR_SERVICES_STATUS_UNKNOWN = 4;
