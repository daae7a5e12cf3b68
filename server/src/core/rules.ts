// The rules: each turns collected facts into diagnostics with a message that says what is
// wrong, what Next will do about it, and how to fix it, plus a text-edit fix where obvious.
import { ts } from './ts';
import type { ContextAnalyzer, ExecContext } from './context';
import { locationOf } from './evaluate';
import type { FileFacts } from './collect';
import { BUILTIN_HANDLERS, BUILTIN_PROFILES } from './nextConfig';
import { checkRevalidatePath, type Route } from './routes';
import { displayTag, holesMismatch, isString, nearest, skeleton, TagMatcher } from './tagValue';
import type { Declaration, Fix, Invalidation, Location, RuleId, TagValue, TextEdit } from './types';

export interface RawDiagnostic {
  code: RuleId;
  message: string;
  location: Location;
  fixes: Fix[];
}

export interface AppFacts {
  files: FileFacts[];
  /** Facts of every app in the workspace: one app may invalidate what another declares (a shared store). */
  everywhere?: FileFacts[];
  profiles: string[];
  profilesKnown: boolean;
  handlers: string[];
  handlersKnown: boolean;
  routes: Route[];
  hasAppDir: boolean;
}

const MAX_TAG_LENGTH = 256;
const MAX_TAGS = 128;
const LEARN_UPDATE = 'https://nextjs.org/docs/app/api-reference/functions/updateTag';

function edit(loc: Location, newText: string): TextEdit {
  return { file: loc.file, range: loc.range, start: loc.start, end: loc.end, newText };
}

function insertAt(node: ts.Node, newText: string): TextEdit {
  const sf = node.getSourceFile();
  const p = sf.getLineAndCharacterOfPosition(node.getEnd());
  return { file: sf.fileName, range: { start: p, end: p }, start: node.getEnd(), end: node.getEnd(), newText };
}

function quoteLike(literal: Location, sf: ts.SourceFile | undefined, value: string): string {
  const q = sf ? sf.text[literal.start] : "'";
  const quote = q === '"' || q === '`' ? q : "'";
  return quote + value.replace(/\\/g, '\\\\').replace(new RegExp(quote, 'g'), '\\' + quote) + quote;
}

