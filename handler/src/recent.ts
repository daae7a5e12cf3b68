/**
 * Invalidations written to a Redis Cluster in the last `keepMs`. Replication is asynchronous: in a
 * hard failover (a master dies, its replica is promoted) writes the master acknowledged just before
 * it died can be missing on the replica. When the connection sees the set of masters change, the
 * core writes these ops again. The merge is idempotent and keeps the original times, so rewriting
 * an op that did survive changes nothing.
 */
export class RecentOps<T extends object> {
  private items = new Map<string, { at: number; op: T }>();
  constructor(
    private readonly enabled: boolean,
    private readonly keepMs = 120_000,
    private readonly max = 10_000,
  ) {}

  note(ops: readonly T[], now = Date.now()): void {
    if (!this.enabled) return;
    for (const op of ops) {
      const k = JSON.stringify(op);
      this.items.delete(k); // re-noted: move to the end
      this.items.set(k, { at: now, op });
    }
    this.trim(now);
  }

  /** The ops still kept, oldest first. */
  take(now = Date.now()): T[] {
    this.trim(now);
    return [...this.items.values()].map((i) => i.op);
  }

  get size(): number {
    return this.items.size;
  }

  private trim(now: number): void {
    for (const [k, v] of this.items) {
      if (now - v.at <= this.keepMs && this.items.size <= this.max) break;
      this.items.delete(k);
    }
  }
}
