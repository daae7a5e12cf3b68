// The analysis core's data model. Pure data: no ts-morph nodes leak out of the core, so the
// CLI, the language server and tests can hold results without keeping ASTs alive.

/** A piece of a tag: literal text, or a hole whose value is only known at run time. */
export type TagPart =
  | { text: string }
  | { hole: HoleOrigin };

/** Where a hole's value came from, kept so `team_${slug}` and `team_${team.id}` can be told apart. */
export interface HoleOrigin {
  /** The source expression as written, e.g. `slug`, `team.id`, `params.id`. */
  expr: string;
  /** Values known from the type checker or a literal union (e.g. `keyof Globals`); empty = any string. */
  values?: string[];
  numeric?: boolean;
}

export type TagValue =
  | { kind: 'static'; value: string }
  | { kind: 'pattern'; parts: TagPart[] }
  | { kind: 'unknown'; reason: string }
  /** Evaluates to something that is not a string (a number, an object…). */
  | { kind: 'invalid'; reason: string };

export type Severity = 'error' | 'warning' | 'info' | 'hint';
export type RuleSeverity = Severity | 'off';

export type RuleId =
  | 'cache-tag-outside-use-cache'
  | 'update-tag-outside-server-action'
  | 'invalidate-during-render'
  | 'undeclared-tag'
  | 'dynamic-tag-mismatch'
  | 'unused-tag'
  | 'revalidate-tag-missing-profile'
  | 'unknown-cache-life-profile'
  | 'unknown-cache-handler'
  | 'invalid-tag'
  | 'too-many-tags'
  | 'revalidate-path-no-route';

/** 0-based, like LSP. Offsets are UTF-16 code units into the file text. */
export interface Position { line: number; character: number }
export interface Range { start: Position; end: Position }

export interface Location {
  /** Absolute path with `/` separators. */
  file: string;
  range: Range;
  start: number;
  end: number;
}

export interface TextEdit { file: string; range: Range; start: number; end: number; newText: string }

export interface Fix { title: string; edits: TextEdit[]; preferred?: boolean }

export interface Diagnostic {
  code: RuleId;
  severity: Severity;
  message: string;
  location: Location;
  fixes: Fix[];
  /** The app (folder of next.config) the diagnostic belongs to. */
  appRoot: string;
}

export type DeclareApi = 'cacheTag' | 'unstable_cache' | 'fetch';
export type InvalidateApi = 'revalidateTag' | 'updateTag' | 'revalidatePath';

/** One tag written at one place: a `cacheTag` argument, one element of a `tags` array… */
export interface TagSite {
  location: Location;
  values: TagValue[];
  /** The literal node can be rewritten in place (string literal, or the constant it came from). */
  renameTarget?: Location;
}

export interface Declaration {
  api: DeclareApi;
  site: TagSite;
  /** Sites of the same cache entry (same cached function or call), to decide `unused-tag`. */
  entryId: string;
  /** cacheLife profiles seen in the declaring function (for hover). */
  profiles: string[];
}

export interface Invalidation {
  api: InvalidateApi;
  site: TagSite;
  /** For revalidatePath: 'page' | 'layout' | undefined. */
  pathType?: string;
  /** For revalidateTag: the profile argument as written (`'max'`, `{ expire: 0 }`) or undefined. */
  profile?: string;
}

export interface AppInfo {
  root: string;
  appDir?: string;
  pagesDir?: string;
  tsconfig?: string;
  cacheLifeProfiles: string[];
  /** `expire` seconds of configured profiles (literal values only). */
  profileExpire: Record<string, number>;
  cacheHandlers: string[];
  /** Whether next.config could be read statically; when not, profile/handler rules stay quiet. */
  configKnown: boolean;
}

export interface AppAnalysis {
  app: AppInfo;
  declarations: Declaration[];
  invalidations: Invalidation[];
  diagnostics: Diagnostic[];
  stats: { filesSeen: number; filesParsed: number };
}
