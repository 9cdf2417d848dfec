/**
 * `list-dependencies [UNIT...]`: the requirement tree, as systemd draws it.
 * @module
 */

import type { Context } from "../cli/context.ts";
import { type LoadedUnit, UnitLoader } from "../units/loader.ts";
import { forwardDependencies, reverseLinkDependencies } from "../units/deps.ts";
import { activeStateOf } from "../service/view.ts";

const FORWARD = ["Requires", "Requisite", "Wants", "BindsTo", "ConsistsOf"];
const REVERSE = ["RequiredBy", "RequisiteOf", "WantedBy", "BoundBy", "PartOf"];

function compare(a: string, b: string): number {
  const ta = a.endsWith(".target");
  const tb = b.endsWith(".target");
  if (ta !== tb) return ta ? 1 : -1;
  const la = a.toLowerCase();
  const lb = b.toLowerCase();
  return la < lb ? -1 : la > lb ? 1 : 0;
}

const GLYPH: Record<string, string> = {
  active: "●",
  reloading: "↻",
  failed: "×",
  activating: "●",
  deactivating: "●",
};

/** Builds the reverse graph over every known unit (for --reverse). */
function reverseGraph(loader: UnitLoader): Map<string, Record<string, string[]>> {
  const graph = new Map<string, Record<string, string[]>>();
  const rel: Record<string, string> = {
    Requires: "RequiredBy",
    Requisite: "RequisiteOf",
    Wants: "WantedBy",
    BindsTo: "BoundBy",
    ConsistsOf: "PartOf",
  };
  for (const name of loader.knownNames({ builtins: true })) {
    const unit = loader.load(name);
    const deps = forwardDependencies(loader, unit);
    for (const [k, targets] of Object.entries(deps)) {
      const r = rel[k];
      if (!r) continue;
      for (const t of targets) {
        const entry = graph.get(t) ?? {};
        (entry[r] ??= []).includes(unit.id) || entry[r].push(unit.id);
        graph.set(t, entry);
      }
    }
  }
  return graph;
}

/** `list-dependencies`. */
export async function listDependencies(ctx: Context, args: string[]): Promise<number> {
  const loader = new UnitLoader(ctx);
  const o = ctx.options;
  const names = args.length
    ? loader.expand(args, ".service", (t) => ctx.warn(t))
    : ["default.target"];
  const reverse = o.reverse ? reverseGraph(loader) : undefined;
  const children = (unit: LoadedUnit): string[] => {
    const set = new Set<string>();
    if (reverse) {
      const r = reverse.get(unit.id) ?? {};
      for (const k of REVERSE) for (const n of r[k] ?? []) set.add(n);
      const links = reverseLinkDependencies(loader, unit.id);
      for (const k of REVERSE) for (const n of links[k] ?? []) set.add(n);
    } else {
      const d = forwardDependencies(loader, unit);
      for (const k of FORWARD) for (const n of d[k] ?? []) set.add(n);
    }
    return [...set].sort(compare);
  };
  const lines: string[] = [];
  const walk = async (name: string, level: number, branches: boolean[], visited: Set<string>) => {
    const unit = loader.load(name);
    const kids = children(unit);
    for (let i = 0; i < kids.length; i++) {
      const kid = kids[i];
      const last = i === kids.length - 1;
      const state = await activeStateOf(ctx, loader.load(kid));
      let line = "";
      if (o.plain) line = "  ".repeat(level + 1) + kid;
      else {
        line = `${GLYPH[state] ?? "○"} ` + branches.map((b) => (b ? "│ " : "  ")).join("") +
          (last ? "└─" : "├─") + kid;
      }
      lines.push(line);
      if (visited.has(kid)) continue;
      if (!o.all && !kid.endsWith(".target")) continue;
      visited.add(kid);
      await walk(kid, level + 1, [...branches, !last], visited);
      visited.delete(kid);
    }
  };
  for (const name of names) {
    const unit = loader.load(name);
    lines.push(name);
    await walk(name, 0, [], new Set([unit.id]));
  }
  ctx.io.out(lines.map((l) => l + "\n").join(""));
  return 0;
}
