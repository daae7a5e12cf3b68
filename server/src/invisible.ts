// Untrusted text (tags, file names, Redis errors) shown to people: characters that are invisible or
// reorder what is read (C0/C1 controls, bidi marks, embeddings, overrides and isolates, zero-width
// and line/paragraph separators) are spelled out as \uXXXX. Pure: used by the server's hovers and
// the extension's notifications, dialogs and logs.
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

export function spellOutInvisible(s: string): string {
  return s.replace(INVISIBLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
