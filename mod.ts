/**
 * Entry point: runs the program and sets the exit code; nothing else.
 * `--exec-helper` (used by the process layer to start Exec commands) loads
 * only its own small module graph.
 * @module
 */

if (import.meta.main) {
  if (Deno.args[0] === "--exec-helper") {
    const { execHelperMain } = await import("./src/process/exec_helper.ts");
    await execHelperMain(Deno.args.slice(1));
  } else {
    const { main } = await import("./src/cli/main.ts");
    Deno.exitCode = await main(Deno.args);
  }
}