export function runRules(facts: AppFacts, contexts: ContextAnalyzer, sourceOf: (file: string) => ts.SourceFile | undefined): RawDiagnostic[] {
  const out: RawDiagnostic[] = [];
  const declarations = facts.files.flatMap((f) => f.declarations);
  const invalidations = facts.files.flatMap((f) => f.invalidations);

  // ---- context rules ---------------------------------------------------------------------
  for (const f of facts.files) {
    for (const { api, call } of f.calls) {
      if (api === 'cacheTag' || api === 'cacheLife') {
        for (const bad of contexts.badReach(call, 'outside-use-cache')) {
          out.push({
            code: 'cache-tag-outside-use-cache',
            location: locationOf(bad.at === call ? call.expression : bad.at),
            message: `\`${api}()\` runs ${describe(bad.context)}, outside a "use cache" scope. Next throws: "\`${api}()\` can only be called inside a \`"use cache"\` or \`"use cache: private"\` function." Move the call into a function whose body starts with 'use cache'.`,
            fixes: [],
          });
        }
      }
      if (api === 'updateTag') {
        for (const bad of contexts.badReach(call, 'outside-server-action')) {
          const direct = bad.at === call;
          // In the browser neither API exists: the fix is a Server Action, not revalidateTag.
          const client = bad.context === 'client';
          out.push({
            code: 'update-tag-outside-server-action',
            location: locationOf(direct ? call.expression : bad.at),
            message: client
              ? `\`updateTag\` ${direct ? 'runs' : 'is reached through this call'} in a 'use client' module, where next/cache cannot run. Move the invalidation into a Server Action ('use server') and call that from the client.`
              : `\`updateTag\` ${direct ? 'runs' : 'is reached through this call'} ${describe(bad.context)}, not in a Server Action. Next throws: "updateTag can only be called from within a Server Action. To invalidate cache tags in Route Handlers or other contexts, use revalidateTag instead." (${LEARN_UPDATE}) Use \`revalidateTag(tag, 'max')\` here.`,
            fixes: direct && !client ? updateToRevalidateFix(call) : [],
          });
        }
      }
      if (api === 'revalidateTag' || api === 'updateTag' || api === 'revalidatePath' || api === 'expireTag') {
        for (const bad of contexts.badReach(call, 'during-render')) {
          const name = api === 'expireTag' ? 'unstable_expireTag' : api;
          out.push({
            code: 'invalidate-during-render',
            location: locationOf(bad.at === call ? call.expression : bad.at),
            message:
              bad.context === 'render'
                ? `\`${name}()\` runs during a Server Component render. Next throws: "\`${name}(…)\` can't be called during render. Call it from a Server Action or Route Handler instead." Move it into a Server Action, a Route Handler, or an \`after()\` callback.`
                : `\`${name}()\` runs inside a cached function ('use cache'). Next throws: "\`${name}(…)\` can't be called inside a cached function." Invalidate from the Server Action or Route Handler that changes the data.`,
            fixes: [],
          });
        }
      }
      if (api === 'revalidateTag' && call.arguments.length === 1 && !ts.isSpreadElement(call.arguments[0])) {
        out.push({
          code: 'revalidate-tag-missing-profile',
          location: locationOf(call.expression),
          message: `One-argument \`revalidateTag\` is deprecated in Next 16 and expires the tag immediately ("revalidateTag" without the second argument is now deprecated, add second argument of "max" or use "updateTag"). Pass a cacheLife profile such as 'max' for stale-while-revalidate, or use updateTag in a Server Action for read-your-writes.`,
          fixes: [{ title: `Add profile 'max'`, edits: [insertAt(call.arguments[0], `, 'max'`)], preferred: true }],
        });
      }
    }
  }

  // ---- profiles and handlers ------------------------------------------------------------
  const knownProfiles = [...BUILTIN_PROFILES, ...facts.profiles];
  if (facts.profilesKnown) {
    for (const f of facts.files) {
      for (const p of f.profiles) {
        for (const v of p.value) {
          if (v.kind !== 'static' || knownProfiles.includes(v.value)) continue;
          const near = nearest(v.value, knownProfiles);
          const loc = locationOf(p.node);
          out.push({
            code: 'unknown-cache-life-profile',
            location: loc,
            message:
              p.kind === 'revalidateTag'
                ? `Unknown cacheLife profile '${v.value}'. Next throws in the background and invalidates nothing: "Invalid profile provided "${v.value}" must be configured under cacheLife in next.config or be "max"". Known: ${knownProfiles.join(', ')}.`
                : `Unknown cacheLife profile '${v.value}': it is neither built in nor configured under \`cacheLife\` in next.config. Known: ${knownProfiles.join(', ')}.`,
            fixes: near && p.literal ? [{ title: `Change to '${near}'`, edits: [edit(locationOf(p.literal), quoteLike(locationOf(p.literal), sourceOf(loc.file), near))], preferred: true }] : [],
          });
        }
      }
    }
  }
  if (facts.handlersKnown) {
    const known = [...new Set([...BUILTIN_HANDLERS, ...facts.handlers.filter((h) => /^[a-z-]+$/.test(h))])];
    const rejected = facts.handlers.filter((h) => !/^[a-z-]+$/.test(h));
    for (const f of facts.files) {
      for (const d of f.directives) {
        if (known.includes(d.kind)) continue;
        const near = nearest(d.kind, known);
        const loc = locationOf(d.node);
        out.push({
          code: 'unknown-cache-handler',
          location: loc,
          message: rejected.includes(d.kind)
            ? `'use cache: ${d.kind}' names a cacheHandlers key Next rejects: "Invalid handler fields configured for "cacheHandlers": ${d.kind}: key must only use characters a-z and -". Rename the key (and this directive) to lowercase letters and dashes.`
            : `'use cache: ${d.kind}' has no handler: the build fails with "Unknown cache kind "${d.kind}". Please configure a cache handler for this kind in the \`cacheHandlers\` object in your Next.js config." Known kinds: ${known.join(', ')}.`,
          fixes: near ? [{ title: `Change to 'use cache: ${near}'`, edits: [edit(loc, quoteLike(loc, sourceOf(loc.file), 'use cache: ' + near))], preferred: true }] : [],
        });
      }
    }
  }

  // ---- tag validity and limits ----------------------------------------------------------
  const checkValid = (site: { location: Location; values: TagValue[] }, role: 'declared' | 'invalidated') => {
    for (const v of site.values) {
      const problem = invalidReason(v);
      if (problem) {
        out.push({
          code: 'invalid-tag',
          location: site.location,
          message: `${problem}. ${role === 'declared' ? 'Next drops such a tag with a warning ("invalid tags passed to `cacheTag()`"), so the entry can never be invalidated by it.' : 'No declared tag can ever equal it, so this invalidation does nothing.'}`,
          fixes: [],
        });
        break;
      }
    }
  };
  for (const d of declarations) checkValid(d.site, 'declared');
  for (const i of invalidations) if (i.api !== 'revalidatePath') checkValid(i.site, 'invalidated');
  for (const f of facts.files) {
    for (const t of f.tagCounts) {
      if (t.count !== undefined && t.count > MAX_TAGS) {
        out.push({
          code: 'too-many-tags',
          location: locationOf(t.call.expression),
          message: `${t.count} tags in one \`cacheTag()\` call; Next keeps at most ${MAX_TAGS} per call and drops the rest with "exceeded max tag count for \`cacheTag()\`". Split them across calls or tag coarser.`,
          fixes: [],
        });
      }
    }
  }

  // ---- matching invalidations to declarations ------------------------------------------
  const everywhere = facts.everywhere ?? facts.files;
  const allDeclarations = everywhere.flatMap((f) => f.declarations);
  const declValues = allDeclarations.flatMap((d) => d.site.values.filter(isString).map((v) => ({ v, d })));
  const declaredStatics = new Set(declValues.flatMap((x) => (x.v.kind === 'static' ? [x.v.value] : [])));
  const declMatcher = new TagMatcher(declValues.map((x) => ({ value: x.v, item: x })));
  const anyUnknownDecl = allDeclarations.some((d) => d.site.values.some((v) => v.kind === 'unknown'));
  const tagInvalidations = invalidations.filter((i) => i.api !== 'revalidatePath');
  const suggestionBudget = { comparisons: SUGGESTION_BUDGET };
  if (!anyUnknownDecl) {
    for (const inv of tagInvalidations) {
      for (const v of inv.site.values) {
        if (!isString(v) || invalidReason(v)) continue;
        const matches = declMatcher.match(v);
        if (matches.length === 0) {
          out.push(undeclared(inv, v, declaredStatics, sourceOf, suggestionBudget));
          continue;
        }
        if (v.kind === 'pattern') {
          const sameShape = matches.filter((m) => m.v.kind === 'pattern' && skeleton(m.v) === skeleton(v));
          if (sameShape.length === matches.length && sameShape.every((m) => holesDiffer(v, m.v))) {
            const d = sameShape[0];
            out.push({
              code: 'dynamic-tag-mismatch',
              location: inv.site.location,
              message: `Invalidates \`${displayTag(v)}\` but the tag is declared as \`${displayTag(d.v)}\` (${rel(d.d.site.location)}): the holes come from different values (${holeList(v)} vs ${holeList(d.v)}), so this invalidation will not hit the cached entry. Build both tags from the same identity.`,
              fixes: [],
            });
          }
        }
      }
    }
  }

  // ---- unused declarations --------------------------------------------------------------
  const allTagInvalidations = everywhere.flatMap((f) => f.invalidations).filter((i) => i.api !== 'revalidatePath');
  const anyUnknownInvalidation = allTagInvalidations.some((i) => i.site.values.some((v) => v.kind === 'unknown'));
  if (!anyUnknownInvalidation) {
    const invMatcher = new TagMatcher(allTagInvalidations.flatMap((i) => i.site.values.filter(isString).map((value) => ({ value, item: true }))));
    const used = (v: TagValue) => invMatcher.has(v);
    const byEntry = new Map<string, Declaration[]>();
    for (const d of declarations) {
      // Appended in place: copying the group per declaration is quadratic (10,000 tags in one cacheTag).
      const group = byEntry.get(d.entryId);
      if (group) group.push(d);
      else byEntry.set(d.entryId, [d]);
    }
    for (const group of byEntry.values()) {
      if (group.some((d) => d.site.values.some((v) => isString(v) && used(v)))) continue;
      for (const d of group) {
        const v = d.site.values.find(isString);
        if (!v || invalidReason(v)) continue;
        out.push({
          code: 'unused-tag',
          location: d.site.location,
          message: `Nothing invalidates \`${displayTag(v)}\`${group.length > 1 ? ' or any other tag of this cache entry' : ''}; the entry only expires by time. Invalidate it where the data changes, or remove the tag.`,
          fixes: [],
        });
      }
    }
  }

  // ---- revalidatePath targets -----------------------------------------------------------
  if (facts.hasAppDir) {
    for (const inv of invalidations) {
      if (inv.api !== 'revalidatePath' || inv.pathType === '?') continue;
      for (const v of inv.site.values) {
        const res = checkRevalidatePath(v, inv.pathType, facts.routes);
        if (res.ok) continue;
        const shown = displayTag(v);
        const literal = inv.site.renameTarget;
        const fixes: Fix[] = res.suggestion && literal ? [{ title: `Change to '${res.suggestion}'`, edits: [edit(literal, quoteLike(literal, sourceOf(literal.file), res.suggestion))], preferred: true }] : [];
        const message =
          res.reason === 'no-route'
            ? `No route matches '${shown}'${inv.pathType ? ` with type '${inv.pathType}'` : ''}, so revalidatePath invalidates nothing.${res.suggestion ? ` Did you mean '${res.suggestion}'?` : ''}`
            : res.reason === 'dynamic-without-type'
              ? `'${shown}' names a dynamic route but has no type: Next warns that it has no effect. Pass 'page' or 'layout' as the second argument, or revalidate a concrete path.`
              : res.reason === 'type-missing-file'
                ? `'${shown}' has no page file, so revalidatePath with 'page' invalidates nothing.`
                : `With type '${inv.pathType}', revalidatePath expects the route's file-system path (route groups and [segments] included), not a URL: this one is served by '${res.suggestion}'.`;
        out.push({ code: 'revalidate-path-no-route', location: inv.site.location, message, fixes });
      }
    }
  }
  return out;
}

