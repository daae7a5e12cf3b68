import { describe, expect, it } from 'vitest';
import { validateRedisUrl } from '../../client/src/redisUrl';

describe('validateRedisUrl (the Connect to Redis input box)', () => {
  it.each(['redis://localhost:6379', 'redis://:p%40ss@10.0.0.1:6380/2', 'rediss://user:pw@cache.example.com', 'redis+cluster://a:7000,b:7001', '  redis://127.0.0.1  '])('accepts %s', (url) => {
    expect(validateRedisUrl(url)).toBeUndefined();
  });
  it.each([
    ['', /Enter a Redis URL/],
    ['localhost:6379', /redis:\/\//],
    ['http://localhost:6379', /must start with/],
    ['redis://', /Not a URL|host/],
    ['not a url', /Not a URL/],
    // Unencoded '/', '?' or '#' in a password: the parser would read part of it as host, port or path.
    ['redis://default:4242/Xyz@cache:6379', /Percent-encode/],
    ['redis://:pa?ss@cache:6379', /Percent-encode/],
    ['redis+cluster://:a@h1:1,:b/c@h2:2', /Percent-encode/],
  ])('rejects %j', (url, message) => {
    expect(validateRedisUrl(url)).toMatch(message);
  });
});
