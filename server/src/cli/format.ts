// Output formats of `tagscope lint`: ESLint-like text, the JSON contract, and SARIF 2.1.0.
import { relative } from 'node:path';
import { RULE_DEFAULTS, RULE_IDS } from '../core/config';
import type { Diagnostic, Location } from '../core/types';

export function relPath(root: string, file: string): string {
  return relative(root, file).split('\\').join('/');
}

function pos(l: Location) {
  return { line: l.range.start.line + 1, column: l.range.start.character + 1, endLine: l.range.end.line + 1, endColumn: l.range.end.character + 1 };
}

export function toJson(root: string, diagnostics: Diagnostic[], stats: Record<string, unknown>): string {
  return JSON.stringify({
    version: 1,
    diagnostics: diagnostics.map((d) => ({
      file: relPath(root, d.location.file),
      ...pos(d.location),
      severity: d.severity,
      code: d.code,
      message: d.message,
      fixes: d.fixes.map((f) => ({ title: f.title, edits: f.edits.map((e) => ({ file: relPath(root, e.file), line: e.range.start.line + 1, column: e.range.start.character + 1, endLine: e.range.end.line + 1, endColumn: e.range.end.character + 1, newText: e.newText })) })),
    })),
    stats,
  });
}

export function toText(root: string, diagnostics: Diagnostic[], color: boolean): string {
  const c = (code: string, s: string) => (color ? `\u001b[${code}m${s}\u001b[0m` : s);
  const byFile = new Map<string, Diagnostic[]>();
  for (const d of diagnostics) byFile.set(d.location.file, [...(byFile.get(d.location.file) ?? []), d]);
  const lines: string[] = [];
  const count = { error: 0, warning: 0, info: 0, hint: 0 };
  for (const [file, ds] of byFile) {
    lines.push('', c('4', relPath(root, file)));
    for (const d of ds) {
      count[d.severity]++;
      const p = pos(d.location);
      const sev = d.severity === 'error' ? c('31', 'error') : d.severity === 'warning' ? c('33', 'warning') : c('36', d.severity);
      lines.push(`  ${relPath(root, file)}:${p.line}:${p.column}  ${sev}  ${d.message}  ${c('2', d.code)}`);
    }
  }
  const total = diagnostics.length;
  if (total === 0) return 'No problems found.';
  const fixable = diagnostics.filter((d) => d.fixes.length).length;
  lines.push('', c(count.error ? '31;1' : '33;1', `✖ ${total} problem${total === 1 ? '' : 's'} (${count.error} error${count.error === 1 ? '' : 's'}, ${count.warning} warning${count.warning === 1 ? '' : 's'}${count.info + count.hint ? `, ${count.info + count.hint} info/hint` : ''})`));
  if (fixable) lines.push(`  ${fixable} of them have a quick fix in the editor.`);
  return lines.join('\n').replace(/^\n/, '');
}

const SARIF_LEVEL = { error: 'error', warning: 'warning', info: 'note', hint: 'note' } as const;

export function toSarif(root: string, diagnostics: Diagnostic[], version: string): string {
  return JSON.stringify({
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'tagscope',
            version,
            informationUri: 'https://github.com/tagscope/tagscope',
            rules: RULE_IDS.map((id) => ({ id, name: id, shortDescription: { text: id.replace(/-/g, ' ') }, defaultConfiguration: { level: SARIF_LEVEL[RULE_DEFAULTS[id]] } })),
          },
        },
        columnKind: 'utf16CodeUnits',
        results: diagnostics.map((d) => {
          const p = pos(d.location);
          return {
            ruleId: d.code,
            ruleIndex: RULE_IDS.indexOf(d.code),
            level: SARIF_LEVEL[d.severity],
            message: { text: d.message },
            locations: [{ physicalLocation: { artifactLocation: { uri: relPath(root, d.location.file), uriBaseId: '%SRCROOT%' }, region: { startLine: p.line, startColumn: p.column, endLine: p.endLine, endColumn: p.endColumn } } }],
          };
        }),
      },
    ],
  });
}
