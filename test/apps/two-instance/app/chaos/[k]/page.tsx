import { Suspense } from 'react';
import { connection } from 'next/server';
import { getChaos, getChaosRemote } from '../../../lib/chaos';

// Per request: both 'use cache' reads (default and remote) go through the use-cache handler.
async function Value({ params }: { params: Promise<{ k: string }> }) {
  await connection();
  const { k } = await params;
  const [a, b] = await Promise.all([getChaos(k), getChaosRemote(k)]);
  return (
    <p id="v">
      {a}|{b}
    </p>
  );
}

export default function Page({ params }: { params: Promise<{ k: string }> }) {
  return (
    <Suspense fallback={<p>loading</p>}>
      <Value params={params} />
    </Suspense>
  );
}
