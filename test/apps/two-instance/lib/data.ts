import { cacheLife, cacheTag } from 'next/cache';
import { noteGeneration, readDb } from './db';

export async function getProducts(): Promise<string> {
  'use cache';
  cacheTag('products');
  cacheLife('max');
  noteGeneration('products');
  return readDb().products;
}

export async function getRemoteProducts(): Promise<string> {
  'use cache: remote';
  cacheTag('products');
  noteGeneration('remote-products');
  return readDb().products;
}

export async function getItem(id: string): Promise<string> {
  'use cache';
  cacheTag(`item-${id}`);
  noteGeneration(`item-${id}`);
  return readDb().items[id] ?? 'none';
}
