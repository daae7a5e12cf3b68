import { refreshProducts } from './actions';

export default function Page() {
  return (
    <form action={refreshProducts as unknown as (fd: FormData) => Promise<void>}>
      <button type="submit">refresh</button>
    </form>
  );
}
