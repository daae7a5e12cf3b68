import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheLife, cacheTag } from 'next/cache';

// The chaos test's "database": one file per key holding a version that only ever increases, so a
// stale read is detectable (a read showing a version below one already acknowledged).
export const CHAOS_KEYS = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7'];

function dir(): string | undefined {
  return process.env.TAGSCOPE_TEST_CHAOS_DIR;
}

export function readVersion(k: string): number {
  const d = dir();
  if (!d || !/^k\d+$/.test(k)) return 0;
  try {
    return Number(readFileSync(join(d, k), 'utf8')) || 0;
  } catch {
    return 0;
  }
}

/** Monotonic write (atomic rename): a lower version than the stored one is ignored. */
export function writeVersion(k: string, v: number): void {
  const d = dir();
  if (!d || !/^k\d+$/.test(k) || !Number.isSafeInteger(v)) throw new Error('bad chaos write');
  mkdirSync(d, { recursive: true });
  if (readVersion(k) >= v) return;
  const tmp = join(d, `.${k}.${process.pid}.${Math.random().toString(36).slice(2)}`);
  writeFileSync(tmp, String(v));
  renameSync(tmp, join(d, k));
}

// "<version>@<ms>": the version read and when this generation read it, so the test can tell a value
// served from a cache entry from one shared with a generation still in flight (Next de-duplicates
// concurrent invocations of a cached function in a process).
export async function getChaos(k: string): Promise<string> {
  'use cache';
  cacheTag(`chaos-${k}`);
  cacheLife('max');
  return `${readVersion(k)}@${Date.now()}`;
}

export async function getChaosRemote(k: string): Promise<string> {
  'use cache: remote';
  cacheTag(`chaos-${k}`);
  cacheLife('max');
  return `${readVersion(k)}@${Date.now()}`;
}
