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
  // Focus can be where the workbench's keybindings do not reach (a CI run: the panel's webview
  // frame after a click in it, then toasts): if the palette does not open, focus the workbench
  // (the side bar's title, or the editor area) and try again, the second time with F1.
  for (let attempt = 0; ; attempt++) {
    await page.keyboard.press('Escape');
    await page.keyboard.press(attempt === 1 ? 'F1' : 'Control+Shift+P');
    try {
      await input.waitFor({ timeout: attempt < 2 ? 5_000 : 30_000 });
      break;
    } catch (e) {
      if (attempt >= 2) throw e;
      const neutral = page.locator('.monaco-workbench .part.sidebar > .title, .monaco-workbench .part.editor').first();
      await neutral.click({ timeout: 5_000 }).catch(() => undefined);
    }
  }
  await input.fill(`>${label}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: label }).first().waitFor();
  await page.waitForTimeout(200);
  await page.keyboard.press('Enter');
}
