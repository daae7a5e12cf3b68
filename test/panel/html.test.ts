// The panel's HTML and its Content Security Policy, as the extension renders it (the same
// builder runs in the real webview; test/e2e checks the live document too).
import { describe, expect, it } from 'vitest';
import { panelCsp, panelHtml } from '../../client/src/panel/html';

const CSP_SOURCE = 'https://*.vscode-cdn.net';
const asset = (f: string) => `https://file%2B.vscode-resource.vscode-cdn.net/ext/dist/webview/${f}`;

/** directive -> sources, from the page's CSP meta tag (the only one). */
function cspOf(html: string): Map<string, string[]> {
  const metas = [...html.matchAll(/<meta http-equiv="Content-Security-Policy" content="([^"]*)">/g)];
  expect(metas).toHaveLength(1);
  const policy = metas[0][1].replace(/&#39;|&apos;/g, "'");
  return new Map(
    policy
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...sources]) => [name, sources]),
  );
}

describe('panel webview HTML', () => {
  it('has default-src none, a nonce-only script-src and only the webview source for styles, fonts and images', () => {
    const html = panelHtml({ cspSource: CSP_SOURCE, asset, nonce: 'n0nce+/=' });
    const csp = cspOf(html);
    expect([...csp.keys()].sort()).toEqual(['default-src', 'font-src', 'img-src', 'script-src', 'style-src']);
    expect(csp.get('default-src')).toEqual(["'none'"]);
    expect(csp.get('script-src')).toEqual(["'nonce-n0nce+/='"]);
    for (const d of ['style-src', 'font-src', 'img-src']) expect(csp.get(d)).toEqual([CSP_SOURCE]);
    const all = [...csp.values()].flat();
    expect(all.filter((s) => /unsafe-|^'strict-dynamic'$|^\*$|^data:|^blob:/.test(s))).toEqual([]);
    // No remote origin besides the webview's own resource source.
    expect(all.filter((s) => /^(https?|wss?):/.test(s) && s !== CSP_SOURCE)).toEqual([]);
  });

  it('has exactly one script, external, carrying the nonce; no inline script, handler or style', () => {
    const html = panelHtml({ cspSource: CSP_SOURCE, asset, nonce: 'abc' });
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts).toHaveLength(1);
    expect(scripts[0][1]).toContain('nonce="abc"');
    expect(scripts[0][1]).toContain(`src="${asset('panel.js')}"`);
    expect(scripts[0][2]).toBe('');
    expect(html).not.toMatch(/\son\w+=|<style|style=|javascript:/i);
  });

  it('draws a fresh 128-bit nonce for every render', () => {
    const nonces = Array.from({ length: 50 }, () => cspOf(panelHtml({ cspSource: CSP_SOURCE, asset })).get('script-src')![0]);
    expect(new Set(nonces).size).toBe(50);
    for (const n of nonces) expect(n).toMatch(/^'nonce-[A-Za-z0-9+/]{22}=='$/);
  });

  it('escapes what it interpolates into attributes', () => {
    const html = panelHtml({ cspSource: 'x" onload="alert(1)', asset: () => '"><script>alert(1)</script>', nonce: 'n' });
    expect(html).not.toContain('onload="alert');
    expect(html).not.toContain('<script>alert');
    expect(panelCsp('s', 'n')).toBe("default-src 'none'; style-src s; font-src s; img-src s; script-src 'nonce-n'");
  });
});
