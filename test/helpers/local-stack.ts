/** Helpers for tests that run the real handlers on the local stack. */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { LocalStack } from '../../infra/local/stack.js';
import { LOCAL_ARTIFACTS_BUCKET } from '../../infra/local/stack.js';
import type { ResultRecord } from '../../lib/pipeline/records.js';

/** Uploads an artifact like a build system would (optionally with extra tags in the object metadata). */
export async function putArtifact(
  stack: LocalStack,
  key: string,
  body: Buffer,
  tags?: string,
): Promise<void> {
  await stack.deps.s3.send(
    new PutObjectCommand({
      Bucket: LOCAL_ARTIFACTS_BUCKET,
      Key: key,
      Body: body,
      ContentType: 'application/zip',
      ...(tags === undefined ? {} : { Metadata: { tags } }),
    }),
  );
}

/** Waits for the result record of `<tenant>/<script>/<build>`. */
export async function waitForResult(
  stack: LocalStack,
  build: string,
  timeoutMs = 30_000,
): Promise<ResultRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await stack.deps.state.get<ResultRecord>(`results/${build}.json`);
    if (found !== undefined) return found.value;
    if (Date.now() > deadline) throw new Error(`no result for ${build} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits until `check` passes. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
