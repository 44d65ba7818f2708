/** The API's views of a stored script (upload result, details, list entry). */
import type { StoredScript } from '../state.js';

const OLDEST_COMPATIBILITY_DATE = '2021-11-02';

/** `workers_script-response`: what Cloudflare reports about a script. */
export function scriptResponse(script: StoredScript): Record<string, unknown> {
  const metadata = script.metadata;
  return {
    id: script.name,
    tag: script.immutableId,
    etag: script.etag,
    handlers: script.modules.size > 0 ? ['fetch'] : [],
    named_handlers: [],
    created_on: script.createdOn,
    modified_on: script.modifiedOn,
    usage_model: 'standard',
    compatibility_date:
      typeof metadata.compatibility_date === 'string'
        ? metadata.compatibility_date
        : OLDEST_COMPATIBILITY_DATE,
    compatibility_flags: Array.isArray(metadata.compatibility_flags) ? metadata.compatibility_flags : [],
    has_assets: script.assets !== undefined && script.assets.size > 0,
    has_modules: script.modules.size > 0,
    logpush: metadata.logpush === true,
    placement: {},
    tags: script.tags.length > 0 ? script.tags : null,
    tail_consumers: null,
  };
}

/** `workers_script-response-upload`: the upload result adds the startup time and the deployment. */
export const uploadResponse = (script: StoredScript): Record<string, unknown> => ({
  ...scriptResponse(script),
  startup_time_ms: 3,
  deployment_id: script.deploymentId,
  pipeline_hash: script.etag,
  ...(typeof script.metadata.main_module === 'string' ? { entry_point: script.metadata.main_module } : {}),
});

/** `workers_namespace-script-response`: details and list entries. */
export const namespaceScriptResponse = (
  namespace: string,
  script: StoredScript,
): Record<string, unknown> => ({
  created_on: script.createdOn,
  modified_on: script.modifiedOn,
  dispatch_namespace: namespace,
  script: scriptResponse(script),
});
