// A long-lived child process that runs the analysis core on request, so the parent can time
// each run, kill it on a hang and see a crash as an exit. Bundled on the fly by campaign.ts
// into test/.artifacts. Protocol: one JSON request per stdin line, one JSON reply per stdout line.
//   → { id, root, newFiles: string[] }   (newFiles relative to root: their facts are counted)
//   ← { id, ok: true, perFile: [rel, ms][], totalMs, diagnostics, newFacts, failedFiles } | { id, ok: false, error }
import { createInterface } from 'node:readline';
import { relative } from 'node:path';
import { AnalysisSession, mergeDiagnostics } from '../../server/src/core/analyze';
import { loadConfig } from '../../server/src/core/config';

interface Request {
  id: number;
  root: string;
  newFiles: string[];
}

function run(req: Request) {
  const t0 = performance.now();
  const session = new AnalysisSession(req.root, loadConfig(req.root), {});
  const root = session.scan.root;
  const rel = (f: string) => relative(root, f).split('\\').join('/');
  const perFile: Array<[string, number]> = [];
  // Facts file by file (each may read others: that time counts to the file that asked).
  for (const f of session.scan.sourceFiles) {
    const t = performance.now();
    session.factsOf(f);
    perFile.push([rel(f), performance.now() - t]);
  }
  const tRules = performance.now();
  const apps = session.analyzeAll();
  const rulesMs = performance.now() - tRules;
  const isNew = new Set(req.newFiles);
  const newFacts = { declarations: 0, invalidations: 0 };
  for (const a of apps) {
    newFacts.declarations += a.declarations.filter((d) => isNew.has(rel(d.site.location.file))).length;
    newFacts.invalidations += a.invalidations.filter((i) => isNew.has(rel(i.site.location.file))).length;
  }
  const diagnostics = mergeDiagnostics(apps).map((d) => ({
    file: rel(d.location.file),
    line: d.location.range.start.line + 1,
    column: d.location.range.start.character + 1,
    endLine: d.location.range.end.line + 1,
    endColumn: d.location.range.end.character + 1,
    code: d.code,
    severity: d.severity,
    message: d.message,
  }));
  return { perFile, rulesMs, totalMs: performance.now() - t0, diagnostics, newFacts, failedFiles: session.failedFiles, skipped: [...session.host.skipped.keys()].map(rel) };
}

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  let req: Request;
  try {
    req = JSON.parse(line);
  } catch {
    return;
  }
  let reply: unknown;
  try {
    reply = { id: req.id, ok: true, ...run(req) };
  } catch (e) {
    reply = { id: req.id, ok: false, error: String((e as Error)?.stack ?? e) };
  }
  process.stdout.write(JSON.stringify(reply) + '\n');
});
