import { cacheLife, cacheTag } from 'next/cache';
import { TAGS } from '@/lib/tags';

export async function getProducts() {
  'use cache';
  cacheTag(TAGS.products);
  cacheLife('biweekly');
  return [{ id: '1' }];
}

export async function getProduct(id: string) {
  'use cache';
  cacheTag(TAGS.product(id), 'catalog');
  return { id };
}
