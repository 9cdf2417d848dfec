/**
 * One watch of the unit state directory for the whole init instance. Supervision (notify
 * take-over), the timer scheduler and the socket host all follow the records clients
 * write; each subscriber gets its own debounced call. One inotify watch (and one watcher
 * thread in the runtime) instead of one per subscriber.
 * @module
 */

/**
 * A subscriber: called once per burst of `.json` changes, `debounceMs` after the last,
 * with the ids of the units whose records changed since its previous call.
 */
interface Subscriber {
  fn: (changed: ReadonlySet<string>) => void;
  debounceMs: number;
  changed: Set<string>;
  pending?: ReturnType<typeof setTimeout>;
}

/** The unit id of a record path (`…/units/<id>.json`), or undefined for other files. */
function unitOfRecord(path: string): string | undefined {
  if (!path.endsWith(".json")) return undefined;
  const name = path.slice(path.lastIndexOf("/") + 1, -".json".length);
  return name || undefined;
}

/** Follows `<state>/units/*.json` and tells every subscriber. */
export class StateWatch {
  readonly #dir: string;
  readonly #fault: (what: string, e: unknown) => void;
  readonly #subs = new Set<Subscriber>();
  #watcher?: Deno.FsWatcher;

  constructor(dir: string, fault: (what: string, e: unknown) => void) {
    this.#dir = dir;
    this.#fault = fault;
  }

  /** Calls `fn` after changes; returns the unsubscribe function. */
  subscribe(fn: (changed: ReadonlySet<string>) => void, debounceMs: number): () => void {
    const sub: Subscriber = { fn, debounceMs, changed: new Set() };
    this.#subs.add(sub);
    this.#open();
    return () => {
      clearTimeout(sub.pending);
      this.#subs.delete(sub);
    };
  }

  /** Stops watching; pending calls are dropped. */
  close(): void {
    for (const sub of this.#subs) clearTimeout(sub.pending);
    this.#subs.clear();
    try {
      this.#watcher?.close();
    } catch { /* closed */ }
    this.#watcher = undefined;
  }

  #open(): void {
    if (this.#watcher) return;
    let watcher: Deno.FsWatcher;
    try {
      Deno.mkdirSync(this.#dir, { recursive: true, mode: 0o755 });
      watcher = Deno.watchFs(this.#dir, { recursive: false });
    } catch (e) {
      this.#fault("Failed to follow the unit states", e);
      return;
    }
    this.#watcher = watcher;
    (async () => {
      for await (const event of watcher) {
        const units = event.paths.flatMap((p) => unitOfRecord(p) ?? []);
        if (units.length === 0) continue;
        for (const sub of this.#subs) {
          for (const unit of units) sub.changed.add(unit);
          clearTimeout(sub.pending);
          sub.pending = setTimeout(() => {
            sub.pending = undefined;
            const changed = sub.changed;
            sub.changed = new Set();
            try {
              sub.fn(changed);
            } catch (e) {
              this.#fault("state change", e);
            }
          }, sub.debounceMs);
        }
      }
    })().catch(() => {});
  }
}
