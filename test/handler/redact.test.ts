// Keeping passwords out of messages (handler/src/redact.ts): shared by the handler, TagStore and
// the language server. Plain functions; the paths through the real server and editor are in
// test/client/storeSecurity.test.ts and test/e2e/vscode.e2e.test.ts.
import { describe, expect, it } from 'vitest';
import { createUseCacheHandler, hasAmbiguousCredentials, redactedNodes, redactText, redactUrl, secretsOf, type MetricEvent } from '@tagscope/handler';
import { freePort } from './helpers';

describe('redaction of store URLs', () => {
  it('finds the password of every node as typed, decoded and encoded', () => {
    expect(secretsOf('redis://:p%40ss@h:1')).toEqual(expect.arrayContaining(['p%40ss', 'p@ss']));
    expect(secretsOf('redis+cluster://:one@h1:1,:two@h2:2')).toEqual(expect.arrayContaining(['one', 'two']));
    expect(secretsOf('redis://u:a b@h:1')).toEqual(expect.arrayContaining(['a b', 'a%20b']));
    // As typed up to the node's last '@', whatever a parser makes of it.
    expect(secretsOf('redis://default:4242/Xyz@cache:6379')).toContain('4242/Xyz');
  });

  it('flags credentials a parser reads differently from how they were typed', () => {
    for (const url of ['redis://default:4242/Xyz@cache:6379', 'redis://:a?b@h:1', 'redis://:a#b@h:1', 'redis://h:1,redis://:x/y@h2:2']) expect(hasAmbiguousCredentials(url)).toBe(true);
    for (const url of ['redis://h:1', 'redis://:p%2Fss@h:1', 'redis://u:a@b@h:1', 'rediss://u:pw@h', 'redis+cluster://:a@h1:1,:b@h2:2']) expect(hasAmbiguousCredentials(url)).toBe(false);
  });

  it('labels and node lists never show what could be a password', () => {
    expect(redactUrl('redis://:pw@cache:6379/2')).toBe('redis://cache:6379');
    expect(redactUrl('redis://default:4242/Xyz@cache:6379')).toBe('redis'); // the parser's host would be 'default', its port 4242
    expect(redactedNodes(['redis://default:4242/Xyz@cache:6379', 'redis://:pw@h2:2'])).toBe('redis://***@h2:2');
    const msg = redactText('connect to redis://:a/b@h:1 failed: a/b rejected, ECONNREFUSED a/b@h', 'redis://:a/b@h:1');
    expect(msg).not.toContain('a/b');
  });

  it('errors handed to onMetric carry no URL in other properties (a URL parse error keeps it as input)', async () => {
    const events: MetricEvent[] = [];
    const url = `redis+cluster://admin:hunter2/x@127.0.0.1:${await freePort()}`;
    const h = createUseCacheHandler({ url, keyPrefix: 'redact-test', timeoutMs: 100, journalDir: false, onMetric: (e) => events.push(e) });
    try {
      await h.refreshTags();
      await h.get('k', []);
      await new Promise((r) => setTimeout(r, 300));
      const errors = events.filter((e) => e.error !== undefined);
      expect(errors.length).toBeGreaterThan(0);
      for (const e of errors) {
        const err = e.error as Error;
        expect(Object.keys(err)).toEqual([]); // no input, options or url property
        expect(`${err.message} ${err.stack} ${JSON.stringify(e)}`).not.toContain('hunter2');
      }
    } finally {
      await h.core.close();
    }
  });
});
