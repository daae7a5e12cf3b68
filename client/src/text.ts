// Untrusted strings (tag names and paths from the code or from Redis, error messages from Redis)
// shown in notifications, dialogs, quick inputs and log lines. No vscode import: unit-tested.
// VS Code renders `[label](https:…|command:…|file:…)` in a notification as a live link and
// `$(name)` in many labels as an icon; control and bidi-override characters can forge log lines
// or reorder what the user reads. None of that may come from data.

/** C0/C1 controls, bidi marks/embeddings/overrides/isolates, zero-width and line/paragraph separators. */
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/** The string as inert text: invisible characters spelled out, link and icon syntax broken, length capped. */
export function plain(value: string, max = 300): string {
  let s = String(value).replace(INVISIBLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (s.length > max) s = s.slice(0, max - 1) + '…';
  // A zero-width space between `]` and `(`, and between `$` and `(`: the text reads the same,
  // but it is no longer link or icon syntax.
  return s.replace(/\]\(/g, ']\u200b(').replace(/\$\(/g, '$\u200b(');
}

/** A tag (or path) quoted for a message. */
export const quoted = (value: string) => `'${plain(value, 260)}'`;
