import { revalidateTag, updateTag } from 'next/cache';

export async function POST() {
  // A route handler is not a Server Action: Next throws on updateTag here.
  updateTag('products');
  // A typo: nothing declares 'prodcuts'.
  revalidateTag('prodcuts', 'max');
  return Response.json({ ok: true });
}
