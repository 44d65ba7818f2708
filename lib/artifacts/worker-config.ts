/**
 * `wrangler.json` / `wrangler.jsonc`: parsed as JSONC (comments and trailing commas, as Wrangler allows
 * in both), shape-checked, and held to the platform policy: only `vars` and the assets binding, no
 * denied compatibility flags, bounded vars. Fields we do not use (name, routes, env, ...) are ignored.
 */
import { createScanner, type ParseError, parse, printParseErrorCode } from 'jsonc-parser';
import type { AssetsConfig } from '../cloudflare/types.js';
import { InvalidArtifactError } from '../errors.js';
import { BINDING_NAME, readFlags, readVars } from './config-policy.js';
import type { ArtifactLimits, ArtifactPolicy } from './limits.js';

/** What the config file says, before it is checked against the archive. */
export interface ParsedWorkerConfig {
  main?: string;
  compatibilityDate?: string;
  compatibilityFlags: string[];
  vars: Record<string, unknown>;
  /** Present when the config has an `assets` section. */
  assets?: { directory: string; binding: string; config: AssetsConfig };
}

/** Wrangler config sections that create bindings (or code) the platform does not provide to tenants. */
export const BINDING_SECTIONS: readonly string[] = [
  'kv_namespaces',
  'durable_objects',
  'migrations',
  'r2_buckets',
  'd1_databases',
  'services',
  'queues',
  'analytics_engine_datasets',
  'ai',
  'browser',
  'hyperdrive',
  'vectorize',
  'mtls_certificates',
  'dispatch_namespaces',
  'send_email',
  'tail_consumers',
  'streaming_tail_consumers',
  'workflows',
  'pipelines',
  'version_metadata',
  'images',
  'media',
  'secrets_store_secrets',
  'unsafe',
  'wasm_modules',
  'text_blobs',
  'data_blobs',
  'logfwdr',
  'site',
  'containers',
  'ratelimits',
  'worker_loaders',
  'vpc_services',
];

/** The assets binding name Wrangler's examples use, and ours when the config names none. */
export const DEFAULT_ASSETS_BINDING = 'ASSETS';

const HTML_HANDLING = ['auto-trailing-slash', 'force-trailing-slash', 'drop-trailing-slash', 'none'] as const;
const NOT_FOUND_HANDLING = ['none', '404-page', 'single-page-application'] as const;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
/**
 * jsonc-parser parses recursively and overflows the stack (a RangeError, not a parse error) at a few
 * thousand nested brackets, which a 20 KB config can hold; real configs nest a handful of levels.
 */
export const MAX_CONFIG_DEPTH = 100;
/** jsonc-parser's SyntaxKind values (a const enum, which isolated modules cannot import). */
const OPEN_TOKENS = new Set([1, 3]);
const CLOSE_TOKENS = new Set([2, 4]);
const COLON_TOKEN = 6;
const STRING_TOKEN = 10;
const EOF_TOKEN = 17;

/**
 * What the parser must not see, found by an iterative scan: nesting deeper than
 * {@link MAX_CONFIG_DEPTH}, or a `__proto__` key, which jsonc-parser assigns as the object's prototype
 * (the key's values would vanish, or fields would be inherited instead of written).
 */
