// Validates messages from the panel webview. The webview renders data from Redis and from
// the code, either of which can be hostile: the host trusts nothing a message says.
import type { PanelToHost } from '../../../server/src/protocol';

const MAX_TAG = 1024;

function str(v: unknown, max = MAX_TAG): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= max;
}

export function parsePanelMessage(raw: unknown): PanelToHost | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const m = raw as Record<string, unknown>;
  switch (m.type) {
    case 'ready':
    case 'refresh':
    case 'connect':
      return { type: m.type };
    case 'open':
      if (!str(m.uri, 4096) || !/^file:\/\//.test(m.uri)) return undefined;
      if (!Number.isInteger(m.line) || !Number.isInteger(m.character) || (m.line as number) < 0 || (m.character as number) < 0) return undefined;
      return { type: 'open', uri: m.uri, line: m.line as number, character: m.character as number };
    case 'invalidateTag':
      if (!str(m.tag)) return undefined;
      if (m.mode !== 'stale' && m.mode !== 'expire') return undefined;
      if (m.profile !== undefined && !(str(m.profile, 64) && /^[\w-]+$/.test(m.profile))) return undefined;
      return { type: 'invalidateTag', tag: m.tag, mode: m.mode, profile: m.profile as string | undefined };
    case 'invalidatePath':
      if (!str(m.path, 1024) || !m.path.startsWith('/')) return undefined;
      if (m.pathType !== undefined && m.pathType !== 'page' && m.pathType !== 'layout') return undefined;
      return { type: 'invalidatePath', path: m.path, pathType: m.pathType as 'page' | 'layout' | undefined };
    default:
      return undefined;
  }
}
