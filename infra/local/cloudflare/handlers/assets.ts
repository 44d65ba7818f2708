/**
 * The assets upload session and the bucket uploads. Assets belong to the namespace: a hash stored by any
 * session is never asked for again, and a session is complete once each of its hashes is stored.
 */

import type { IncomingHttpHeaders } from 'node:http';
import { ApiError, badRequest, CF_CODES } from '../api-error.js';
import {
  MultipartError,
  type MultipartPart,
  MultipartScanner,
  parseMultipart,
  readBoundary,
} from '../multipart.js';
import type { UploadSession } from '../state.js';
import type { HandlerContext, HandlerResult } from './context.js';
import { readJsonBody } from './context.js';
import { assertScriptName } from './rules.js';

const HASH = /^[0-9a-f]{32}$/;
/** The part type that means "serve without a Content-Type". */
const NO_CONTENT_TYPE = 'application/null';

const manifestError = (message: string): ApiError => badRequest(CF_CODES.invalidManifest, message);
const uploadError = (message: string): ApiError => badRequest(CF_CODES.invalidUpload, message);

/** Checks every manifest entry and returns each hash once with its size. */
function readManifest(context: HandlerContext, manifest: Record<string, { hash: string; size: number }>) {
  const { maxManifestFiles, maxAssetSize } = context.options;
  const entries = Object.entries(manifest);
  if (entries.length > maxManifestFiles) {
    throw manifestError(`the manifest lists ${entries.length} files; the limit is ${maxManifestFiles}`);
  }
  const sizes = new Map<string, number>();
  for (const [path, { hash, size }] of entries) {
    const shown = JSON.stringify(path.slice(0, 120));
    if (!path.startsWith('/')) throw manifestError(`manifest path ${shown} must start with "/"`);
    if (!HASH.test(hash))
      throw manifestError(
        `manifest path ${shown} has hash ${JSON.stringify(hash.slice(0, 80))}: use 32 lower-case hex characters`,
      );
    if (!Number.isSafeInteger(size) || size < 0 || size > maxAssetSize) {
      throw manifestError(
        `manifest path ${shown} has size ${size}: use an integer from 0 to ${maxAssetSize}`,
      );
    }
    const known = sizes.get(hash);
    if (known !== undefined && known !== size) throw manifestError(`hash ${hash} is listed with two sizes`);
    sizes.set(hash, size);
  }
  return { entries, sizes };
}

/** Splits missing hashes into buckets by decoded bytes and count, in manifest order. */
function planBuckets(
  missing: string[],
  sizes: Map<string, number>,
  maxBytes: number,
  maxFiles: number,
): string[][] {
  const buckets: string[][] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const hash of missing) {
    const size = sizes.get(hash) ?? 0;
    if (current.length > 0 && (current.length >= maxFiles || bytes + size > maxBytes)) {
      buckets.push(current);
      current = [];
      bytes = 0;
    }
    current.push(hash);
    bytes += size;
  }
  if (current.length > 0) buckets.push(current);
  return buckets;
}

/** POST …/scripts/{script}/assets-upload-session */
export function openUploadSession(context: HandlerContext): HandlerResult {
  const { state, params, options, tokens } = context;
  const namespace = state.requireNamespace(params.dispatch_namespace ?? '');
  const script = params.script_name ?? '';
  assertScriptName(script);
  const body = readJsonBody(context, CF_CODES.invalidManifest);
  context.contract.checkJsonBody(
    'namespace-worker-script-update-create-assets-upload-session',
    body,
    CF_CODES.invalidManifest,
  );
  const manifest = (body as { manifest: Record<string, { hash: string; size: number }> }).manifest;
  const { entries, sizes } = readManifest(context, manifest);
  const session = state.openSession(
    { account: options.accountId, namespace: namespace.name, script, manifest: new Map(entries), sizes },
    context.now(),
  );
  const subject = { account: session.account, namespace: session.namespace, script, session: session.id };
  const missing = state.missingHashes(session);
  if (missing.length === 0) {
    context.audit.sessionOpened([]);
    session.completed = true;
    return { status: 200, result: { jwt: tokens.mint('completion', subject), buckets: [] } };
  }
  const buckets = planBuckets(missing, sizes, options.bucketMaxBytes, options.bucketMaxFiles);
  context.audit.sessionOpened(buckets);
  return { status: 200, result: { jwt: tokens.mint('upload', subject), buckets } };
}

