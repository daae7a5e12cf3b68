// Untrusted strings (tag names and paths from the code or from Redis, error messages from Redis)
// shown in notifications, dialogs, quick inputs and log lines. No vscode import: unit-tested.
// VS Code renders `[label](https:…|command:…|file:…)` in a notification as a live link and
// `$(name)` in many labels as an icon; control and bidi-override characters can forge log lines
// or reorder what the user reads. None of that may come from data.

import { spellOutInvisible } from '../../server/src/invisible';

/** The string as inert text: invisible characters spelled out, link and icon syntax broken, length capped. */
export function plain(value: string, max = 300): string {
  let s = spellOutInvisible(String(value));
  if (s.length > max) s = s.slice(0, max - 1) + '…';
  // A zero-width space between `]` and `(`, and between `$` and `(`: the text reads the same,
  // but it is no longer link or icon syntax.
  return s.replace(/\]\(/g, ']\u200b(').replace(/\$\(/g, '$\u200b(');
}

/** A tag (or path) quoted for a message. */
export const quoted = (value: string) => `'${plain(value, 260)}'`;