function scanProblem(text: string): string | undefined {
  const scanner = createScanner(text, true);
  let depth = 0;
  let previous: string | undefined;
  for (let token = scanner.scan(); token !== EOF_TOKEN; token = scanner.scan()) {
    if (OPEN_TOKENS.has(token)) depth += 1;
    else if (CLOSE_TOKENS.has(token)) depth -= 1;
    if (depth > MAX_CONFIG_DEPTH) return `nested more than ${MAX_CONFIG_DEPTH} levels deep.`;
    if (token === COLON_TOKEN && previous === '__proto__') return 'a key named "__proto__" is not allowed.';
    previous = token === STRING_TOKEN ? scanner.getTokenValue() : undefined;
  }
  return undefined;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isEmpty = (value: unknown) =>
  value === undefined ||
  value === null ||
  (Array.isArray(value) && value.length === 0) ||
  (isObject(value) && Object.keys(value).length === 0);

/** Parses and checks the config text; `entry` (the config's archive path) names every error. */
export function parseWorkerConfig(
  text: string,
  entry: string,
  policy: ArtifactPolicy,
  limits: ArtifactLimits,
): ParsedWorkerConfig {
  const bad = (message: string) =>
    new InvalidArtifactError('artifact.bad-config', `${entry}: ${message}`, { entry });
  const problem = scanProblem(text);
  if (problem !== undefined) throw bad(problem);
  const errors: ParseError[] = [];
  const root: unknown = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  const [error] = errors;
  if (error !== undefined) {
    const line = text.slice(0, error.offset).split('\n').length;
    throw bad(`not valid JSON(C): ${printParseErrorCode(error.error)} on line ${line}.`);
  }
  if (!isObject(root)) throw bad('the top level must be an object.');
  for (const section of BINDING_SECTIONS) {
    if (!isEmpty(root[section])) {
      throw new InvalidArtifactError(
        'artifact.binding-not-allowed',
        `${entry}: "${section}" is not available on this platform; only vars and the assets binding are.`,
        { entry },
      );
    }
  }
  const config: ParsedWorkerConfig = { compatibilityFlags: [], vars: {} };
  if (root.main !== undefined) {
    if (typeof root.main !== 'string' || root.main === '') throw bad('"main" must be a non-empty string.');
    config.main = root.main;
  }
  const date = root.compatibility_date;
  if (date !== undefined) {
    if (typeof date !== 'string' || !DATE.test(date) || Number.isNaN(Date.parse(date))) {
      throw bad('"compatibility_date" must be a date written YYYY-MM-DD.');
    }
    config.compatibilityDate = date;
  }
  config.compatibilityFlags = readFlags(root.compatibility_flags, policy, entry, bad);
  config.vars = readVars(root.vars, policy, limits, entry, bad);
  if (root.assets !== undefined) config.assets = readAssets(root.assets, bad);
  // Own names only: `in` would find `constructor` or `toString` on Object.prototype for a binding so named.
  if (config.assets !== undefined && Object.hasOwn(config.vars, config.assets.binding)) {
    throw bad(`the var "${config.assets.binding}" has the name of the assets binding.`);
  }
  return config;
}

function readAssets(value: unknown, bad: (m: string) => Error): NonNullable<ParsedWorkerConfig['assets']> {
  if (!isObject(value)) throw bad('"assets" must be an object.');
  if (typeof value.directory !== 'string' || value.directory === '') {
    throw bad('"assets.directory" must name the assets directory.');
  }
  const binding = value.binding ?? DEFAULT_ASSETS_BINDING;
  if (typeof binding !== 'string' || !BINDING_NAME.test(binding))
    throw bad('"assets.binding" is not a valid binding name.');
  const config: AssetsConfig = {};
  const { html_handling: html, not_found_handling: notFound, run_worker_first: first } = value;
  if (html !== undefined) {
    if (!HTML_HANDLING.includes(html as never))
      throw bad(`"assets.html_handling" must be one of ${HTML_HANDLING.join(', ')}.`);
    config.html_handling = html as AssetsConfig['html_handling'] & string;
  }
  if (notFound !== undefined) {
    if (!NOT_FOUND_HANDLING.includes(notFound as never)) {
      throw bad(`"assets.not_found_handling" must be one of ${NOT_FOUND_HANDLING.join(', ')}.`);
    }
    config.not_found_handling = notFound as AssetsConfig['not_found_handling'] & string;
  }
  if (first !== undefined) {
    const rules =
      Array.isArray(first) && first.every((rule) => typeof rule === 'string' && /^!?\//.test(rule));
    if (typeof first !== 'boolean' && !rules) {
      throw bad(
        '"assets.run_worker_first" must be true, false, or a list of routes starting with "/" or "!/".',
      );
    }
    config.run_worker_first = first as boolean | string[];
  }
  return { directory: value.directory, binding, config };
}
