/** The routes the emulator serves under `/client/v4`, with their kind, auth and contract operation. */
import type { IncomingHttpHeaders } from 'node:http';
import { notFound } from './api-error.js';
import type { RequestKind } from './faults.js';
import { openUploadSession, scanUpload, uploadAssets } from './handlers/assets.js';
import type { Handler } from './handlers/context.js';
import { putScript } from './handlers/script-put.js';
import { deleteScript, deleteScriptsByTag, getScript, listScripts } from './handlers/scripts.js';
import { deleteTag, getTags, putTag, putTags } from './handlers/tags.js';
import type { MultipartScanner } from './multipart.js';

export interface Route {
  method: string;
  segments: string[];
  kind: RequestKind;
  /** `api`: the API token on account endpoints; `upload`: only an upload JWT. */
  auth: 'api' | 'upload';
  /** The contract operation whose parameters are validated. */
  operationId: string | undefined;
  handler: Handler;
  /** A scanner that reads the body while it arrives (given to the handler as `context.scan`). */
  scan?: (headers: IncomingHttpHeaders) => MultipartScanner | undefined;
}

const noAccountScript: Handler = (context) => {
  throw notFound(`script ${JSON.stringify(context.params.script_name)} not found`);
};

const NS = 'accounts/:account_id/workers/dispatch/namespaces/:dispatch_namespace/scripts';
const route = (
  method: string,
  path: string,
  kind: RequestKind,
  operationId: string | undefined,
  handler: Handler,
  auth: Route['auth'] = 'api',
  scan?: Route['scan'],
): Route => ({
  method,
  segments: path.split('/'),
  kind,
  auth,
  operationId,
  handler,
  ...(scan ? { scan } : {}),
});

const ROUTES: Route[] = [
  route(
    'POST',
    `${NS}/:script_name/assets-upload-session`,
    'session',
    'namespace-worker-script-update-create-assets-upload-session',
    openUploadSession,
  ),
  route(
    'POST',
    'accounts/:account_id/workers/assets/upload',
    'upload',
    'worker-assets-upload',
    uploadAssets,
    'upload',
    scanUpload,
  ),
  route('PUT', `${NS}/:script_name`, 'script-put', 'namespace-worker-script-upload-worker-module', putScript),
  route('GET', `${NS}/:script_name`, 'script-get', 'namespace-worker-script-worker-details', getScript),
  route(
    'DELETE',
    `${NS}/:script_name`,
    'script-delete',
    'namespace-worker-script-delete-worker',
    deleteScript,
  ),
  route('GET', NS, 'list', 'namespace-worker-list-scripts', listScripts),
  route('DELETE', NS, 'bulk-delete', 'namespace-worker-delete-scripts', deleteScriptsByTag),
  route('GET', `${NS}/:script_name/tags`, 'tags', 'namespace-worker-get-script-tags', getTags),
  route('PUT', `${NS}/:script_name/tags`, 'tags', 'namespace-worker-put-script-tags', putTags),
  route('PUT', `${NS}/:script_name/tags/:tag`, 'tags', 'namespace-worker-put-script-tag', putTag),
  route('DELETE', `${NS}/:script_name/tags/:tag`, 'tags', 'namespace-worker-delete-script-tag', deleteTag),
  // wrangler reads, and for --env deploys patches, the settings of the non-namespaced script. Scripts of
  // a dispatch namespace are not account scripts, so, as in the capture, there is none (404 / 10007).
  route(
    'GET',
    'accounts/:account_id/workers/scripts/:script_name/settings',
    'other',
    undefined,
    noAccountScript,
  ),
  route(
    'PATCH',
    'accounts/:account_id/workers/scripts/:script_name/script-settings',
    'other',
    undefined,
    noAccountScript,
  ),
];

export type RouteMatch =
  | { type: 'route'; route: Route; params: Record<string, string> }
  | { type: 'method-not-allowed'; kind: RequestKind }
  | { type: 'none' };

function bind(pattern: string[], segments: string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of pattern.entries()) {
    const segment = segments[index] ?? '';
    if (part.startsWith(':')) {
      if (segment === '') return undefined;
      params[part.slice(1)] = segment;
    } else if (part !== segment) return undefined;
  }
  return params;
}

/** Finds the route of decoded path `segments` (the part after `/client/v4/`). */
export function matchRoute(method: string, segments: string[]): RouteMatch {
  let kind: RequestKind | undefined;
  for (const candidate of ROUTES) {
    const params = bind(candidate.segments, segments);
    if (params === undefined) continue;
    if (candidate.method === method) return { type: 'route', route: candidate, params };
    kind ??= candidate.kind;
  }
  return kind === undefined ? { type: 'none' } : { type: 'method-not-allowed', kind };
}
