import { revalidatePath, revalidateTag } from 'next/cache';

export async function POST(req: Request) {
  const url = new URL(req.url);
  const tag = url.searchParams.get('tag');
  const path = url.searchParams.get('path');
  const type = url.searchParams.get('type') as 'page' | 'layout' | null;
  if (tag) revalidateTag(tag, 'max');
  if (path) revalidatePath(path, type ?? undefined);
  return Response.json({ ok: true, tag, path, type });
}