/**
 * "Did you mean" costs a comparison per declared tag for each undeclared one: 10,000 of each
 * (fuzz: `TAGS.map((t) => revalidateTag(t, 'max'))`) took seconds. Suggestions stop once this
 * budget per rules run is spent; the diagnostic itself is unchanged.
 */
const SUGGESTION_BUDGET = 1_000_000;

function undeclared(inv: Invalidation, v: TagValue, statics: Set<string>, sourceOf: (f: string) => ts.SourceFile | undefined, budget: { comparisons: number }): RawDiagnostic {
  const near = v.kind === 'static' ? nearest(v.value, statics, budget) : undefined;
  const literal = inv.site.renameTarget;
  return {
    code: 'undeclared-tag',
    location: inv.site.location,
    message: `No cacheTag, fetch or unstable_cache declaration can produce \`${displayTag(v)}\`, so this ${inv.api} invalidates nothing.${near ? ` Did you mean '${near}'?` : ''}`,
    fixes: near && literal ? [{ title: `Change to '${near}'`, edits: [edit(literal, quoteLike(literal, sourceOf(literal.file), near))], preferred: true }] : [],
  };
}

function holesDiffer(a: TagValue, b: TagValue): boolean {
  if (a.kind !== 'pattern' || b.kind !== 'pattern') return false;
  const ha = a.parts.filter((p): p is { hole: { expr: string } } => 'hole' in p);
  const hb = b.parts.filter((p): p is { hole: { expr: string } } => 'hole' in p);
  if (ha.length !== hb.length) return false;
  return ha.some((h, i) => holesMismatch(h.hole, hb[i].hole));
}

