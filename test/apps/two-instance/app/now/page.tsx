import { Suspense } from 'react';
import { connection } from 'next/server';

// Fully dynamic, no cache at all: the control for latency under Redis faults.
async function Now() {
  await connection();
  return <p id="v">now:{Date.now()}</p>;
}

export default function Page() {
  return (
    <Suspense fallback={<p>loading</p>}>
      <Now />
    </Suspense>
  );
}
