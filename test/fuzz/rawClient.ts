// A byte-level LSP client for protocol robustness cases: writes any bytes (malformed frames,
// bad JSON, wrong shapes) to `node dist/server.js --stdio` and parses whatever comes back.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const SERVER_JS = join(__dirname, '../../dist/server.js');

export interface RpcMessage {
  jsonrpc?: string;
  id?: number | string | null;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

export class RawClient {
  readonly proc: ChildProcess;
  readonly messages: RpcMessage[] = [];
  /** Latest published diagnostics per URI. */
  readonly diagnostics = new Map<string, Array<{ range: { start: { line: number; character: number }; end: { line: number; character: number } }; code?: string; message: string; severity?: number }>>();
  stderr = '';
  exited: { code: number | null; signal: string | null } | undefined;
  private buf = Buffer.alloc(0);
  private nextId = 1;
  private waiters: Array<() => void> = [];

  constructor(server = SERVER_JS) {
    this.proc = spawn(process.execPath, [server, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stdout!.on('data', (d: Buffer) => this.onData(d));
    this.proc.stderr!.on('data', (d) => (this.stderr += d));
    this.proc.on('exit', (code, signal) => {
      this.exited = { code, signal };
      this.wake();
    });
    this.proc.stdin!.on('error', () => {
      /* the server may be gone; the case checks `exited` */
    });
    // Answer the server's own requests (registerCapability, progress, configuration).
    this.onMessage = (m) => {
      if (m.method && m.id !== undefined && m.result === undefined && m.error === undefined) {
        const result = m.method === 'workspace/configuration' ? [{}] : null;
        this.send({ jsonrpc: '2.0', id: m.id, result });
      }
    };
  }

  onMessage?: (m: RpcMessage) => void;

  private onData(d: Buffer) {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      const sep = this.buf.indexOf('\r\n\r\n');
      if (sep < 0) return;
      const header = this.buf.subarray(0, sep).toString('ascii');
      const m = /Content-Length:\s*(\d+)/i.exec(header);
      if (!m) {
        this.buf = this.buf.subarray(sep + 4);
        continue;
      }
      const len = Number(m[1]);
      if (this.buf.length < sep + 4 + len) return;
      const body = this.buf.subarray(sep + 4, sep + 4 + len).toString('utf8');
      this.buf = this.buf.subarray(sep + 4 + len);
      try {
        const msg = JSON.parse(body) as RpcMessage;
        if (msg.method === 'textDocument/publishDiagnostics') {
          const p = msg.params as { uri: string; diagnostics: [] };
          this.diagnostics.set(p.uri, p.diagnostics);
        } else this.messages.push(msg);
        this.onMessage?.(msg);
      } catch {
        this.messages.push({ method: '<unparsable>', params: body });
      }
      this.wake();
    }
  }

  private wake() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Writes raw bytes (no framing added). */
  writeRaw(data: string | Buffer): void {
    if (!this.exited) this.proc.stdin!.write(data);
  }

  /** Frames a body with a correct Content-Length. */
  writeBody(body: string | Buffer): void {
    const b = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    this.writeRaw(Buffer.concat([Buffer.from(`Content-Length: ${b.length}\r\n\r\n`, 'ascii'), b]));
  }

  send(msg: unknown): void {
    this.writeBody(JSON.stringify(msg));
  }

  notify(method: string, params?: unknown): void {
    this.send(params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params });
  }

  /** Sends a request; returns its id. */
  request(method: string, params?: unknown, id: number | string = this.nextId++): number | string {
    this.send(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params });
    return id;
  }

  responseTo(id: number | string): RpcMessage | undefined {
    return this.messages.find((m) => m.id === id && m.method === undefined);
  }

  /** Resolves when `check` holds (re-checked on every message), or undefined after timeoutMs. */
  async until<T>(check: () => T | undefined | false, timeoutMs: number): Promise<T | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = check();
      if (v) return v;
      if (Date.now() > deadline || this.exited) return check() || undefined;
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 100);
      });
    }
  }

  /** Sends a request and waits for its response (undefined on timeout or exit). */
  async call(method: string, params: unknown, timeoutMs: number): Promise<RpcMessage | undefined> {
    const id = this.request(method, params);
    return this.until(() => this.responseTo(id), timeoutMs);
  }

  /** initialize + initialized for one workspace folder; resolves when the first index is ready. */
  async initialize(root: string, timeoutMs = 60_000): Promise<boolean> {
    const rootUri = pathToFileURL(root).toString();
    const init = await this.call('initialize', { processId: process.pid, rootUri, workspaceFolders: [{ uri: rootUri, name: 'app' }], capabilities: { workspace: { didChangeWatchedFiles: { dynamicRegistration: true }, workspaceFolders: true } }, initializationOptions: { settings: {} } }, timeoutMs);
    if (!init || init.error) return false;
    this.notify('initialized', {});
    return !!(await this.until(() => this.messages.some((m) => m.method === 'tagscope/status' && (m.params as { state: string }).state === 'ready'), timeoutMs));
  }

  /** Error-level log messages and anything on stderr that looks like an uncaught failure. */
  failures(): string[] {
    const out: string[] = [];
    for (const m of this.messages) {
      if (m.method !== 'window/logMessage') continue;
      const p = m.params as { type: number; message: string };
      if (/uncaught|unhandled rejection/i.test(p.message)) out.push(p.message.slice(0, 1500));
    }
    if (/uncaught|unhandled|RangeError|TypeError|ReferenceError|FATAL|heap out of memory/i.test(this.stderr)) out.push(`stderr: ${this.stderr.slice(-1500)}`);
    return out;
  }

  kill(): void {
    if (!this.exited) this.proc.kill();
  }
}
