import { appendFileSync, readFileSync } from 'node:fs';

// A file-backed "database" the test changes between requests.
export function readDb(): { products: string; items: Record<string, string> } {
  const file = process.env.TAGSCOPE_TEST_DB;
  if (!file) return { products: 'no-db', items: {} };
  return JSON.parse(readFileSync(file, 'utf8'));
}

// Counts generations of cached functions (to prove a restarted instance reuses Redis entries).
export function noteGeneration(what: string): void {
  const file = process.env.TAGSCOPE_TEST_GENLOG;
  if (file) appendFileSync(file, `${process.env.TAGSCOPE_INSTANCE ?? '?'} ${what}\n`);
}
