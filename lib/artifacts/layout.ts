/**
 * Where things are in the archive: the optional wrapper folder, the config file, the main module and the
 * assets directory (from the config, or the conventional defaults), and which files become modules.
 */
import { posix } from 'node:path';
import {
  COMMONJS_MODULE_TYPE,
  ES_MODULE_TYPE,
  moduleContentType,
  SOURCE_MAP_TYPE,
} from '../assets/content-type.js';
import { InvalidArtifactError } from '../errors.js';
import type { FileEntry } from './entry-checks.js';

export const CONFIG_FILES = ['wrangler.json', 'wrangler.jsonc'] as const;
/** Conventional main modules, first found wins, when the artifact has no config file. */
export const DEFAULT_MAINS = ['worker.mjs', 'worker.js', 'index.mjs', 'index.js'] as const;
/** The conventional assets directory when the artifact has no config file. */
export const DEFAULT_ASSETS_DIRECTORY = 'public';

const JS_TYPES: ReadonlySet<string> = new Set([ES_MODULE_TYPE, COMMONJS_MODULE_TYPE]);

/** A kept file whose `relative` path (wrapper stripped) is set. */
export type PlacedFile = FileEntry;

/** Orders by `path`, in UTF-16 code units (the order of every path sort of the artifact). */
export const byPath = <T extends { path: string }>(a: T, b: T): number =>
  a.path < b.path ? -1 : a.path > b.path ? 1 : 0;

/** The artifact root: the wrapper folder that was stripped (or `''`) and the config file, if any. */
export interface Root {
  wrapper: string;
  /** Every kept file, in path order. */
  files: PlacedFile[];
  config?: PlacedFile;
}

const isConfigFile = (relative: string) =>
  (CONFIG_FILES as readonly string[]).includes(relative) || relative === 'wrangler.toml';
const isConventionalRoot = (relative: string) =>
  (DEFAULT_MAINS as readonly string[]).includes(relative) ||
  relative.startsWith(`${DEFAULT_ASSETS_DIRECTORY}/`);

/**
 * Strips one wrapper folder: when every file sits under the same top folder and that folder looks like an
 * artifact root (a config file; or, unless the folder is `public/` itself, a conventional main or a
 * `public/` folder), it is the root. A zip of just `public/` is read as an assets-only artifact, so a
 * site's own `public/index.js` never becomes a Worker.
 */
export function findRoot(files: readonly FileEntry[]): Root {
  const tops = new Set(files.map((file) => (file.path.includes('/') ? file.path.split('/')[0] : '')));
  const [top] = tops;
  const inside = (file: FileEntry) => file.path.slice((top?.length ?? 0) + 1);
  const isWrapper =
    tops.size === 1 &&
    top !== undefined &&
    top !== '' &&
    (files.some((file) => isConfigFile(inside(file))) ||
      (top !== DEFAULT_ASSETS_DIRECTORY && files.some((file) => isConventionalRoot(inside(file)))));
  const wrapper = isWrapper ? `${top}/` : '';
  // In path order: the later stages sort by path too, and sorting sorted input is linear.
  const placed = [...files].sort(byPath);
  for (const file of placed) file.relative = file.path.slice(wrapper.length);
  const configs = placed.filter((file) => (CONFIG_FILES as readonly string[]).includes(file.relative));
  const toml = placed.find((file) => file.relative === 'wrangler.toml');
  if (configs.length > 1) {
    throw new InvalidArtifactError(
      'artifact.bad-config',
      'The archive has both wrangler.json and wrangler.jsonc; keep one.',
      {
        entry: `/${configs[1]?.path ?? ''}`,
      },
    );
  }
  if (configs.length === 0 && toml !== undefined) {
    throw new InvalidArtifactError(
      'artifact.bad-config',
      'wrangler.toml is not supported; use wrangler.json or wrangler.jsonc.',
      {
        entry: `/${toml.path}`,
      },
    );
  }
  const [config] = configs;
  return { wrapper, files: placed, ...(config === undefined ? {} : { config }) };
}

/**
 * Normalises a path from the config (relative to the root): `./` and backslashes allowed; absolute paths
 * and `..` are refused because they point outside the archive. Returns `''` for the root itself.
 */
export function resolveConfigPath(value: string, field: string, configEntry: string): string {
  const slashed = value.replaceAll('\\', '/');
  const segments = slashed.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (slashed.startsWith('/') || /^[A-Za-z]:/.test(slashed) || segments.includes('..')) {
    throw new InvalidArtifactError(
      'artifact.bad-config',
      `${configEntry}: "${field}" (${JSON.stringify(value)}) points outside the archive.`,
      { entry: configEntry },
    );
  }
  return segments.join('/').normalize('NFC');
}

/** True when `relative` is inside `directory` (`''` is the root, which holds everything). */
export const isInside = (relative: string, directory: string): boolean =>
  directory === '' || relative.startsWith(`${directory}/`);

/** The module parts: files in the main module's directory tree with a module extension. */
export function selectModules(
  files: readonly PlacedFile[],
  main: PlacedFile,
  excluded: (file: PlacedFile) => boolean,
): Array<{ file: PlacedFile; name: string; contentType: string }> {
  const directory = posix.dirname(main.relative) === '.' ? '' : posix.dirname(main.relative);
  const candidates = files
    .filter((file) => isInside(file.relative, directory) && !excluded(file))
    .map((file) => ({
      file,
      name: directory === '' ? file.relative : file.relative.slice(directory.length + 1),
      contentType: moduleContentType(file.relative),
    }))
    .filter(
      (module): module is { file: PlacedFile; name: string; contentType: string } =>
        module.contentType !== undefined,
    );
  const code = new Set(
    candidates.filter((module) => JS_TYPES.has(module.contentType)).map((module) => module.name),
  );
  // Source maps travel as `<module>.map` (wire capture, source-maps variant); a map without its module is
  // left as a plain file.
  return candidates
    .filter((module) => module.contentType !== SOURCE_MAP_TYPE || code.has(module.name.slice(0, -4)))
    .sort((a, b) =>
      a.file === main ? -1 : b.file === main ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
}
