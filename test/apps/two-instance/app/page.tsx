import { getProducts } from '../lib/data';

// Fully static: prerendered, then served from the incremental cacheHandler (APP_PAGE with x-next-cache-tags).
export default async function Home() {
  const products = await getProducts();
  return <p id="v">static:{products}</p>;
}
