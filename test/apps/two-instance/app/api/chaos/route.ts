import { revalidateTag } from 'next/cache';
import { writeVersion } from '../../../lib/chaos';

// DB write, then revalidateTag(tag, 'max'): stale-while-revalidate, applied after the response (waitUntil).
export async function POST(req: Request) {
  const url = new URL(req.url);
  const k = url.searchParams.get('k') ?? '';
  const v = Number(url.searchParams.get('v'));
  writeVersion(k, v);
  revalidateTag(`chaos-${k}`, 'max');
  return Response.json({ ok: true, k, v });
}
