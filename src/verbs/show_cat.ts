/**
 * `show` and `cat`.
 * @module
 */

import type { Context } from "../cli/context.ts";
import { type LoadedUnit, UnitLoader } from "../units/loader.ts";
import { formatJson, isJsonMode } from "../output/json.ts";
import { formatShowText, selectProperties, showJson, unitProperties } from "../output/show.ts";
import { unitView } from "../service/view.ts";
import { managerProperties } from "../service/manager_view.ts";
import { notAUnitName, parseUnitName } from "../unit/names.ts";
import { readRegularTextSync } from "../units/regular_file.ts";

/** `show [UNIT...]`: properties in systemd's order; unknown units still print. */
export async function show(ctx: Context, args: string[]): Promise<number> {
  const o = ctx.options;
  const sel = { properties: o.properties, all: o.all > 0, value: o.value };
  const blocks: Array<Array<[string, string]>> = [];
  const loader = new UnitLoader(ctx);
  let rc = 0;
  if (args.length === 0) {
    blocks.push(selectProperties(await managerProperties(loader), sel));
  } else {
    for (const name of loader.expand(args, ".service", (t) => ctx.warn(t))) {
      // A bare template is no unit name to systemd 252's manager: `show` stops there, exit 1.
      if (parseUnitName(name)?.isTemplate) {
        ctx.io.err(`Failed to get properties: ${notAUnitName(name)}\n`);
        rc = 1;
        break;
      }
      const view = await unitView(ctx, loader, loader.load(name), o.properties);
      blocks.push(selectProperties(unitProperties(view), sel));
    }
  }
  if (isJsonMode(o.output)) ctx.io.out(formatJson(showJson(blocks), o.output as string));
  else ctx.io.out(formatShowText(blocks, o.value));
  return rc;
}

function fileText(ctx: Context, path: string): string | undefined {
  try {
    const t = readRegularTextSync(ctx.root.resolve(path));
    return t.endsWith("\n") || t === "" ? t : t + "\n";
  } catch {
    return undefined;
  }
}

function catUnit(ctx: Context, unit: LoadedUnit): string | undefined {
  const parts: string[] = [];
  if (unit.fragmentPath && unit.loadState !== "masked") {
    const t = fileText(ctx, unit.fragmentPath);
    if (t !== undefined) parts.push(`# ${unit.fragmentPath}\n${t}`);
  } else if (unit.generated || unit.sourcePath) {
    const t = fileText(ctx, unit.sourcePath as string);
    if (t !== undefined) parts.push(`# ${unit.sourcePath}\n${t}`);
  }
  for (const p of unit.dropInPaths) {
    const t = fileText(ctx, p);
    if (t !== undefined) parts.push(`# ${p}\n${t}`);
  }
  return parts.length ? parts.join("\n") : undefined;
}

/** `cat UNIT...`: fragment and drop-ins with `# path` headers. */
export function cat(ctx: Context, args: string[]): Promise<number> {
  const loader = new UnitLoader(ctx);
  const names = loader.expand(args, ".service", (t) => ctx.warn(t));
  let rc = 0;
  let first = true;
  for (const name of names) {
    const unit = loader.load(name);
    const text = unit.builtin ? undefined : catUnit(ctx, unit);
    if (text === undefined) {
      ctx.io.err(`No files found for ${name}.\n`);
      rc = 1;
      continue;
    }
    if (!first) ctx.io.out("\n");
    first = false;
    ctx.io.out(text);
  }
  return Promise.resolve(rc);
}
