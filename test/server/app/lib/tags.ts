export const TAGS = {
  products: 'products',
  product: (id: string) => `product-${id}`,
} as const;
