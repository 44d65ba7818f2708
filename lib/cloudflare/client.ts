/**
 * The Cloudflare Workers for Platforms client: the only implementation of {@link CloudflareApi} that
 * reaches the network. It wraps the official SDK (auth, base URL, transport, error classes) with one
 * retry layer, per-attempt deadlines, a concurrency cap and categorised, redacted errors.
 */
import type { Logger } from '../log.js';
import { registerSecret } from '../redact.js';
import { openUploadSession, uploadBucket, uploadBucketStream } from './assets.js';
import { type ClientContext, createSdk } from './context.js';
import { deleteScriptsByTag, listScripts } from './listing.js';
import { type CloudflareClientOptions, resolveClientOptions } from './options.js';
import { deleteScript, deployScript, getScriptTags } from './scripts.js';
import { createTransport } from './transport.js';
import type { CloudflareApi } from './types.js';

const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
  addContext: () => undefined,
};

/**
 * Without both, fetch clones every request to be able to follow a redirect, and the clone tees a streamed
 * body: the untaken branch queued a whole ~67 MB bucket while it was sent (README, Design decisions).
 * The Cloudflare API does not redirect; a redirect fails the request instead.
 */
export const UNBUFFERED_FETCH = { redirect: 'error', window: null } as const;

/** Creates a client for one account. The API token is registered for redaction first thing. */
export function createCloudflareClient(options: CloudflareClientOptions): CloudflareApi {
  registerSecret(options.apiToken);
  const resolved = resolveClientOptions(options);
  const log = (options.log ?? silentLogger).child({ component: 'cloudflare', accountId: resolved.accountId });
  const sdk = createSdk({
    apiToken: resolved.apiToken,
    // Explicit nulls: the SDK would otherwise pick these up from the process environment.
    apiKey: null,
    apiEmail: null,
    userServiceKey: null,
    baseURL: resolved.baseURL,
    maxRetries: 0,
    timeout: resolved.attemptTimeoutMs,
    logLevel: 'off',
    fetchOptions: UNBUFFERED_FETCH,
    ...(resolved.fetch === undefined ? {} : { fetch: resolved.fetch }),
  });
  const context: ClientContext = { sdk, options: resolved, transport: createTransport(resolved, log) };
  return {
    openUploadSession: (namespace, script, manifest) =>
      openUploadSession(context, namespace, script, manifest),
    uploadBucket: (jwt, files) => uploadBucket(context, jwt, files),
    uploadBucketStream: (jwt, bucket) => uploadBucketStream(context, jwt, bucket),
    deployScript: (namespace, script, upload) => deployScript(context, namespace, script, upload),
    deleteScriptsByTag: (namespace, tag) => deleteScriptsByTag(context, namespace, tag),
    deleteScript: (namespace, script) => deleteScript(context, namespace, script),
    listScripts: (namespace, filter) => listScripts(context, namespace, filter),
    getScriptTags: (namespace, script) => getScriptTags(context, namespace, script),
  };
}
