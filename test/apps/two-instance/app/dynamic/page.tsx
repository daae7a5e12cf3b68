import { Suspense } from 'react';
import { connection } from 'next/server';
import { getProducts, getRemoteProducts } from '../../lib/data';

async function Products() {
  await connection(); // per-request: the 'use cache' reads go through the handler on every request
  const [p, r] = await Promise.all([getProducts(), getRemoteProducts()]);
  return (
    <p id="v">
      dynamic:{p}|remote:{r}
    </p>
  );
}

export default function Page() {
  return (
    <Suspense fallback={<p>loading</p>}>
      <Products />
    </Suspense>
  );
}
