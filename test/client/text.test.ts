// plain(): untrusted strings in notifications, dialogs, quick inputs and log lines stay text.
import { describe, expect, it } from 'vitest';
import { plain, quoted } from '../../client/src/text';

// VS Code 1.100.3's notification link syntax (parseLinkedText in the workbench bundle, copied
// verbatim): every match becomes a clickable <a>, and command: links run commands.
const VSCODE_LINK = /\[([^\]]+)\]\(((?:https?:\/\/|command:|file:)[^\)\s]+)(?: (["'])(.+?)(\3))?\)/gi;
const links = (s: string) => [...s.matchAll(VSCODE_LINK)].length;

describe('plain() (client/src/text.ts)', () => {
  it.each([
    'x[click me](command:workbench.action.terminal.new)',
    '[docs](https://evil.example/login "Sign in")',
    'a[f](file:///etc/passwd)b[g](command:tagscope.disconnectRedis)',
  ])('breaks the link syntax of %j (which VS Code would render as a link)', (s) => {
    expect(links(s)).toBeGreaterThan(0); // positive control: the raw string IS a link for VS Code
    expect(links(plain(s))).toBe(0);
    // The visible text is unchanged apart from a zero-width space.
    expect(plain(s).replace(/\u200b/g, '')).toBe(s);
  });

  it('breaks $(icon) syntax', () => {
    expect(plain('$(alert) hi')).not.toMatch(/\$\(/);
    expect(plain('$(alert) hi').replace(/\u200b/g, '')).toBe('$(alert) hi');
  });

  it('spells out control, bidi-override and zero-width characters (no forged log lines, no reordering)', () => {
    const rtl = 'tag\u202Egnp.exe';
    expect(plain(rtl)).toBe('tag\\u202egnp.exe');
    expect(plain('a\nINFO forged line\r\u2066x\u2069\u200by\u0000')).toBe('a\\u000aINFO forged line\\u000d\\u2066x\\u2069\\u200by\\u0000');
    expect(plain('<img src=x onerror=alert(1)> `${x}` "q" \'s\'')).toBe('<img src=x onerror=alert(1)> `${x}` "q" \'s\'');
  });

  it('caps the length', () => {
    expect(plain('x'.repeat(1000), 50)).toHaveLength(50);
    expect(quoted('products')).toBe("'products'");
  });
});
