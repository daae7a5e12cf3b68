import { Suspense } from 'react';
import { CHAOS_KEYS, getChaos } from '../../../lib/chaos';

// Prerendered per key (ISR): served from the incremental cacheHandler, checked against the page's
// x-next-cache-tags (chaos-<k> comes from the 'use cache' read inside).
export function generateStaticParams() {
  return CHAOS_KEYS.map((k) => ({ k }));
}

async function Value({ params }: { params: Promise<{ k: string }> }) {
  const { k } = await params;
  const v = await getChaos(k);
  return <p id="v">{v}</p>;
}

export default function Page({ params }: { params: Promise<{ k: string }> }) {
  return (
    <Suspense fallback={<p>loading</p>}>
      <Value params={params} />
    </Suspense>
  );
}
