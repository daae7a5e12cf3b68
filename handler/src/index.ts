export { createUseCacheHandler, type UseCacheHandler, type CacheEntry } from './use-cache';
export { createIncrementalCacheHandler, type IncrementalCacheHandlerClass } from './incremental';
export { TagStore, BUILT_IN_PROFILE_EXPIRE, type TagStoreOptions, type BuiltInProfile } from './tag-store';
export type { TagState } from './core';
export type { TagscopeOptions, MetricEvent } from './config';
export { Keys, pathSoftTags, encodeHeaderSafe, DEFAULT_PREFIX } from './keys';
export { redactUrl, redactText, redactedNodes, secretsOf, hasAmbiguousCredentials, AMBIGUOUS_CREDENTIALS_HINT } from './redact';
