// Both handlers point at @tagscope/handler: cacheHandlers (default + remote) for 'use cache',
// cacheHandler (singular) for static pages, PPR shells, route responses, fetch and unstable_cache.
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
// The handler lives outside this app (a workspace package): Turbopack and output tracing need the
// common parent as their root, or the build fails with "...leaves the filesystem root".
const root = resolve(here, '../../..');

/** @type {import('next').NextConfig} */
export default {
  cacheComponents: true,
  cacheHandlers: {
    default: require.resolve('@tagscope/handler/use-cache'),
    remote: require.resolve('@tagscope/handler/use-cache'),
  },
  cacheHandler: require.resolve('@tagscope/handler/incremental'),
  turbopack: { root },
  outputFileTracingRoot: root,
};
