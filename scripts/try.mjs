// `npm start [-- <folder>] [--port N]`: a playground. Packages the extension, provisions
// code-server 4.100.3 (cached in ~/.cache/tagscope-e2e, shared with the e2e test), installs the
// .vsix into a persistent playground profile, opens the folder (default: test/fixtures/contexts)
// and prints the URL. Ctrl+C stops it.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { cacheRoot, ensureCodeServer, freePort, installExtension, makeProfile, root, startCodeServer } from './code-server.mjs';

const args = process.argv.slice(2);
const portIdx = args.indexOf('--port');
const wantPort = portIdx >= 0 ? Number(args.splice(portIdx, 2)[1]) : undefined;
const folder = resolve(args[0] ?? join(root, 'test/fixtures/contexts'));
if (!existsSync(folder)) {
  console.error(`tagscope: ${folder} does not exist`);
  process.exit(2);
}

function portFree(port) {
  return new Promise((res) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      res(false);
    });
    s.on('error', () => res(true));
  });
}

function redisAnswers(port = 6379) {
  return new Promise((res) => {
    const s = connect({ host: '127.0.0.1', port });
    const done = (v) => {
      s.destroy();
      res(v);
    };
    s.setTimeout(1000, () => done(false));
    s.on('error', () => done(false));
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => done(/^(\+PONG|-NOAUTH)/.test(String(d))));
  });
}

console.log('tagscope: packaging the extension…');
execFileSync(process.execPath, [join(root, 'scripts/package.mjs')], { cwd: root, stdio: 'inherit' });
const codeServer = await ensureCodeServer((m) => console.log(m));
const dirs = makeProfile(join(cacheRoot, 'playground'));
installExtension(codeServer, dirs, join(root, 'tagscope.vsix'));
const port = wantPort ?? ((await portFree(8080)) ? 8080 : await freePort());
const server = await startCodeServer(codeServer, dirs, { port, logFile: join(dirs.base, 'code-server.log') });
const url = `${server.url}/?folder=${encodeURIComponent(folder)}`;

console.log(`\nTagscope playground (VS Code 1.100.3 in code-server) on ${folder}:\n\n  ${url}\n`);
if (await redisAnswers()) {
  console.log('A Redis answers on 127.0.0.1:6379: run "Tagscope: Connect to Redis…" from the Command Palette');
  console.log('and enter redis://127.0.0.1:6379 (the URL is kept in the playground\'s secret storage).\n');
} else {
  console.log('No Redis on 127.0.0.1:6379; analysis works without one. To try the tag store, start one');
  console.log('(redis-server --port 6379 --save "") and run "Tagscope: Connect to Redis…".\n');
}
console.log(`Profile: ${dirs.base} (log: ${join(dirs.base, 'code-server.log')}). Ctrl+C stops.`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await server.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
server.child.on('exit', (code) => {
  if (!stopping) {
    console.error(`tagscope: code-server exited (${code})`);
    process.exit(1);
  }
});
