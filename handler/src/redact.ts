// Keeping Redis passwords out of every message: one place for the handler, TagStore and the
// language server (which shows store errors in the editor). A URL may be one node or a cluster list.

const SCHEME = /^[a-z][\w+.-]*:\/\//i;

/** The nodes of a URL as typed: `a,b` lists and `redis+cluster://…` become per-node `redis://` URLs. */
function nodeTexts(url: string): string[] {
  return url.split(',').map((part, i) => {
    const p = part.trim().replace(/^(rediss?)\+cluster:/i, '$1:');
    return i === 0 || SCHEME.test(p) ? p : `redis://${p}`;
  });
}

/** The user info as typed: everything between `//` and the last `@` of the node (empty if none). */
function typedUserInfo(node: string): string {
  const rest = node.replace(SCHEME, '');
  const at = rest.lastIndexOf('@');
  return at >= 0 ? rest.slice(0, at) : '';
}

function decoded(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** What to tell someone whose URL has ambiguous credentials (see hasAmbiguousCredentials). */
export const AMBIGUOUS_CREDENTIALS_HINT = 'Percent-encode "/", "?", "#" and "@" in the user name and password (e.g. "/" as %2F).';

/**
 * Whether a URL parser reads a node's credentials differently from how they were typed: a `/`,
 * `?` or `#` left unencoded in a password ends the authority, so `redis://u:42/x@host` is read as
 * host `u`, port 42, and the password lands in the host, the path or a log line.
 */
export function hasAmbiguousCredentials(url: string): boolean {
  for (const node of nodeTexts(url)) {
    const typed = typedUserInfo(node);
    if (!typed) continue;
    try {
      const u = new URL(node);
      const parsed = u.username + (u.password ? `:${u.password}` : '');
      if (decoded(parsed) !== decoded(typed)) return true;
    } catch {
      return true;
    }
  }
  return false;
}

/**
 * The secrets of a URL as they may appear in a message: the password of every node, as typed (up
 * to the node's last `@`, whatever the parser makes of it), percent-decoded and percent-encoded.
 */
export function secretsOf(url: string): string[] {
  // Errors come in bursts for one URL (every failed command while Redis is away): parse it once.
  if (url === lastSecrets.url) return lastSecrets.forms;
  const forms = findSecrets(url);
  lastSecrets = { url, forms };
  return forms;
}
let lastSecrets: { url?: string; forms: string[] } = { forms: [] };

function findSecrets(url: string): string[] {
  const found = new Set<string>();
  for (const node of nodeTexts(url)) {
    const typed = typedUserInfo(node);
    const colon = typed.indexOf(':');
    if (colon >= 0) found.add(typed.slice(colon + 1));
    try {
      const u = new URL(node);
      if (u.password) found.add(u.password);
    } catch {
      /* not a URL: the typed form above still applies */
    }
  }
  const forms = new Set<string>();
  for (const pw of found) {
    if (!pw) continue;
    forms.add(pw);
    forms.add(decoded(pw));
    forms.add(encodeURIComponent(pw));
  }
  return [...forms].filter(Boolean).sort((a, b) => b.length - a.length);
}

/** A URL shown to a person: scheme, host and port of its first node only; `redis` when that is not safe to tell. */
export function redactUrl(url: string): string {
  if (hasAmbiguousCredentials(url)) return 'redis';
  try {
    const u = new URL(nodeTexts(url)[0]);
    return `${u.protocol}//${u.hostname}${u.port ? ':' + u.port : ''}`;
  } catch {
    return 'redis';
  }
}

/**
 * The nodes of a store for an error message: scheme and host of each root node, credentials as
 * `***@`. Built from the parsed nodes, never by editing the URL; a node that does not parse, or
 * whose credentials parse differently from how they were typed, is left out.
 */
export function redactedNodes(rootUrls: string[]): string {
  const nodes: string[] = [];
  for (const raw of rootUrls) {
    if (hasAmbiguousCredentials(raw)) continue;
    try {
      const u = new URL(raw);
      if (!u.hostname) continue;
      nodes.push(`${u.protocol}//${raw.includes('@') ? '***@' : ''}${u.host}`);
    } catch {
      /* a fragment of a URL (or of a password with a comma in it): nothing of it is shown */
    }
  }
  return nodes.join(',') || 'redis';
}

/** A message (from the Redis client, say) with the URL and every form of its passwords taken out. */
export function redactText(message: string, url: string): string {
  let out = url ? message.split(url).join(redactUrl(url)) : message;
  out = out.replace(/(\/\/|,)[^@/\s,]*@/g, '$1***@');
  for (const secret of secretsOf(url)) out = out.split(secret).join('***');
  return out;
}

/**
 * An error safe to hand to hooks and loggers: name, message and stack redacted, nothing else. Client
 * errors can carry the URL in other properties (a URL parse error keeps it as `input`), which
 * serializers print.
 */
export function redactError(err: unknown, url: string): Error {
  const e = err as { name?: unknown; message?: unknown; stack?: unknown } | undefined;
  const safe = new Error(redactText(String(e?.message ?? err), url));
  if (typeof e?.name === 'string') Object.defineProperty(safe, 'name', { value: e.name, enumerable: false, writable: true, configurable: true });
  safe.stack = typeof e?.stack === 'string' ? redactText(e.stack, url) : safe.stack;
  return safe;
}
