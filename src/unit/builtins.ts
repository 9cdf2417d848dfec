/**
 * Built-in units: the standard targets and slices that exist even when no
 * unit file for them is installed (a minimal image ships none). Pure.
 * @module
 */

/** Built-in target descriptions, as systemd names them. */
export const BUILTIN_TARGETS: Readonly<Record<string, string>> = {
  "multi-user.target": "Multi-User System",
  "graphical.target": "Graphical Interface",
  "rescue.target": "Rescue Mode",
  "emergency.target": "Emergency Mode",
  "default.target": "Multi-User System",
  "sysinit.target": "System Initialization",
  "basic.target": "Basic System",
  "local-fs.target": "Local File Systems",
  "remote-fs.target": "Remote File Systems",
  "network.target": "Network",
  "network-online.target": "Network is Online",
  "network-pre.target": "Preparation for Network",
  "nss-lookup.target": "Host and Network Name Lookups",
  "time-sync.target": "System Time Synchronized",
  "sockets.target": "Sockets",
  "timers.target": "Timer Units",
  "paths.target": "Path Units",
  "slices.target": "Slice Units",
  "getty.target": "Login Prompts",
  "shutdown.target": "System Shutdown",
  "halt.target": "System Halt",
  "poweroff.target": "System Power Off",
  "reboot.target": "System Reboot",
};

const ISOLATABLE = new Set([
  "multi-user.target",
  "graphical.target",
  "rescue.target",
  "emergency.target",
  "default.target",
  "halt.target",
  "poweroff.target",
  "reboot.target",
]);

/** The unit-file text of a built-in unit, or undefined. */
export function builtinUnitText(name: string): string | undefined {
  if (name === "-.slice") {
    return "[Unit]\nDescription=Root Slice\nDefaultDependencies=no\n";
  }
  if (name === "system.slice") {
    return "[Unit]\nDescription=System Slice\nDefaultDependencies=no\n";
  }
  const desc = BUILTIN_TARGETS[name];
  if (desc === undefined) return undefined;
  let text = `[Unit]\nDescription=${desc}\n`;
  if (ISOLATABLE.has(name)) text += "AllowIsolate=yes\n";
  if (name === "multi-user.target" || name === "default.target") {
    text += "Requires=basic.target\nConflicts=rescue.service rescue.target\n" +
      "After=basic.target rescue.service rescue.target\n";
  }
  if (name === "basic.target") {
    text +=
      "Requires=sysinit.target\nWants=sockets.target timers.target paths.target slices.target\n" +
      "After=sysinit.target sockets.target paths.target slices.target tmp.mount\n";
  }
  if (name === "graphical.target") {
    text += "Requires=multi-user.target\nAfter=multi-user.target\n";
  }
  return text;
}
