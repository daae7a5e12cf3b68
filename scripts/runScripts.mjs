// Runs node scripts one after another, each in its own process group so one's memory and JIT
// state don't colour another's figures, and so a script that hangs (with the servers it started)
// is killed whole after `timeoutMs`. Shared by `npm run bench` and `npm run chaos`.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { relative } from 'node:path';

function run(path, timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path], { stdio: 'inherit', env: process.env, detached: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(timedOut ? `timed out after ${timeoutMs} ms` : code === 0 ? undefined : `exited ${code ?? signal}`);
    });
  });
}

/**
 * @param {string} kind what the scripts are ("benchmark", "chaos run"), for the headings
 * @param {Array<[string, string]>} scripts [name, absolute path]
 * @param {number} timeoutMs per script
 */
export async function runScripts(kind, scripts, timeoutMs) {
  const failed = [];
  for (const [name, path] of scripts) {
    const shown = relative(process.cwd(), path);
    if (!existsSync(path)) {
      // Missing means a broken checkout, not an optional part: say so and fail.
      failed.push(`${shown} missing`);
      continue;
    }
    console.log(`\n== ${name} ${kind} (${shown})`);
    const problem = await run(path, timeoutMs);
    if (problem) failed.push(`${shown} ${problem}`);
  }
  if (failed.length) {
    console.error(`\n${kind}s that failed: ${failed.join(', ')}`);
    process.exitCode = 1;
  }
}
