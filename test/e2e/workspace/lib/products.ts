import { cacheLife, cacheTag } from 'next/cache';

export async function getProducts() {
  'use cache';
  cacheLife('hours');
  cacheTag('products');
  return [{ id: 1, name: 'Lamp' }];
}

export async function getCatalog() {
  'use cache';
  cacheLife('days');
  cacheTag('catalog');
  return { updated: new Date().toISOString() };
}
