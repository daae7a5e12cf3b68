import { getProducts } from '@/lib/data';

export default async function Page() {
  const products = await getProducts();
  return <ul>{products.map((p) => <li key={p.id}>{p.id}</li>)}</ul>;
}
