// Both handlers point at @tagscope/handler: cacheHandlers (default + remote) for 'use cache',
// cacheHandler (singular) for static pages, PPR shells, route responses, fetch and unstable_cache.
import { createRequire } from 'node:module';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
// The handler lives outside this app (a workspace package): Turbopack and output tracing need the
// common parent as their root, or the build fails with "...leaves the filesystem root".
function commonParent(...paths) {
  const parts = paths.map((p) => resolve(p).split(sep));
  let i = 0;
  while (parts.every((p) => i < p.length && p[i] === parts[0][i])) i++;
  return parts[0].slice(0, i).join(sep) || sep;
}
// The tests point this at a snapshot of handler/dist (so a rebuild of the working tree cannot pull
// files from under running servers); an app would just use require.resolve below.
const snapshot = process.env.TAGSCOPE_TEST_HANDLER_DIR;
const useCache = snapshot ? join(snapshot, 'dist/use-cache.js') : require.resolve('@tagscope/handler/use-cache');
const incremental = snapshot ? join(snapshot, 'dist/incremental.js') : require.resolve('@tagscope/handler/incremental');
const root = commonParent(here, dirname(useCache), dirname(require.resolve('next/package.json')));

/** @type {import('next').NextConfig} */
export default {
  cacheComponents: true,
  cacheHandlers: {
    default: useCache,
    remote: useCache,
  },
  cacheHandler: incremental,
  turbopack: { root },
  outputFileTracingRoot: root,
};
