/**
 * Entry point: runs the program and sets the exit code; nothing else.
 * @module
 */

if (import.meta.main) {
  const { main } = await import("./src/cli/main.ts");
  Deno.exitCode = await main(Deno.args);
}
