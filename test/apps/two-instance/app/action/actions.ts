'use server';
import { updateTag } from 'next/cache';
import { writeVersion } from '../../lib/chaos';

export async function refreshProducts(): Promise<string> {
  updateTag('products');
  return 'ok';
}

/** DB write, then updateTag: once this returns, the instance must never serve the old version. */
export async function bumpChaos(k: string, v: number): Promise<string> {
  writeVersion(k, v);
  updateTag(`chaos-${k}`);
  return `bumped:${k}:${v}`;
}
