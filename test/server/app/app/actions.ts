'use server';
import { updateTag, revalidateTag } from 'next/cache';
import { TAGS } from '@/lib/tags';

export async function saveProduct(id: string) {
  updateTag(TAGS.product(id));
  revalidateTag('products', 'max');
}
