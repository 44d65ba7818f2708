/** Assets: the upload session (SDK resource method) and bucket uploads (generic `post`, JWT auth). */
import { PipelineError } from '../errors.js';
import { bucketOfFiles, encodeBucketBody } from './bucket-body.js';
import { apiPaths, type ClientContext } from './context.js';
import { isRecord, optionalString, readEnvelopeResult } from './envelope.js';
import { InvalidResponseError } from './map-error.js';
import type { AssetFile, AssetManifest, StreamedBucket, UploadBucketResult, UploadSession } from './types.js';

/** Guards against the null result Cloudflare has been seen to send (workers-sdk #9465). */
function readSession(result: unknown): UploadSession {
  if (!isRecord(result)) throw new InvalidResponseError('an upload session without a result');
  const jwt = optionalString(result.jwt);
  if (jwt === undefined || jwt === '') throw new InvalidResponseError('an upload session without a JWT');
  const buckets = result.buckets ?? [];
  if (
    !Array.isArray(buckets) ||
    !buckets.every((bucket) => Array.isArray(bucket) && bucket.every((hash) => typeof hash === 'string'))
  ) {
    throw new InvalidResponseError('an upload session whose buckets are not lists of hashes');
  }
  return { jwt, buckets: (buckets as string[][]).filter((bucket) => bucket.length > 0) };
}

/** Opens a session on the namespace endpoint of exactly this script (a JWT is bound to its script). */
export function openUploadSession(
  context: ClientContext,
  namespace: string,
  script: string,
  manifest: AssetManifest,
): Promise<UploadSession> {
  const { sdk, options, transport } = context;
  return transport.run(
    { operation: 'openUploadSession', timeoutMs: options.attemptTimeoutMs },
    async (request) =>
      readSession(
        await sdk.workersForPlatforms.dispatch.namespaces.scripts.assetUpload.create(
          script,
          { account_id: options.accountId, dispatch_namespace: namespace, manifest },
          request,
        ),
      ),
  );
}

/** Sends one bucket authenticated by the upload JWT: 202 accepted, or 201 with the completion token. */
export function uploadBucket(
  context: ClientContext,
  uploadJwt: string,
  files: AssetFile[],
): Promise<UploadBucketResult> {
  return uploadBucketStream(context, uploadJwt, bucketOfFiles(files));
}

/**
 * Sends one bucket whose bytes are read while the body is sent; each attempt reads them again. When the
 * reader fails (the archive could not be read, or a size does not match), the attempt fails with the
 * reader's error, which is not a Cloudflare failure and so is not retried here.
 */
export function uploadBucketStream(
  context: ClientContext,
  uploadJwt: string,
  bucket: StreamedBucket,
): Promise<UploadBucketResult> {
  const { sdk, options, transport } = context;
  if (bucket.files.length === 0)
    throw new PipelineError('internal.unexpected', 'uploadBucket needs at least one file.');
  const body = encodeBucketBody(bucket);
  return transport.run(
    { operation: 'uploadBucket', timeoutMs: options.uploadAttemptTimeoutMs, uploadJwt: true },
    async (request): Promise<UploadBucketResult> => {
      let sent: { data: unknown; response: Response };
      try {
        sent = await sdk
          .post<unknown>(apiPaths.assetsUpload(options.accountId), {
            query: { base64: true },
            body: body.stream(),
            // The upload JWT replaces the API token; no legacy key headers ride along.
            headers: {
              Authorization: `Bearer ${uploadJwt}`,
              'X-Auth-Key': null,
              'X-Auth-Email': null,
              'Content-Type': body.contentType,
              'Content-Length': String(body.length),
            },
            ...request,
          })
          .withResponse();
      } catch (error) {
        // fetch reports a failed body as a lost connection; the reader's own error says what happened.
        throw body.failure ?? error;
      }
      const { data, response } = sent;
      const result = readEnvelopeResult(data, 'the asset upload');
      if (response.status === 202) return { status: 'accepted' };
      const completionToken = isRecord(result) ? optionalString(result.jwt) : undefined;
      if (completionToken !== undefined && completionToken !== '')
        return { status: 'complete', completionToken };
      if (response.status === 201) throw new InvalidResponseError('HTTP 201 without a completion token');
      return { status: 'accepted' };
    },
  );
}
