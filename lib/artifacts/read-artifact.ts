/**
 * Reads one zipped build artifact into the validated {@link Artifact}: the end records and central
 * directory by ranged reads, every cheap check on them, the plan (config, modules, assets), then one
 * sequential pass that verifies and hashes every kept file. S3 transfer is about 1x the archive.
 */
import { contentTypeForExtension } from '../assets/content-type.js';
import { assetExtension, assetHasher } from '../assets/hash.js';
import { InvalidArtifactError } from '../errors.js';
import { assertTenant } from '../pipeline/identity.js';
import { readCentralDirectory } from './central-directory.js';
import { locateCentralDirectory } from './end-of-archive.js';
import { checkEntries, type FileEntry } from './entry-checks.js';
import { hashFiles, type PassOptions, type PassProgress } from './entry-pass.js';
import { byPath } from './layout.js';
import { type ArtifactLimits, type ArtifactPolicy, resolveLimits, resolvePolicy } from './limits.js';
import { type ArtifactPlan, planArtifact } from './plan-artifact.js';
import type { Artifact, EntryLocation, WorkerConfig, ZipSource } from './types.js';

export interface ReadArtifactOptions {
  /** The tenant the asset hashes are salted with (a valid tenant id). */
  tenant: string;
  limits?: Partial<ArtifactLimits>;
  policy?: Partial<ArtifactPolicy>;
  /** Called as the sequential pass advances (for a progress display). */
  onProgress?: (progress: PassProgress) => void;
  /** Decode and hash small entries on a second thread (see {@link PassOptions.hashThread}). */
  hashThread?: boolean;
}

/** Where an entry's bytes are, for later ranged reads. */
export const locationOf = (file: FileEntry, headerSize?: number): EntryLocation => ({
  offset: file.offset,
  compressedSize: file.compressedSize,
  size: file.size,
  method: file.method === 8 ? 8 : 0,
  crc32: file.crc32,
  ...(headerSize === undefined ? {} : { headerSize }),
});

const empty = (message: string) => new InvalidArtifactError('artifact.empty', message);

/** Validates the archive behind `source` and builds the artifact model; throws InvalidArtifactError. */
export async function readArtifact(source: ZipSource, options: ReadArtifactOptions): Promise<Artifact> {
  const started = performance.now();
  const tenant = assertTenant(options.tenant);
  const limits = resolveLimits(options.limits);
  const policy = resolvePolicy(options.policy);
  const location = await locateCentralDirectory(source);
  if (location.entries === 0) throw empty('The archive has no entries.');
  const records = await readCentralDirectory(source, location, limits);
  const files = checkEntries(records, location.offset, limits);
  if (files.length === 0) throw empty('The archive holds only directories or ignored files.');
  // The pass runs while the plan reads the config files: its work is mostly on the thread pool or the
  // hashing thread. A plan error still wins, as if the plan had run first, and stops the pass.
  const stopPass = new AbortController();
  const pass = hashFiles(source, files, {
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    hashThread: options.hashThread === true,
    signal: stopPass.signal,
  });
  // Awaited below; a failure before then must not count as unhandled.
  pass.catch(() => undefined);
  let plan: ArtifactPlan;
  try {
    plan = await planArtifact(source, files, limits, policy);
  } catch (error) {
    stopPass.abort();
    await pass.catch(() => undefined);
    throw error;
  }
  await pass;
  const artifact = assemble(plan, tenant);
  artifact.stats = {
    archiveSize: source.size,
    entryCount: records.length,
    totalUncompressed: files.reduce((sum, file) => sum + file.size, 0),
    bytesRead: source.bytesRead,
    durationMs: Math.round(performance.now() - started),
  };
  return artifact;
}

function assemble(plan: ArtifactPlan, tenant: string): Artifact {
  const entries = plan.root.files
    .map((file) => ({ path: `/${file.relative}`, size: file.size, sha256: file.sha256 }))
    .sort(byPath);
  const assetHash = assetHasher(tenant);
  const contentTypes = new Map<string, string | null>();
  const contentTypeOf = (extension: string) => {
    let type = contentTypes.get(extension);
    if (type === undefined) {
      type = contentTypeForExtension(extension);
      contentTypes.set(extension, type);
    }
    return type;
  };
  const assets = plan.assets
    .map(({ relative, file }) => {
      const extension = assetExtension(relative);
      return {
        path: `/${relative}`,
        size: file.size,
        contentType: contentTypeOf(extension),
        hash: assetHash(extension, Buffer.from(file.sha256, 'hex')),
        location: locationOf(file, file.headerSize),
      };
    })
    .sort(byPath);
  const modules = plan.modules.map(({ file, name, contentType }) => ({
    name,
    contentType,
    size: file.size,
    location: locationOf(file, file.headerSize),
  }));
  const mainModule = plan.modules.find((module) => module.file === plan.main)?.name;
  const config: WorkerConfig = {
    ...(mainModule === undefined ? {} : { mainModule }),
    ...(plan.config?.compatibilityDate === undefined
      ? {}
      : { compatibilityDate: plan.config.compatibilityDate }),
    compatibilityFlags: plan.config?.compatibilityFlags ?? [],
    vars: plan.config?.vars ?? {},
    assets: plan.assetsConfig,
    hasAssets: assets.length > 0,
    assetsBinding: plan.assetsBinding,
  };
  return {
    entries,
    assets,
    modules,
    config,
    stats: { archiveSize: 0, entryCount: 0, totalUncompressed: 0, bytesRead: 0, durationMs: 0 },
  };
}
