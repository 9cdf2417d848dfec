/**
 * Runs jobs in dependency order with independent jobs in parallel: each job
 * starts once every job it waits for has finished (whatever its outcome),
 * and at most `limit` run at a time. The ordering must be acyclic (the start
 * transaction breaks cycles before it gets here).
 * @module
 */

/** Runs `job` for every id; `waitFor.get(id)` names the ids that must finish first. */
export async function runOrdered(
  ids: readonly string[],
  waitFor: ReadonlyMap<string, ReadonlySet<string>>,
  job: (id: string) => Promise<void>,
  limit = 8,
): Promise<void> {
  const known = new Set(ids);
  const running = new Map<string, Promise<void>>();
  let active = 0;
  const queue: Array<() => void> = [];
  const slot = async (): Promise<void> => {
    if (active < limit) {
      active++;
      return;
    }
    await new Promise<void>((resolve) => queue.push(resolve));
  };
  const release = (): void => {
    const next = queue.shift();
    if (next) next();
    else active--;
  };
  const run = (id: string, path: Set<string>): Promise<void> => {
    let promise = running.get(id);
    if (promise) return promise;
    const before = [...(waitFor.get(id) ?? [])].filter((d) => known.has(d) && !path.has(d));
    const inner = new Set(path).add(id);
    promise = Promise.all(before.map((d) => run(d, inner))).then(async () => {
      await slot();
      try {
        await job(id);
      } finally {
        release();
      }
    });
    running.set(id, promise);
    return promise;
  };
  await Promise.all(ids.map((id) => run(id, new Set())));
}

/** The stop ordering (the start ordering reversed) lives with the one ordering of jobs. */
export { reverseOrdering } from "../service/order.ts";