function holeList(v: TagValue): string {
  return v.kind === 'pattern' ? v.parts.filter((p) => 'hole' in p).map((p) => '`' + (p as { hole: { expr: string } }).hole.expr + '`').join(', ') : '';
}

function rel(l: Location): string {
  return `${l.file.split('/').slice(-2).join('/')}:${l.range.start.line + 1}`;
}

export function invalidReason(v: TagValue): string | undefined {
  if (v.kind === 'invalid') return 'The tag is not a string';
  if (v.kind === 'static') {
    if (v.value === '') return 'The tag is empty';
    if (v.value.length > MAX_TAG_LENGTH) return `The tag is ${v.value.length} characters long; Next's limit is ${MAX_TAG_LENGTH}`;
  }
  if (v.kind === 'static' || v.kind === 'pattern') {
    const first = v.kind === 'static' ? v.value : 'text' in v.parts[0] ? v.parts[0].text : '';
    if (first.startsWith('_N_T_') || first.startsWith('_N_RP_')) return `The tag starts with the reserved prefix '${first.startsWith('_N_T_') ? '_N_T_' : '_N_RP_'}' that Next uses for its implicit path tags`;
  }
  return undefined;
}

function describe(c: ExecContext): string {
  switch (c) {
    case 'route-handler':
      return 'in a Route Handler';
    case 'render':
      return 'during a Server Component render';
    case 'server-action':
      return 'in a Server Action';
    case 'middleware':
      return 'in middleware/proxy';
    case 'pages-api':
      return 'in a pages/api route';
    case 'client':
      return "in a 'use client' module";
    case 'after':
      return 'in an after() callback';
    case 'use-cache':
      return "inside 'use cache'";
    default:
      return 'in an unknown context';
  }
}

