'use server';
import { updateTag } from 'next/cache';

export async function refreshProducts(): Promise<string> {
  updateTag('products');
  return 'ok';
}
