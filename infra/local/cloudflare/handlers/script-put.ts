/**
 * PUT …/dispatch/namespaces/{ns}/scripts/{name}: the multipart script upload. It checks what the real
 * API is documented to check (metadata part, entry module, module types, the completion token of this
 * very script, tags) and stores everything so tests can inspect what was deployed.
 */
import { createHash, randomUUID } from 'node:crypto';
import { type ApiError, badRequest, CF_CODES } from '../api-error.js';
import { MultipartError, type MultipartPart, parseMultipart, readBoundary } from '../multipart.js';
import type { Namespace, StoredModule, StoredScript } from '../state.js';
import type { HandlerContext, HandlerResult } from './context.js';
import { isoNow, readFlag } from './context.js';
import { mediaType, readModules } from './modules.js';
import { assertScriptName, assertTags } from './rules.js';
import { uploadResponse } from './script-info.js';

const invalid = (message: string): ApiError => badRequest(CF_CODES.validation, message);
type Metadata = Record<string, unknown> & {
  main_module?: string;
  body_part?: string;
  tags?: string[] | null;
  keep_assets?: boolean;
  bindings?: Array<{ name: string; type: string }>;
  assets?: { jwt?: string; config?: { run_worker_first?: unknown } };
};

function readParts(context: HandlerContext): MultipartPart[] {
  const boundary = readBoundary(context.headers['content-type']);
  if (boundary === undefined)
    throw badRequest(CF_CODES.unsupportedContentType, 'script uploads must be multipart/form-data');
  try {
    return parseMultipart(context.body, boundary);
  } catch (error) {
    if (error instanceof MultipartError)
      throw invalid(`could not parse the multipart body: ${error.message}`);
    throw error;
  }
}

function readMetadata(context: HandlerContext, parts: MultipartPart[]): Metadata {
  const found = parts.filter((part) => part.name === 'metadata');
  if (found.length !== 1)
    throw invalid(found.length === 0 ? 'the metadata part is missing' : 'the metadata part is sent twice');
  const [part] = found as [MultipartPart];
  const type = mediaType(part.contentType);
  // wrangler sends a plain field; Cloudflare's curl examples send a file part typed application/json.
  if (type !== undefined && type !== 'application/json' && type !== 'text/plain') {
    throw invalid(`could not read content for part metadata: type ${type} is not JSON`);
  }
  let metadata: unknown;
  try {
    metadata = JSON.parse(part.data.toString('utf8'));
  } catch {
    throw invalid('could not read content for part metadata: it is not valid JSON');
  }
  context.contract.checkMetadata(metadata);
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))
    throw invalid('metadata must be a JSON object');
  return metadata as Metadata;
}

/** The asset paths of this deploy: from the completion token's session, or kept from the last version. */
function readAssets(
  context: HandlerContext,
  namespace: Namespace,
  name: string,
  metadata: Metadata,
  existing: StoredScript | undefined,
) {
  const jwt = metadata.assets?.jwt;
  if (jwt === undefined) {
    if (metadata.keep_assets !== true) return undefined;
    if (existing?.assets === undefined)
      throw invalid('keep_assets is set but the script has no earlier assets');
    return existing.assets;
  }
  const refused = (why: string) =>
    badRequest(CF_CODES.authentication, `assets.jwt is invalid or expired: ${why}`);
  const check = context.tokens.check(jwt, 'completion');
  if (!check.ok)
    throw refused(
      check.reason === 'wrong-kind' ? 'it is not a completion token' : `the token is ${check.reason}`,
    );
  const { claims } = check;
  if (
    claims.account !== context.options.accountId ||
    claims.namespace !== namespace.name ||
    claims.script !== name
  ) {
    throw refused('it was issued for another script');
  }
  const session = context.state.sessions.get(claims.session);
  if (session === undefined || context.state.missingHashes(session).length > 0)
    throw refused('its upload session is unknown or incomplete');
  return new Map([...session.manifest].map(([path, entry]) => [path, entry.hash]));
}

function checkBindings(metadata: Metadata, hasAssets: boolean): void {
  const names = new Set<string>();
  for (const binding of metadata.bindings ?? []) {
    if (names.has(binding.name)) throw invalid(`binding name ${JSON.stringify(binding.name)} is used twice`);
    names.add(binding.name);
    if (binding.type === 'assets' && !hasAssets) throw invalid('Cannot use an assets binding without assets');
  }
  const rules = metadata.assets?.config?.run_worker_first;
  if (Array.isArray(rules) && rules.some((rule) => typeof rule !== 'string' || !/^!?\//.test(rule))) {
    throw invalid('assets.config.run_worker_first rules must start with "/" or "!/"');
  }
}

const etagOf = (
  modules: Map<string, StoredModule>,
  metadata: Metadata,
  assets: Map<string, string> | undefined,
): string => {
  const hash = createHash('sha256').update(JSON.stringify(metadata));
  for (const [name, module] of modules) hash.update(name).update(module.contentType).update(module.content);
  for (const [path, asset] of assets ?? []) hash.update(path).update(asset);
  return hash.digest('hex');
};

/** PUT …/scripts/{script_name} */
export async function putScript(context: HandlerContext): Promise<HandlerResult> {
  const { state, params, options } = context;
  const namespace = state.requireNamespace(params.dispatch_namespace ?? '');
  const name = params.script_name ?? '';
  assertScriptName(name);
  readFlag(context.query, 'excludeScript');
  const parts = readParts(context);
  const metadata = readMetadata(context, parts);
  const modules = readModules(context, parts, metadata);
  const existing = namespace.scripts.get(name);
  const tags =
    metadata.tags === undefined
      ? undefined
      : metadata.tags === null
        ? []
        : assertTags(metadata.tags, options.maxTags, CF_CODES.validation);
  const assets = readAssets(context, namespace, name, metadata, existing);
  checkBindings(metadata, assets !== undefined && assets.size > 0);
  if (modules.size === 0 && assets === undefined) throw invalid('the upload has neither modules nor assets');
  const { jwt: _token, ...assetsWithoutToken } = metadata.assets ?? {};
  const stored: Metadata = {
    ...metadata,
    ...(metadata.assets === undefined ? {} : { assets: assetsWithoutToken }),
  };
  const now = isoNow(context);
  const script: StoredScript = {
    name,
    immutableId: existing?.immutableId ?? randomUUID().replace(/-/g, ''),
    metadata: stored,
    modules,
    tags: tags ?? (options.tagsWhenOmitted === 'keep' ? (existing?.tags ?? []) : []),
    assets,
    etag: etagOf(modules, stored, assets),
    deployCount: (existing?.deployCount ?? 0) + 1,
    deploymentId: randomUUID(),
    createdOn: existing?.createdOn ?? now,
    modifiedOn: now,
  };
  namespace.scripts.set(name, script);
  await context.persist();
  return { status: 200, result: uploadResponse(script) };
}
