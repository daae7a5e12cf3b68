// The language server's single connection to the shared tag store (via @tagscope/handler's
// TagStore): a live cache of tag states for hovers and the panel, and invalidation writes.
// The URL lives in memory only; labels shown to users never include credentials.
import { TagStore } from '@tagscope/handler';
import type { StoreStatus, StoreTagState } from '../protocol';

export function redactUrl(url: string): string {
  try {
    const u = new URL(url.replace(/^redis\+cluster:\/\//, 'redis://').split(',')[0]);
    return `${u.protocol}//${u.hostname}${u.port ? ':' + u.port : ''}`;
  } catch {
    return 'redis';
  }
}

export class StoreConnection {
  private store?: TagStore;
  private unsubscribe?: () => void;
  private readonly states = new Map<string, StoreTagState>();
  private status: StoreStatus = { state: 'disconnected' };

  constructor(
    private readonly onStatus: (s: StoreStatus) => void,
    private readonly onChanged: (changed: StoreTagState[]) => void,
  ) {}

  get current(): StoreStatus {
    return this.status;
  }

  get connected(): boolean {
    return !!this.store;
  }

  stateOf(tag: string): StoreTagState | undefined {
    return this.states.get(tag);
  }

  all(): StoreTagState[] {
    return [...this.states.values()];
  }

  private listedAt = 0;

  /**
   * Every state, re-listing the store at most every `maxAgeMs`: invalidations arrive live, but a
   * tag Next starts writing (seen, never invalidated) only shows up in a listing.
   */
  async fresh(maxAgeMs = 2000): Promise<StoreTagState[]> {
    const store = this.store;
    if (store && Date.now() - this.listedAt > maxAgeMs) {
      this.listedAt = Date.now();
      try {
        for (const st of await store.list()) if (!this.states.has(st.tag) || st.stale !== undefined || st.expired !== undefined) this.states.set(st.tag, st);
      } catch {
        /* the live states stay; the next request retries */
      }
    }
    return this.all();
  }

  /** Polling interval of the subscription fallback (tagscope.refreshIntervalMs). */
  pollMs = 1000;

  async connect(url: string, keyPrefix: string | undefined): Promise<{ ok: boolean; error?: string }> {
    await this.disconnect();
    const label = `${redactUrl(url)} · ${keyPrefix || 'tagscope'}`;
    this.setStatus({ state: 'connecting', label });
    try {
      const store = await TagStore.connect({ url, keyPrefix: keyPrefix || undefined, timeoutMs: 1500, pollMs: this.pollMs });
      this.store = store;
      this.states.clear();
      for (const s of await store.list()) this.states.set(s.tag, s);
      this.listedAt = Date.now();
      this.unsubscribe = store.subscribe((changed) => {
        for (const c of changed) this.states.set(c.tag, c);
        this.setStatus({ ...this.status, ...this.counts() });
        this.onChanged(changed);
      });
      this.setStatus({ state: 'connected', label, ...this.counts() });
      return { ok: true };
    } catch (e) {
      const error = sanitize((e as Error).message ?? String(e), url);
      await this.disconnect();
      this.setStatus({ state: 'error', label, error });
      return { ok: false, error };
    }
  }

  async disconnect(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    const s = this.store;
    this.store = undefined;
    this.states.clear();
    if (s) await s.close().catch(() => undefined);
    if (this.status.state !== 'disabled') this.setStatus({ state: 'disconnected' });
  }

  async invalidate(tags: string[], expireSeconds: number | undefined): Promise<void> {
    if (!this.store) throw new Error('No tag store connected. Run "Tagscope: Connect to Redis" first.');
    await this.store.invalidate(tags, expireSeconds === undefined ? undefined : { expire: expireSeconds });
    for (const t of tags) {
      const s = await this.store.get(t).catch(() => undefined);
      if (s) this.states.set(t, s);
    }
    this.setStatus({ ...this.status, ...this.counts() });
  }

  async invalidatePath(path: string, type: 'page' | 'layout' | undefined): Promise<void> {
    if (!this.store) throw new Error('No tag store connected. Run "Tagscope: Connect to Redis" first.');
    await this.store.invalidatePath(path, type);
  }

  private counts(): { stale: number; expired: number } {
    const now = Date.now();
    let stale = 0;
    let expired = 0;
    for (const s of this.states.values()) {
      if (s.expired !== undefined && s.expired <= now) expired++;
      else if (s.stale !== undefined && s.stale <= now) stale++;
    }
    return { stale, expired };
  }

  private setStatus(s: StoreStatus): void {
    this.status = s;
    this.onStatus(s);
  }
}

/** Error messages from the client library can echo the URL; never let a password through. */
export function sanitize(message: string, url: string): string {
  let out = message.split(url).join(redactUrl(url));
  out = out.replace(/\/\/[^@/\s]*@/g, '//***@');
  try {
    const pw = new URL(url.split(',')[0].replace(/^redis\+cluster:/, 'redis:')).password;
    if (pw) out = out.split(decodeURIComponent(pw)).join('***').split(pw).join('***');
  } catch {
    /* not a URL */
  }
  return out;
}
