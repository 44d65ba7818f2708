/**
 * The oracle's checks of an accepted artifact: every invariant (invariants.ts), then every asset and
 * module location read back with the entry reader the upload and finalize stages use (in reverse order,
 * one twice, over differently chunked streams) to the very bytes the sequential pass hashed.
 */
import { createHash } from 'node:crypto';
import { openBufferSource } from '../../lib/artifacts/sources/buffer-source.js';
import type { Artifact } from '../../lib/artifacts/types.js';
import { assetExtension, computeAssetHash } from '../../lib/assets/hash.js';
import { artifactProblem } from './invariants.js';
import { describe, FUZZ_TENANT, type JudgeOptions, type Problem, type Target } from './oracle.js';

/** The first problem with an accepted artifact, or undefined. */
export async function acceptedProblem(
  artifact: Artifact,
  bytes: Buffer,
  options: JudgeOptions,
  target: Target,
): Promise<Problem | undefined> {
  const broken = artifactProblem(artifact, bytes.length);
  if (broken !== undefined) return { kind: 'invariant', detail: broken };
  // Read every location back (reversed, with a duplicate) the way upload and finalize do.
  const wanted = [
    ...artifact.assets.map((asset) => ({
      location: asset.location,
      matches: assetMatcher(asset.path, asset.hash),
    })),
    ...artifact.modules.map((module) => ({
      location: module.location,
      matches: moduleMatcher(artifact, module.name),
    })),
  ].reverse();
  if (wanted.length > 0) wanted.push(wanted[0] as (typeof wanted)[number]);
  let buffers: Buffer[];
  try {
    const source = openBufferSource(bytes, Math.max(1, options.chunkBytes >> 1) + 1);
    buffers = await target.reread(
      source,
      wanted.map((item) => item.location),
    );
  } catch (error) {
    return { kind: 'reread', detail: `an accepted entry failed to read back: ${describe(error)}` };
  }
  for (const [index, item] of wanted.entries()) {
    const content = buffers[index];
    if (content === undefined || content.length !== item.location.size || !item.matches(content)) {
      return {
        kind: 'reread',
        detail: `the entry at offset ${item.location.offset} read back different bytes`,
      };
    }
  }
  return undefined;
}

const sha256 = (content: Buffer) => createHash('sha256').update(content).digest();

const assetMatcher = (path: string, hash: string) => (content: Buffer) =>
  computeAssetHash(FUZZ_TENANT, assetExtension(path), sha256(content)) === hash;

const moduleMatcher = (artifact: Artifact, name: string) => (content: Buffer) => {
  const digest = sha256(content).toString('hex');
  return artifact.entries.some(
    (entry) => entry.sha256 === digest && (entry.path === `/${name}` || entry.path.endsWith(`/${name}`)),
  );
};
