// Tagscope settings shared by the CLI and the server: rule severities and ignore globs, read
// from `tagscope.config.json` or the `tagscope` key of package.json.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RuleId, RuleSeverity, Severity } from './types';

export const RULE_DEFAULTS: Record<RuleId, Severity> = {
  'cache-tag-outside-use-cache': 'error',
  'update-tag-outside-server-action': 'error',
  'invalidate-during-render': 'error',
  'undeclared-tag': 'warning',
  'dynamic-tag-mismatch': 'warning',
  'unused-tag': 'hint',
  'revalidate-tag-missing-profile': 'warning',
  'unknown-cache-life-profile': 'error',
  'unknown-cache-handler': 'error',
  'invalid-tag': 'error',
  'too-many-tags': 'warning',
  'revalidate-path-no-route': 'warning',
};

export const RULE_IDS = Object.keys(RULE_DEFAULTS) as RuleId[];
const SEVERITIES: RuleSeverity[] = ['off', 'hint', 'info', 'warning', 'error'];

export interface TagscopeConfig {
  rules: Partial<Record<RuleId, RuleSeverity>>;
  ignore: string[];
}

export class ConfigError extends Error {}

/** Validates a raw config object; unknown rule ids and severities are errors, not silently ignored. */
export function parseConfig(raw: unknown, source: string): TagscopeConfig {
  const out: TagscopeConfig = { rules: {}, ignore: [] };
  if (raw === undefined || raw === null) return out;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${source}: expected an object`);
  const r = raw as { rules?: unknown; ignore?: unknown };
  if (r.rules !== undefined) {
    if (typeof r.rules !== 'object' || r.rules === null || Array.isArray(r.rules)) throw new ConfigError(`${source}: "rules" must be an object of rule id → severity`);
    for (const [id, sev] of Object.entries(r.rules)) {
      if (!(id in RULE_DEFAULTS)) throw new ConfigError(`${source}: unknown rule "${id}" (known: ${RULE_IDS.join(', ')})`);
      if (!SEVERITIES.includes(sev as RuleSeverity)) throw new ConfigError(`${source}: rule "${id}" has severity ${JSON.stringify(sev)}; use one of ${SEVERITIES.join('|')}`);
      out.rules[id as RuleId] = sev as RuleSeverity;
    }
  }
  if (r.ignore !== undefined) {
    if (!Array.isArray(r.ignore) || r.ignore.some((g) => typeof g !== 'string')) throw new ConfigError(`${source}: "ignore" must be an array of glob strings`);
    out.ignore = r.ignore as string[];
  }
  return out;
}

export function loadConfig(dir: string): TagscopeConfig {
  const file = join(dir, 'tagscope.config.json');
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    /* absent */
  }
  if (text !== undefined) {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw new ConfigError(`${file}: invalid JSON (${(e as Error).message})`);
    }
    return parseConfig(raw, file);
  }
  try {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    return parseConfig(pkg?.tagscope, join(dir, 'package.json') + '#tagscope');
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    return { rules: {}, ignore: [] };
  }
}

export function severityOf(id: RuleId, rules: Partial<Record<RuleId, RuleSeverity>>): RuleSeverity {
  return rules[id] ?? RULE_DEFAULTS[id];
}

/** `**` any folders, `*` within a segment, `?` one character; a pattern without `/` matches any segment. */
export function globToRegExp(glob: string): RegExp {
  let g = glob.replace(/^\.\//, '');
  if (!g.includes('/')) g = '**/' + g;
  let re = '';
  for (let i = 0; i < g.length; i++) {
    const c = g[i];
    if (c === '*' && g[i + 1] === '*') {
      re += g[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += g[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp('^' + re + '(?:/.*)?$');
}

export function makeIgnore(globs: string[]): ((rel: string) => boolean) | undefined {
  if (globs.length === 0) return undefined;
  const res = globs.map(globToRegExp);
  return (rel) => res.some((r) => r.test(rel.replace(/\/$/, '')));
}
