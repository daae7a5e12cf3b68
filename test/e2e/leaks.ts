// Leak search for the e2e security checks: every form a Redis password can take, searched in the
// bytes of files (UTF-8 and UTF-16LE, as Chromium's storage keeps strings), in the DOM of every
// frame, and code-server's sealed SecretStorage record opened for the positive check.
import { createDecipheriv } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

/** Raw, percent-encoded (both spellings of a space), inside a URL's userinfo, base64. */
export function passwordForms(pw: string): string[] {
  return [...new Set([pw, encodeURIComponent(pw), pw.replace(/ /g, '%20'), pw.replace(/ /g, '+'), `:${encodeURIComponent(pw)}@`, Buffer.from(pw).toString('base64')])];
}

export function allFiles(dir: string, out: string[] = []): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) allFiles(p, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Files (under any of dirs) whose bytes hold one of the strings, in UTF-8 or UTF-16LE. */
export function filesContaining(dirs: string[], strings: string[]): { file: string; form: string }[] {
  const needles = strings.flatMap((s) => [Buffer.from(s, 'utf8'), Buffer.from(s, 'utf16le')].map((b) => ({ s, b })));
  const hits: { file: string; form: string }[] = [];
  for (const file of dirs.flatMap((d) => allFiles(d))) {
    let buf: Buffer;
    try {
      buf = readFileSync(file);
    } catch {
      continue; // a socket or a file removed meanwhile
    }
    for (const n of needles) if (buf.includes(n.b)) hits.push({ file, form: n.s });
  }
  return hits;
}

/** The text and markup of the workbench and of every frame in it (webviews included). */
export async function domOfAllFrames(page: Page): Promise<string> {
  const parts: string[] = [];
  for (const f of page.frames()) parts.push(await f.content().catch(() => ''));
  return parts.join('\n');
}

/**
 * code-server's SecretStorage (VS Code's LocalStorageSecretStorageProvider): one browser
 * localStorage item, `secrets.provider`, holding base64(clientKey[32] ‖ iv[12] ‖ AES-256-GCM
 * ciphertext+tag) of a JSON map; the AES key is clientKey XOR the 32 bytes code-server keeps in
 * <user-data-dir>/serve-web-key-half and hands out at /mint-key.
 */
export function openSecretStorage(sealed: string, keyHalfFile: string): Record<string, string> {
  const blob = Buffer.from(sealed, 'base64');
  const clientKey = blob.subarray(0, 32);
  const iv = blob.subarray(32, 44);
  const body = blob.subarray(44);
  const half = readFileSync(keyHalfFile);
  const key = Buffer.alloc(32);
  for (let i = 0; i < 32; i++) key[i] = clientKey[i] ^ half[i];
  const d = createDecipheriv('aes-256-gcm', key, iv);
  d.setAuthTag(body.subarray(body.length - 16));
  return JSON.parse(Buffer.concat([d.update(body.subarray(0, body.length - 16)), d.final()]).toString('utf8'));
}
