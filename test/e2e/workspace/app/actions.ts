'use server';

import { revalidateTag, updateTag } from 'next/cache';

export async function saveProduct() {
  updateTag('products');
}

export async function publishCatalog() {
  revalidateTag('catalog', 'hours');
}
