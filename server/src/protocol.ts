// Every custom message between the extension (client/) and the language server (server/),
// typed once and imported by both sides (the vscode-eslint `$shared/customMessages` pattern).
// Keep this file free of `vscode` and of server-only imports.
import { NotificationType, NotificationType0, RequestType, RequestType0 } from 'vscode-languageserver-protocol';

/** Tag state as the shared store reports it (same shape as @tagscope/handler's TagState). */
export interface StoreTagState {
  tag: string;
  /** epoch ms; absent = never */
  stale?: number;
  expired?: number;
}

export interface ServerStatus {
  state: 'starting' | 'indexing' | 'ready' | 'error';
  apps: number;
  files: number;
  tags: number;
  durationMs?: number;
  message?: string;
  store: StoreStatus;
}

export interface StoreStatus {
  state: 'disconnected' | 'connecting' | 'connected' | 'error' | 'disabled';
  /** Host and key prefix only — never the password or the full URL. */
  label?: string;
  error?: string;
  stale?: number;
  expired?: number;
}

export namespace StatusNotification {
  export const method = 'tagscope/status';
  export const type = new NotificationType<ServerStatus>(method);
}

export interface ConnectStoreParams {
  /** Read from SecretStorage by the client and sent once; the server keeps it in memory only. */
  url: string;
  keyPrefix?: string;
}
export interface OperationResult {
  ok: boolean;
  error?: string;
}

export namespace ConnectStoreRequest {
  export const method = 'tagscope/connectStore';
  export const type = new RequestType<ConnectStoreParams, OperationResult, void>(method);
}

/**
 * Workspace trust, which only the editor knows. The VS Code client sends
 * `initializationOptions.workspaceTrusted` (false in Restricted Mode) and this notification when
 * the user grants trust later. While the client has said false, connectStore is refused without
 * opening a connection. A client that says nothing (another editor over --stdio) is not gated.
 */
export namespace WorkspaceTrustedNotification {
  export const method = 'tagscope/workspaceTrusted';
  export const type = new NotificationType0(method);
}

export namespace DisconnectStoreRequest {
  export const method = 'tagscope/disconnectStore';
  export const type = new RequestType0<OperationResult, void>(method);
}

export interface InvalidateTagParams {
  tags: string[];
  /** 'stale' = revalidateTag(tag, profile): stale now, expired after the profile's expire. 'expire' = updateTag: expired now. */
  mode: 'stale' | 'expire';
  /** A cacheLife profile name (built in or from next.config); default 'max'. */
  profile?: string;
}

export namespace InvalidateTagRequest {
  export const method = 'tagscope/invalidateTag';
  export const type = new RequestType<InvalidateTagParams, OperationResult, void>(method);
}

export interface InvalidatePathParams {
  path: string;
  type?: 'page' | 'layout';
}

export namespace InvalidatePathRequest {
  export const method = 'tagscope/invalidatePath';
  export const type = new RequestType<InvalidatePathParams, OperationResult, void>(method);
}

export interface SiteRef {
  uri: string;
  /** 0-based */
  line: number;
  character: number;
  api: string;
}

export interface InventoryTag {
  tag: string;
  kind: 'static' | 'pattern';
  declarations: SiteRef[];
  invalidations: SiteRef[];
  /** Profiles (cacheLife) of the declaring functions. */
  profiles: string[];
}

export interface InventoryResult {
  tags: InventoryTag[];
  /** Profile names usable for invalidation, per the workspace's next.config files. */
  profiles: string[];
}

export namespace InventoryRequest {
  export const method = 'tagscope/inventory';
  export const type = new RequestType0<InventoryResult, void>(method);
}

export interface TagAtParams {
  uri: string;
  line: number;
  character: number;
}

export namespace TagAtRequest {
  export const method = 'tagscope/tagAt';
  /** Static tags written at the position (empty when none or only patterns). */
  export const type = new RequestType<TagAtParams, { tags: string[]; patterns: string[] }, void>(method);
}

export namespace StoreStatesRequest {
  export const method = 'tagscope/storeStates';
  export const type = new RequestType0<{ connected: boolean; states: StoreTagState[] }, void>(method);
}

export namespace StoreChangedNotification {
  export const method = 'tagscope/storeChanged';
  export const type = new NotificationType<{ changed: StoreTagState[] }>(method);
}

// ---- the live tag panel: messages between the webview and the extension host -------------
// The host validates every message from the webview (parsePanelMessage in client/src/panel).

export type PanelTagState = 'fresh' | 'stale' | 'expired' | 'never';

export interface PanelRow {
  tag: string;
  kind: 'static' | 'pattern';
  /** Where the tag is known from. */
  source: 'code' | 'store' | 'both';
  state: PanelTagState;
  stale?: number;
  expired?: number;
  declarations: SiteRef[];
  invalidations: SiteRef[];
  /** For implicit path tags (`_N_T_/blog/[slug]/page`): the route they stand for. */
  route?: string;
}

export type HostToPanel =
  | { type: 'snapshot'; rows: PanelRow[]; store: StoreStatus; trusted: boolean; profiles: string[]; now: number }
  | { type: 'result'; ok: boolean; message: string };

export type PanelToHost =
  | { type: 'ready' }
  | { type: 'refresh' }
  | { type: 'connect' }
  | { type: 'open'; uri: string; line: number; character: number }
  | { type: 'invalidateTag'; tag: string; mode: 'stale' | 'expire'; profile?: string }
  | { type: 'invalidatePath'; path: string; pathType?: 'page' | 'layout' };