/** Decodes one part strictly: Buffer's decoder skips junk, so a short result exposes it. */
function decodeBase64(data: Buffer): Buffer | undefined {
  const text = data.toString('latin1');
  if (text.length % 4 !== 0) return undefined;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const decoded = Buffer.from(text, 'base64');
  return decoded.length === (text.length / 4) * 3 - padding ? decoded : undefined;
}

/** Each part's decoded contents (undefined: not valid base64), decoded as soon as the part arrived. */
const decodedParts = new WeakMap<MultipartPart, Buffer | undefined>();

/** The upload route's scanner: each part is decoded while the rest of the bucket is still arriving. */
export function scanUpload(headers: IncomingHttpHeaders): MultipartScanner | undefined {
  const boundary = readBoundary(headers['content-type']);
  if (boundary === undefined) return undefined;
  return new MultipartScanner(boundary, (part) => decodedParts.set(part, decodeBase64(part.data)), {
    keepData: false,
  });
}

const decodedContent = (part: MultipartPart): Buffer | undefined =>
  decodedParts.has(part) ? decodedParts.get(part) : decodeBase64(part.data);

function readUploadParts(context: HandlerContext, session: UploadSession) {
  const boundary = readBoundary(context.headers['content-type']);
  if (boundary === undefined)
    throw badRequest(CF_CODES.unsupportedContentType, 'asset uploads must be multipart/form-data');
  let parts: MultipartPart[];
  try {
    parts = context.scan?.finish() ?? parseMultipart(context.body, boundary);
  } catch (error) {
    if (error instanceof MultipartError)
      throw uploadError(`the multipart body is malformed: ${error.message}`);
    throw error;
  }
  context.audit.partsReceived(parts.map((part) => part.name));
  if (parts.length === 0) throw uploadError('the upload holds no files');
  const files = new Map<string, { contentType: string | null; content: Buffer }>();
  for (const part of parts) {
    const expected = session.sizes.get(part.name);
    if (expected === undefined)
      throw uploadError(`hash ${JSON.stringify(part.name.slice(0, 80))} is not part of this upload session`);
    if (files.has(part.name)) throw uploadError(`hash ${part.name} is sent twice`);
    const content = decodedContent(part);
    if (content === undefined) throw uploadError(`the contents of ${part.name} are not valid base64`);
    if (context.options.checkUploadSizes && content.length !== expected) {
      throw uploadError(
        `hash ${part.name} decodes to ${content.length} bytes; the manifest says ${expected}`,
      );
    }
    const type = part.contentType?.trim();
    files.set(part.name, {
      contentType: type === undefined || type === '' || type === NO_CONTENT_TYPE ? null : type,
      content,
    });
  }
  return files;
}

/** POST /accounts/{account}/workers/assets/upload?base64=true (authenticated by the upload JWT). */
export async function uploadAssets(context: HandlerContext): Promise<HandlerResult> {
  const { state, tokens, uploadClaims, options } = context;
  const session = uploadClaims === undefined ? undefined : state.sessions.get(uploadClaims.session);
  if (session === undefined)
    throw new ApiError(401, CF_CODES.authentication, 'the upload session of this JWT is unknown or expired');
  const files = readUploadParts(context, session);
  const namespace = state.requireNamespace(session.namespace);
  for (const [hash, file] of files) namespace.assets.set(hash, file);
  await context.persist();
  if (state.missingHashes(session).length > 0) return { status: 202, result: {} };
  const repeat = session.completed;
  session.completed = true;
  if (repeat && options.repeatAfterComplete === '202') return { status: 202, result: {} };
  const subject = {
    account: session.account,
    namespace: session.namespace,
    script: session.script,
    session: session.id,
  };
  return { status: 201, result: { jwt: tokens.mint('completion', subject) } };
}
