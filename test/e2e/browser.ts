// Debian's Chromium driven by playwright-core, as both e2e suites launch it: headless, with its
// state under `home` and the flags this offline machine needs (no background networking).
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.TAGSCOPE_E2E_CHROMIUM || '/usr/bin/chromium';

export function assertChromium(): void {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (or set TAGSCOPE_E2E_CHROMIUM)`);
}

export async function launchBrowser(home: string): Promise<{ browser: BrowserContext; page: Page }> {
  mkdirSync(home, { recursive: true });
  const browser = await chromium.launchPersistentContext(join(home, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    env: { ...process.env, HOME: home },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(30_000);
  return { browser, page };
}

/** Runs a command from the Command Palette (Control+Shift+P), picking the row with this label. */
export async function runCommand(page: Page, label: string): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  // A palette opened while a webview frame holds the focus (CI runs: the panel after a click in
  // it) may not open, or may close again when the frame takes the focus back. So the workbench gets
  // the focus first (a side bar or panel title: never the editor area, where the webview is), and
  // opening and typing are retried, the second time with F1.
  for (let attempt = 0; ; attempt++) {
    await page.keyboard.press('Escape');
    if (attempt > 0 || ((await page.evaluate('document.activeElement?.tagName')) === 'IFRAME')) {
      const neutral = page.locator('.monaco-workbench .part.sidebar > .title, .monaco-workbench .part.panel > .title').first();
      await neutral.click({ timeout: 5_000 }).catch(() => undefined);
    }
    await page.keyboard.press(attempt === 1 ? 'F1' : 'Control+Shift+P');
    try {
      await input.waitFor({ timeout: 5_000 });
      await input.fill(`>${label}`, { timeout: 5_000 });
      break;
    } catch (e) {
      if (attempt >= 2) throw e;
    }
  }
  await page.locator('.quick-input-list .monaco-list-row', { hasText: label }).first().waitFor();
  await page.waitForTimeout(200);
  await page.keyboard.press('Enter');
}
