// The extension manifest (root package.json) against the contracts in DESIGN.md and the server.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RULE_DEFAULTS, RULE_IDS } from '../../server/src/core/config';

const root = join(__dirname, '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const props = pkg.contributes.configuration.properties as Record<string, { default: unknown; enum?: string[] }>;

describe('extension manifest', () => {
  it('has a tagscope.rules.<id> setting per rule, defaulting to the rule default severity', () => {
    for (const id of RULE_IDS) {
      const p = props[`tagscope.rules.${id}`];
      expect(p, id).toBeDefined();
      expect(p.default).toBe(RULE_DEFAULTS[id]);
      expect(p.enum).toEqual(['off', 'hint', 'info', 'warning', 'error']);
    }
    const ruleSettings = Object.keys(props).filter((k) => k.startsWith('tagscope.rules.'));
    expect(ruleSettings).toHaveLength(RULE_IDS.length);
  });

  it('has the other settings with their documented defaults, all under tagscope.', () => {
    expect(props['tagscope.maxFiles'].default).toBe(20000);
    expect(props['tagscope.maxFileSizeKb'].default).toBe(1024);
    expect(props['tagscope.redis.keyPrefix'].default).toBe('tagscope');
    expect(props['tagscope.refreshIntervalMs'].default).toBe(2000);
    expect(props['tagscope.trace.server'].default).toBe('off');
    expect(Object.keys(props).every((k) => k.startsWith('tagscope.'))).toBe(true);
    // The URL is a secret, never a setting.
    expect(Object.keys(props).some((k) => /url|password/i.test(k))).toBe(false);
  });

  it('contributes every DESIGN.md command under the Tagscope category', () => {
    const ids = pkg.contributes.commands.map((c: { command: string; category: string }) => (expect(c.category).toBe('Tagscope'), c.command));
    expect(ids.sort()).toEqual(['tagscope.connectRedis', 'tagscope.disconnectRedis', 'tagscope.invalidatePath', 'tagscope.invalidateTag', 'tagscope.openPanel', 'tagscope.restartServer', 'tagscope.showOutput']);
  });

  it('activates on next.config files and the panel, runs limited in untrusted workspaces', () => {
    expect(pkg.activationEvents).toContain('workspaceContains:**/next.config.{js,cjs,mjs,ts,mts}');
    expect(pkg.activationEvents).toContain('onWebviewPanel:tagscope.panel');
    expect(pkg.main).toBe('./dist/extension.js');
    expect(pkg.capabilities.untrustedWorkspaces.supported).toBe('limited');
  });

  it('keeps engines.vscode, @types/vscode and vscode-languageclient consistent', () => {
    const engine = pkg.engines.vscode.replace(/^\^/, '');
    expect(pkg.devDependencies['@types/vscode']).toBe(engine);
    const lc = JSON.parse(readFileSync(join(root, 'node_modules/vscode-languageclient/package.json'), 'utf8'));
    const need = lc.engines.vscode.replace(/^\^/, '').split('.').map(Number);
    const have = engine.split('.').map(Number);
    expect(have[0] * 1000 + have[1]).toBeGreaterThanOrEqual(need[0] * 1000 + need[1]);
  });

  it('packages only the bundles, the webview assets and the marketplace files (.vscodeignore whitelist)', () => {
    const lines = readFileSync(join(root, '.vscodeignore'), 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
    expect(lines[0]).toBe('**');
    expect(lines.slice(1).sort()).toEqual(['!CHANGELOG.md', '!LICENSE', '!README.md', '!dist/extension.js', '!dist/server.js', '!dist/webview/**', '!media/**', '!package.json'].sort());
    expect(pkg.icon).toBe('media/icon.png');
  });
});
