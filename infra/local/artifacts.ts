/** Putting artifacts into the local bucket like a build system would, and waiting for their results. */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { parseArtifactKey } from '../../lib/pipeline/identity.js';
import { type ResultRecord, stateKeys } from '../../lib/pipeline/records.js';
import type { JsonStore } from '../../lib/state/json-store.js';

interface Target {
  config: { artifactsBucket: string };
  deps: { s3: S3Client; state: JsonStore };
}

/** Uploads an artifact (optionally with extra tags in the object metadata, as `x-amz-meta-tags`). */
export async function putArtifact(target: Target, key: string, body: Buffer, tags?: string): Promise<void> {
  await target.deps.s3.send(
    new PutObjectCommand({
      Bucket: target.config.artifactsBucket,
      Key: key,
      Body: body,
      ContentType: 'application/zip',
      ...(tags === undefined ? {} : { Metadata: { tags } }),
    }),
  );
}

/**
 * Waits for the result record of `<tenant>/<script>/<build>`, named as the pipeline names it (a name
 * outside the key layout fails at once with its `key.*` error).
 */
export async function waitForResult(
  target: Target,
  build: string,
  timeoutMs = 30_000,
): Promise<ResultRecord> {
  const key = stateKeys.result(parseArtifactKey(`${build}.zip`));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await target.deps.state.get<ResultRecord>(key);
    if (found !== undefined) return found.value;
    if (Date.now() > deadline)
      throw new Error(`no result for ${build} after ${Math.round(timeoutMs / 1000)} s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
