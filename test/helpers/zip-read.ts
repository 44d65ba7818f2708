/** Reading test archives: `readZip` over an in-memory source, and a matcher-friendly rejection. */
import { expect } from 'vitest';
import { type ReadArtifactOptions, readArtifact } from '../../lib/artifacts/read-artifact.js';
import { openBufferSource } from '../../lib/artifacts/sources/buffer-source.js';
import type { Artifact } from '../../lib/artifacts/types.js';
import { InvalidArtifactError } from '../../lib/errors.js';

export const TEST_TENANT = 'acme';

/** Reads `zip` as the ingest stage would (small stream chunks, so entries cross chunk boundaries). */
export function readZip(zip: Buffer, options: Partial<ReadArtifactOptions> = {}): Promise<Artifact> {
  return readArtifact(openBufferSource(zip, 4096), { tenant: TEST_TENANT, ...options });
}

/** The rejection of `promise`, asserted to be an InvalidArtifactError; returns its public shape. */
export async function rejectionOf(
  promise: Promise<unknown>,
): Promise<{ code: string; entry?: string; message: string }> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(InvalidArtifactError);
  const { code, entry, message } = error as InvalidArtifactError;
  return { code, message, ...(entry === undefined ? {} : { entry }) };
}

/** A manifest-level summary for comparisons: what a deploy depends on, without locations. */
export function summarise(artifact: Artifact) {
  return {
    entries: artifact.entries,
    assets: artifact.assets.map(({ path, size, hash, contentType }) => ({ path, size, hash, contentType })),
    modules: artifact.modules.map(({ name, contentType, size }) => ({ name, contentType, size })),
    config: artifact.config,
  };
}
