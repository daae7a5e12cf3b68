import { revalidateTag, updateTag } from 'next/cache';

export async function POST() {
  revalidateTag('catalog', 'max');
  updateTag('products');
  return Response.json({ ok: true });
}
