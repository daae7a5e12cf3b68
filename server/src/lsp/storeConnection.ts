// The language server's single connection to the shared tag store (via @tagscope/handler's
// TagStore): a live cache of tag states for hovers and the panel, and invalidation writes.
// The URL lives in memory only; labels shown to users never include credentials.
import { AMBIGUOUS_CREDENTIALS_HINT, hasAmbiguousCredentials, redactText as sanitize, redactUrl, TagStore } from '@tagscope/handler';
import type { NotificationHandler0 } from 'vscode-languageserver';
import { WorkspaceTrustedNotification, type StoreStatus, type StoreTagState } from '../protocol';

export class StoreConnection {
  private store?: TagStore;
  private unsubscribe?: () => void;
  private readonly states = new Map<string, StoreTagState>();
  private status: StoreStatus = { state: 'disconnected' };
  /** The URL of the current connection (memory only): errors from it are redacted with it. */
  private url?: string;
  /**
   * Workspace trust as the client reports it (initializationOptions.workspaceTrusted, then
   * tagscope/workspaceTrusted). False: connect() refuses before any socket is opened.
   */
  trusted = true;

  /** Takes the trust from initializationOptions (absent = not gated) and follows later grants. */
  followTrust(initializationOptions: unknown, connection: { onNotification(type: typeof WorkspaceTrustedNotification.type, handler: NotificationHandler0): unknown }): void {
    this.trusted = (initializationOptions as { workspaceTrusted?: unknown } | undefined)?.workspaceTrusted !== false;
    connection.onNotification(WorkspaceTrustedNotification.type, () => {
      this.trusted = true;
      if (this.status.state === 'disabled') this.setStatus({ state: 'disconnected' });
    });
  }

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
    if (!this.trusted) {
      this.setStatus({ state: 'disabled' });
      return { ok: false, error: 'The workspace is not trusted: the tag store is off in Restricted Mode.' };
    }
    if (typeof url !== 'string' || !url) return { ok: false, error: 'No Redis URL given.' };
    if (hasAmbiguousCredentials(url)) {
      // A parser would take part of the password for the host or path: refuse before any socket.
      const error = `The Redis URL cannot be read safely. ${AMBIGUOUS_CREDENTIALS_HINT}`;
      this.setStatus({ state: 'error', label: 'redis', error });
      return { ok: false, error };
    }
    this.url = url;
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
      const error = sanitize(errorText(e), url);
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
    this.url = undefined;
    this.states.clear();
    if (s) await s.close().catch(() => undefined);
    if (this.status.state !== 'disabled') this.setStatus({ state: 'disconnected' });
  }

  async invalidate(tags: string[], expireSeconds: number | undefined): Promise<void> {
    if (!this.store) throw new Error('No tag store connected. Run "Tagscope: Connect to Redis" first.');
    await this.redacting(this.store.invalidate(tags, expireSeconds === undefined ? undefined : { expire: expireSeconds }));
    for (const t of tags) {
      const s = await this.store.get(t).catch(() => undefined);
      if (s) this.states.set(t, s);
    }
    this.setStatus({ ...this.status, ...this.counts() });
  }

  async invalidatePath(path: string, type: 'page' | 'layout' | undefined): Promise<void> {
    if (!this.store) throw new Error('No tag store connected. Run "Tagscope: Connect to Redis" first.');
    await this.redacting(this.store.invalidatePath(path, type));
  }

  /** Errors of the client library can echo the URL: they leave this class redacted. */
  private async redacting<T>(p: Promise<T>): Promise<T> {
    const url = this.url;
    try {
      return await p;
    } catch (e) {
      throw new Error(url ? sanitize(errorText(e), url) : errorText(e));
    }
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

function errorText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)) || 'unknown error';
}
