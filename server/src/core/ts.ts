// One TypeScript for the whole core: the copy ts-morph bundles, so nodes and the checker agree.
export { ts } from 'ts-morph';
