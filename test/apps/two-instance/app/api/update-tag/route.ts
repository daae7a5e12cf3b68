import { updateTag } from 'next/cache';

// updateTag is only allowed in Server Actions: Next throws here, and nothing must change.
export async function POST() {
  updateTag('products');
  return Response.json({ ok: true });
}
