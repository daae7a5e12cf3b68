// The panel webview's HTML (no vscode import: unit-tested). Everything the panel shows is built
// by the bundled script with textContent; this page only loads it, under a strict CSP:
// nothing by default, scripts only with this render's nonce, styles/fonts/images only from the
// extension's own webview resources (cspSource), no remote origin, no inline script or style.
import { randomBytes } from 'node:crypto';

export interface PanelHtmlInput {
  /** webview.cspSource */
  cspSource: string;
  /** The webview URI of a file in dist/webview (webview.asWebviewUri). */
  asset: (file: string) => string;
  /** Defaults to 16 fresh random bytes (base64): a new nonce for every render. */
  nonce?: string;
}

export function panelCsp(cspSource: string, nonce: string): string {
  return [`default-src 'none'`, `style-src ${cspSource}`, `font-src ${cspSource}`, `img-src ${cspSource}`, `script-src 'nonce-${nonce}'`].join('; ');
}

const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function panelHtml({ cspSource, asset, nonce = randomBytes(16).toString('base64') }: PanelHtmlInput): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(panelCsp(cspSource, nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attr(asset('codicon.css'))}">
<link rel="stylesheet" href="${attr(asset('panel.css'))}">
<title>Cache Tags</title>
</head>
<body>
<div id="app" role="application" aria-label="Cache tags"></div>
<script nonce="${attr(nonce)}" src="${attr(asset('panel.js'))}"></script>
</body>
</html>`;
}
