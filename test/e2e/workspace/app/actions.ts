'use server';

import { updateTag } from 'next/cache';

export async function saveProduct() {
  updateTag('products');
}
