/** One script: the multipart PUT (generic `put`), delete and tags (SDK resource methods). */
import { CloudflareApiError } from '../errors.js';
import { apiPaths, type ClientContext } from './context.js';
import { isRecord, optionalString, readEnvelopeResult, readTags } from './envelope.js';
import { buildScriptForm } from './forms.js';
import { InvalidResponseError } from './map-error.js';
import type { DeployedScript, ScriptMetadata, ScriptModule } from './types.js';

function readDeployed(result: unknown): DeployedScript {
  if (!isRecord(result) || typeof result.id !== 'string') {
    throw new InvalidResponseError('a script upload result without an id');
  }
  const etag = optionalString(result.etag);
  const modifiedOn = optionalString(result.modified_on);
  return {
    id: result.id,
    tags: readTags(result.tags),
    hasAssets: result.has_assets === true,
    hasModules: result.has_modules === true,
    ...(etag === undefined ? {} : { etag }),
    ...(modifiedOn === undefined ? {} : { modifiedOn }),
  };
}

/**
 * PUTs the Worker. `bindings_inherit=strict` fails instead of silently dropping bindings; `excludeScript`
 * (what wrangler sends) keeps the script body out of the answer.
 */
export function deployScript(
  context: ClientContext,
  namespace: string,
  script: string,
  upload: { modules: ScriptModule[]; metadata: ScriptMetadata },
): Promise<DeployedScript> {
  const { sdk, options, transport } = context;
  const form = buildScriptForm(upload.modules, upload.metadata);
  const completionToken = upload.metadata.assets?.jwt;
  return transport.run(
    {
      operation: 'deployScript',
      timeoutMs: options.attemptTimeoutMs,
      ...(completionToken === undefined ? {} : { completionToken }),
    },
    async (request) => {
      const body = await sdk.put<unknown>(apiPaths.script(options.accountId, namespace, script), {
        query: { bindings_inherit: 'strict', excludeScript: true },
        body: form,
        ...request,
      });
      return readDeployed(readEnvelopeResult(body, 'the script upload'));
    },
  );
}

/** Deletes one script; a 404 means it is already gone, which is what the caller wanted. */
export async function deleteScript(
  context: ClientContext,
  namespace: string,
  script: string,
): Promise<{ deleted: boolean }> {
  const { sdk, options, transport } = context;
  try {
    await transport.run({ operation: 'deleteScript', timeoutMs: options.attemptTimeoutMs }, (request) =>
      sdk.workersForPlatforms.dispatch.namespaces.scripts.delete(
        script,
        { account_id: options.accountId, dispatch_namespace: namespace },
        request,
      ),
    );
    return { deleted: true };
  } catch (error) {
    if (error instanceof CloudflareApiError && error.code === 'cloudflare.not-found')
      return { deleted: false };
    throw error;
  }
}

/** The tags of one script (an empty list when it has none). */
export function getScriptTags(context: ClientContext, namespace: string, script: string): Promise<string[]> {
  const { sdk, options, transport } = context;
  return transport.run(
    { operation: 'getScriptTags', timeoutMs: options.attemptTimeoutMs },
    async (request) => {
      const page = await sdk.workersForPlatforms.dispatch.namespaces.scripts.tags.list(
        script,
        { account_id: options.accountId, dispatch_namespace: namespace },
        request,
      );
      return readTags(page.result);
    },
  );
}
