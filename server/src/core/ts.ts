// One TypeScript for the whole core: the copy ts-morph bundles, so nodes and the checker agree.
import { ts } from 'ts-morph';
export { ts };

/**
 * Pre-order walk of a subtree without recursion, children in source order; `visit` returns
 * false to skip a node's children. Why: a recursive visitor overflows the stack on a few
 * thousand nested parentheses, blocks or JSX elements, and that file may be one the call graph
 * reads while analysing another (fuzz: 5,000-deep `'a' + x + 'b' + …`).
 */
export function walk(root: ts.Node, visit: (n: ts.Node) => boolean | void): void {
  const stack: ts.Node[] = [root];
  const kids: ts.Node[] = [];
  while (stack.length) {
    const n = stack.pop()!;
    if (visit(n) === false) continue;
    kids.length = 0;
    ts.forEachChild(n, (c) => {
      kids.push(c);
    });
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]);
  }
}
