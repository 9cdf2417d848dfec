/**
 * Reading unit files without ever opening a FIFO (or a device, or a socket):
 * opening a FIFO blocks until a writer appears, which would hang every verb
 * that scans the search path. systemd skips such entries, so do we.
 * @module
 */

/** Reads a regular file's bytes; throws `Deno.errors.NotFound` for anything else. */
export function readRegularFileSync(hostPath: string): Uint8Array {
  if (!Deno.statSync(hostPath).isFile) {
    throw new Deno.errors.NotFound(`not a regular file: ${hostPath}`);
  }
  return Deno.readFileSync(hostPath);
}

/** Reads a regular file as UTF-8 text; throws `Deno.errors.NotFound` for anything else. */
export function readRegularTextSync(hostPath: string): string {
  return new TextDecoder().decode(readRegularFileSync(hostPath));
}
