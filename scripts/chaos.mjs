// `npm run chaos` (after `npm run build`): the adversarial campaigns, longer than their CI tests,
// each printing its figures and exiting non-zero when a target is missed:
//   fuzz      analyzer + language server over mutated sources and malformed protocol traffic
//   handler   two `next start` instances under load while Redis is killed, frozen, slowed, fed garbage
//   failover  Redis Cluster replica promotion (graceful and hard) while handlers serve
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runScripts } from './runScripts.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
await runScripts(
  'chaos run',
  [
    ['fuzz', join(root, 'test/fuzz/report.mjs')],
    ['handler chaos', join(root, 'test/chaos/report.mjs')],
    ['cluster failover', join(root, 'test/chaos/failover.mjs')],
  ],
  Number(process.env.CHAOS_TIMEOUT_MS ?? 15 * 60 * 1000),
);
