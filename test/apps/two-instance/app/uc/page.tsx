import { Suspense } from 'react';
import { connection } from 'next/server';
import { unstable_cache } from 'next/cache';
import { noteGeneration, readDb } from '../../lib/db';

// unstable_cache entries go through the incremental cacheHandler (kind FETCH) with their tags.
const getUc = unstable_cache(
  async () => {
    noteGeneration('uc');
    return readDb().products;
  },
  ['uc-products'],
  { tags: ['uc'] },
);

async function Uc() {
  await connection();
  const v = await getUc();
  return <p id="v">uc:{v}</p>;
}

export default function Page() {
  return (
    <Suspense fallback={<p>loading</p>}>
      <Uc />
    </Suspense>
  );
}
