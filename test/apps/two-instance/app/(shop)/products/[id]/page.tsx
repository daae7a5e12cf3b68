import { Suspense } from 'react';
import { getItem } from '../../../../lib/data';

async function Item({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const v = await getItem(id);
  return <p id="v">item:{v}</p>;
}

export default function Page({ params }: { params: Promise<{ id: string }> }) {
  return (
    <Suspense fallback={<p>loading</p>}>
      <Item params={params} />
    </Suspense>
  );
}
