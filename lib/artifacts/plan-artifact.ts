/**
 * Decides what each kept file is (config, module, asset, or just a file) before any bulk read: the small
 * files that steer the decision (the config, `.assetsignore`, `_headers`, `_redirects`) are fetched with
 * one ranged read each, so a bad config is refused without streaming the archive.
 */
import {
  ASSETS_IGNORE_FILE,
  type AssetCandidate,
  HEADERS_FILE,
  REDIRECTS_FILE,
  selectAssets,
} from '../assets/manifest.js';
import type { AssetsConfig } from '../cloudflare/types.js';
import { InvalidArtifactError } from '../errors.js';
import type { FileEntry } from './entry-checks.js';
import {
  DEFAULT_ASSETS_DIRECTORY,
  DEFAULT_MAINS,
  findRoot,
  isInside,
  type PlacedFile,
  type Root,
  resolveConfigPath,
  selectModules,
} from './layout.js';
import { type ArtifactLimits, type ArtifactPolicy, MAX_ASSETSIGNORE_BYTES } from './limits.js';
import { readEntryBuffers } from './read-entries.js';
import type { ZipSource } from './types.js';
import { DEFAULT_ASSETS_BINDING, type ParsedWorkerConfig, parseWorkerConfig } from './worker-config.js';

/** What the artifact is made of, decided from the central directory and the steering files. */
export interface ArtifactPlan {
  root: Root;
  config: ParsedWorkerConfig | undefined;
  main: PlacedFile | undefined;
  modules: ReturnType<typeof selectModules>;
  assets: AssetCandidate<PlacedFile>[];
  assetsConfig: AssetsConfig;
  assetsBinding: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const badConfig = (message: string, entry: string) =>
  new InvalidArtifactError('artifact.bad-config', message, { entry });

/** Reads a small text file of the archive, refusing one over `maxBytes` or not UTF-8. */
async function readText(source: ZipSource, file: PlacedFile, maxBytes: number): Promise<string> {
  const entry = `/${file.path}`;
  if (file.size > maxBytes)
    throw badConfig(`${entry} is ${file.size} bytes; at most ${maxBytes} are allowed.`, entry);
  const [bytes] = await readEntryBuffers(source, [{ ...file, method: file.method === 8 ? 8 : 0 }]);
  try {
    return utf8.decode(bytes ?? Buffer.alloc(0)).replace(/^\uFEFF/, '');
  } catch {
    throw badConfig(`${entry} is not UTF-8 text.`, entry);
  }
}

/** Plans the artifact; throws `artifact.bad-config` or `artifact.empty` with the entry at fault. */
export async function planArtifact(
  source: ZipSource,
  files: readonly FileEntry[],
  limits: ArtifactLimits,
  policy: ArtifactPolicy,
): Promise<ArtifactPlan> {
  const root = findRoot(files);
  const byRelative = new Map(root.files.map((file) => [file.relative, file]));
  const configEntry = root.config === undefined ? '' : `/${root.config.path}`;
  const config =
    root.config === undefined
      ? undefined
      : parseWorkerConfig(
          await readText(source, root.config, limits.maxConfigBytes),
          configEntry,
          policy,
          limits,
        );

  const mainPath =
    config === undefined
      ? DEFAULT_MAINS.find((name) => byRelative.has(name))
      : config.main === undefined
        ? undefined
        : resolveConfigPath(config.main, 'main', configEntry);
  const main = mainPath === undefined ? undefined : byRelative.get(mainPath);
  if (mainPath !== undefined && main === undefined) {
    throw badConfig(
      `${configEntry}: "main" names ${JSON.stringify(mainPath)}, which is not in the archive.`,
      configEntry,
    );
  }
  if (main !== undefined && !/\.m?js$/.test(main.relative)) {
    throw badConfig(`The main module /${main.path} must be an ES module (.js or .mjs).`, `/${main.path}`);
  }

  const assetsDirectory =
    config === undefined
      ? root.files.some((file) => isInside(file.relative, DEFAULT_ASSETS_DIRECTORY))
        ? DEFAULT_ASSETS_DIRECTORY
        : undefined
      : config.assets === undefined
        ? undefined
        : resolveConfigPath(config.assets.directory, 'assets.directory', configEntry);
  const inAssets = (file: PlacedFile) =>
    assetsDirectory !== undefined && file !== root.config && isInside(file.relative, assetsDirectory);
  if (config?.assets !== undefined && !root.files.some(inAssets)) {
    throw badConfig(
      `${configEntry}: "assets.directory" names ${JSON.stringify(assetsDirectory)}, which has no files.`,
      configEntry,
    );
  }
  if (main !== undefined && inAssets(main)) {
    throw badConfig(
      `The assets directory contains the main module /${main.path}; its code would be public.`,
      `/${main.path}`,
    );
  }

  const prefix = assetsDirectory === undefined || assetsDirectory === '' ? '' : `${assetsDirectory}/`;
  const candidates = root.files
    .filter(inAssets)
    .map((file) => ({ relative: file.relative.slice(prefix.length), file }));
  const special = (name: string) => candidates.find((candidate) => candidate.relative === name)?.file;
  const readSpecial = async (name: string, maxBytes = limits.maxAssetsConfigBytes) => {
    const file = special(name);
    return file === undefined ? undefined : readText(source, file, maxBytes);
  };
  const assetsIgnore = await readSpecial(
    ASSETS_IGNORE_FILE,
    Math.min(limits.maxAssetsConfigBytes, MAX_ASSETSIGNORE_BYTES),
  );
  const assets = selectAssets(candidates, assetsIgnore, (candidate) => `/${candidate.file.path}`);
  const assetsConfig: AssetsConfig = { ...config?.assets?.config };
  const headers = await readSpecial(HEADERS_FILE);
  const redirects = await readSpecial(REDIRECTS_FILE);
  if (headers !== undefined) assetsConfig._headers = headers;
  if (redirects !== undefined) assetsConfig._redirects = redirects;

  const modules =
    main === undefined
      ? []
      : selectModules(root.files, main, (file) => file === root.config || inAssets(file));
  if (main === undefined && assets.length === 0) {
    throw new InvalidArtifactError(
      'artifact.empty',
      'The archive has neither a main module nor assets (see README "Artifact format").',
    );
  }
  if (
    main === undefined &&
    assetsConfig.run_worker_first !== undefined &&
    assetsConfig.run_worker_first !== false
  ) {
    throw badConfig(`${configEntry}: "assets.run_worker_first" needs a main module.`, configEntry);
  }
  return {
    root,
    config,
    main,
    modules,
    assets,
    assetsConfig,
    assetsBinding: config?.assets?.binding ?? DEFAULT_ASSETS_BINDING,
  };
}
