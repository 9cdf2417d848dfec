/**
 * The words for failures a user sees: errno texts as `strerror()` gives them (never Deno's
 * "(os error N)" or its operation names), and systemd's refusal of a non-root caller.
 * @module
 */

/** `strerror()` of the errno names this program reports. */
const STRERROR: Readonly<Record<string, string>> = {
  EPERM: "Operation not permitted",
  ENOENT: "No such file or directory",
  ESRCH: "No such process",
  EINTR: "Interrupted system call",
  EIO: "Input/output error",
  EBADF: "Bad file descriptor",
  EAGAIN: "Resource temporarily unavailable",
  ENOMEM: "Cannot allocate memory",
  EACCES: "Permission denied",
  EBUSY: "Device or resource busy",
  EEXIST: "File exists",
  EXDEV: "Invalid cross-device link",
  ENOTDIR: "Not a directory",
  EISDIR: "Is a directory",
  EINVAL: "Invalid argument",
  EMFILE: "Too many open files",
  ETXTBSY: "Text file busy",
  ENOSPC: "No space left on device",
  EROFS: "Read-only file system",
  EPIPE: "Broken pipe",
  ENAMETOOLONG: "File name too long",
  ENOTEMPTY: "Directory not empty",
  ELOOP: "Too many levels of symbolic links",
  EIDRM: "Identifier removed",
  ENOLINK: "Link has been severed",
  ENOBUFS: "No buffer space available",
  EBADMSG: "Bad message",
  E2BIG: "Argument list too long",
  EBADSLT: "Invalid slot",
  EADDRINUSE: "Address already in use",
  EADDRNOTAVAIL: "Cannot assign requested address",
  ECONNREFUSED: "Connection refused",
  EDQUOT: "Disk quota exceeded",
  EUCLEAN: "Structure needs cleaning",
  ERFKILL: "Operation not possible due to RF-kill",
};

/** `strerror()` of an errno name (`EACCES` → `Permission denied`); an unknown name as it is. */
export function strerror(errno: string): string {
  return STRERROR[errno] ?? errno;
}

/** The errno name of a file-system error (Deno's errors carry it as `code`), if it has one. */
export function errnoName(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null | undefined)?.code;
  return typeof code === "string" && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

/** Whether a file-system error means the caller may not do it (EACCES, EPERM). */
export function isAccessError(e: unknown): boolean {
  const errno = errnoName(e);
  return errno === "EACCES" || errno === "EPERM" || e instanceof Deno.errors.PermissionDenied;
}

/**
 * The reason of a failure in one line: `strerror()` text for file-system errors, the message
 * for others, without Deno's `(os error N)` and the operation and paths it appends.
 */
export function reasonText(e: unknown): string {
  const errno = errnoName(e);
  if (errno !== undefined && STRERROR[errno] !== undefined) return STRERROR[errno];
  const message = e instanceof Error ? e.message : String(e);
  return message.replace(/ \(os error \d+\)(?::.*)?$/s, "").split("\n")[0];
}

/** Whether a caller gets systemd's polkit refusal: not root, acting on the system manager. */
export function deniedCaller(scope: string): boolean {
  return scope === "system" && Deno.uid() !== 0;
}

/**
 * Why a change to the manager failed: systemd's `Access denied` when a non-root caller may
 * not make it (polkit's answer without an agent), else the errno's text.
 */
export function managerReason(scope: string, e: unknown): string {
  return deniedCaller(scope) && isAccessError(e) ? "Access denied" : reasonText(e);
}

/**
 * The last-resort line for an error no verb turned into words: a file-system error as its
 * `strerror()` text and the path it names, anything else as its message.
 */
export function fallbackLine(e: unknown): string {
  const errno = errnoName(e);
  const message = e instanceof Error ? e.message : String(e);
  if (errno === undefined || !/\(os error \d+\)/.test(message)) return message;
  const path = /'([^']+)'/.exec(message)?.[1];
  return `${strerror(errno)}${path ? ` (${path})` : ""}.`;
}