/** `updateTag(t)` → `revalidateTag(t, 'max')`, importing revalidateTag next to updateTag when needed. */
function updateToRevalidateFix(call: ts.CallExpression): Fix[] {
  const callee = call.expression;
  if (!ts.isIdentifier(callee) || call.arguments.length === 0) return [];
  const sf = call.getSourceFile();
  const edits: TextEdit[] = [edit(locationOf(callee), 'revalidateTag'), insertAt(call.arguments[call.arguments.length - 1], `, 'max'`)];
  const hasRevalidate = sf.statements.some((s) => ts.isImportDeclaration(s) && s.importClause?.namedBindings && ts.isNamedImports(s.importClause.namedBindings) && s.importClause.namedBindings.elements.some((e) => e.name.text === 'revalidateTag'));
  if (!hasRevalidate) {
    for (const s of sf.statements) {
      if (!ts.isImportDeclaration(s) || !s.importClause?.namedBindings || !ts.isNamedImports(s.importClause.namedBindings)) continue;
      const el = s.importClause.namedBindings.elements.find((e) => e.name.text === callee.text);
      if (el) {
        edits.push(insertAt(el, ', revalidateTag'));
        break;
      }
    }
  }
  return [{ title: `Use revalidateTag(tag, 'max')`, edits, preferred: true }];
}
