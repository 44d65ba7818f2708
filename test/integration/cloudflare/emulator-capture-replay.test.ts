/**
 * Replays what real wrangler 4.86.0 sent (infra/local/cloudflare/contract/wrangler-wire-capture.json)
 * against the emulator: bodies are rebuilt from the recorded part names, types and sizes, and the
 * recorded JWT placeholders are replaced by tokens the emulator issues during the replay.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type CloudflareEmulator, startCloudflareEmulator } from '../../../infra/local/cloudflare/index.js';
import { encodeMultipart, type RawPart } from '../../helpers/cloudflare.js';

interface RecordedPart {
  name: string;
  filename: string | null;
  content_type: string | null;
  size: number;
  json?: unknown;
  head?: string;
}
interface RecordedUploadFile {
  field: string;
  filename: string;
  content_type: string;
  decoded_size: number;
}
interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  kind: string;
  body?: { kind: 'json'; json: unknown } | { kind: 'multipart'; parts?: RecordedPart[] } | null;
  upload_files?: RecordedUploadFile[];
  response: {
    status: number;
    body: { success: boolean; errors: Array<{ code: number }>; result: Record<string, unknown> | null };
  };
}
interface Variant {
  name: string;
  server_env: Record<string, string>;
  requests: RecordedRequest[];
}

const capture = JSON.parse(
  readFileSync(
    new URL('../../../infra/local/cloudflare/contract/wrangler-wire-capture.json', import.meta.url),
    'utf8',
  ),
) as { variants: Variant[] };

const KINDS: Record<string, string> = {
  'assets-upload-session': 'session',
  'assets-upload': 'upload',
  'script-PUT': 'script-put',
  'other-GET': 'other',
  'other-PATCH': 'other',
};
const PLACEHOLDER = /^<(upload|completion)-jwt session=\d+>$/;
/** Fields of the stand-in's recorded answers that are no part of the contract the emulator follows. */
const NOT_IN_CONTRACT = new Set(['observability']);

const claimsOf = (jwt: string): { kind: string; script: string } =>
  JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8'));

/** Deterministic bytes of a given size, with the recorded text head when there is one. */
function filler(size: number, head = ''): Buffer {
  const bytes = Buffer.alloc(size, 0x20);
  Buffer.from(head).copy(bytes, 0, 0, Math.min(size, Buffer.byteLength(head)));
  return bytes;
}

/** Replaces JWT placeholders anywhere in a recorded JSON value with the tokens issued so far. */
function withTokens(value: unknown, tokens: Map<string, string>): unknown {
  if (typeof value === 'string') return tokens.get(value) ?? value;
  if (Array.isArray(value)) return value.map((item) => withTokens(item, tokens));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withTokens(item, tokens)]));
  }
  return value;
}

function rebuildBody(
  request: RecordedRequest,
  tokens: Map<string, string>,
): { body?: Buffer; contentType?: string } {
  if (request.body?.kind === 'json')
    return {
      body: Buffer.from(JSON.stringify(withTokens(request.body.json, tokens))),
      contentType: 'application/json',
    };
  if (request.body?.kind !== 'multipart') return {};
  const parts: RawPart[] =
    request.upload_files !== undefined
      ? request.upload_files.map((file) => ({
          name: file.field,
          filename: file.filename,
          contentType: file.content_type,
          data: filler(file.decoded_size, file.field).toString('base64'),
        }))
      : (request.body.parts ?? []).map((part) => ({
          name: part.name,
          ...(part.filename === null ? {} : { filename: part.filename }),
          ...(part.content_type === null ? {} : { contentType: part.content_type }),
          data:
            part.json !== undefined
              ? JSON.stringify(withTokens(part.json, tokens))
              : filler(part.size, part.head),
        }));
  const encoded = encodeMultipart(parts);
  return { body: encoded.body, contentType: encoded.contentType };
}

async function replay(emulator: CloudflareEmulator, request: RecordedRequest, tokens: Map<string, string>) {
  const { body, contentType } = rebuildBody(request, tokens);
  const recordedAuth = request.headers.authorization?.replace(/^Bearer /, '') ?? '';
  const auth = recordedAuth.startsWith('<api-token') ? emulator.apiToken : tokens.get(recordedAuth);
  const url = new URL(`${emulator.url}${request.path.replace(/^\/client\/v4/, '')}`);
  for (const [key, value] of Object.entries(request.query)) url.searchParams.set(key, value);
  const response = await fetch(url, {
    method: request.method,
    headers: {
      'user-agent': request.headers['user-agent'] ?? 'wrangler',
      accept: request.headers.accept ?? '*/*',
      ...(auth === undefined ? {} : { authorization: `Bearer ${auth}` }),
      ...(contentType === undefined ? {} : { 'content-type': contentType }),
    },
    ...(body === undefined ? {} : { body }),
  });
  return { status: response.status, body: (await response.json()) as RecordedRequest['response']['body'] };
}

/** Stores every hash of the first session's manifest, so a replay finds nothing to upload. */
async function preloadAssets(emulator: CloudflareEmulator, variant: Variant): Promise<void> {
  const tokens = new Map<string, string>();
  const session = variant.requests.find((request) => request.kind === 'assets-upload-session');
  if (session === undefined) return;
  const opened = await replay(emulator, session, tokens);
  const jwt = (opened.body.result as { jwt: string }).jwt;
  const manifest = (session.body as { json: { manifest: Record<string, { hash: string; size: number }> } })
    .json.manifest;
  const unique = new Map(Object.values(manifest).map((entry) => [entry.hash, entry.size]));
  const upload = encodeMultipart(
    [...unique].map(([hash, size]) => ({
      name: hash,
      filename: hash,
      contentType: 'application/null',
      data: filler(size).toString('base64'),
    })),
  );
  const response = await fetch(
    `${emulator.url}/accounts/${emulator.accountId}/workers/assets/upload?base64=true`,
    {
      method: 'POST',
      headers: { authorization: `Bearer ${jwt}`, 'content-type': upload.contentType },
      body: upload.body,
    },
  );
  expect(response.status).toBe(201);
  emulator.resetStats();
}

describe('the emulator accepts what real wrangler sends', () => {
  let emulator: CloudflareEmulator;
  afterEach(async () => {
    await emulator.close();
  });

  it.each(capture.variants.map((variant) => [variant.name, variant] as const))(
    'replays variant %s with the recorded kinds of responses',
    async (_name, variant) => {
      // Prepare
      emulator = await startCloudflareEmulator({
        accountId: 'acc123',
        namespaces: ['my-ns'],
        bucketMaxFiles: Number(variant.server_env.BUCKET_MAX_FILES ?? 100),
      });
      if (variant.server_env.UPLOAD_MODE === 'none') await preloadAssets(emulator, variant);
      const tokens = new Map<string, string>();
      const script = variant.requests[0]?.path.split('/')[10];

      for (const request of variant.requests) {
        // Act
        const answer = await replay(emulator, request, tokens);

        // Assess
        const recorded = request.response;
        expect({ seq: request.kind, status: answer.status }).toEqual({
          seq: request.kind,
          status: recorded.status,
        });
        expect(answer.body.success).toBe(recorded.body.success);
        if (!recorded.body.success) {
          expect(answer.body.errors.map((error) => error.code)).toEqual(
            recorded.body.errors.map((error) => error.code),
          );
          continue;
        }
        const result = answer.body.result as Record<string, unknown>;
        for (const key of Object.keys(recorded.body.result ?? {})) {
          if (!NOT_IN_CONTRACT.has(key)) expect(result).toHaveProperty(key);
        }
        const recordedJwt = recorded.body.result?.jwt;
        if (typeof recordedJwt === 'string') {
          const kind = PLACEHOLDER.exec(recordedJwt)?.[1];
          expect(claimsOf(result.jwt as string)).toMatchObject({
            kind,
            script,
          });
          tokens.set(recordedJwt, result.jwt as string);
        }
        if (request.kind === 'assets-upload-session')
          expect(result.buckets).toEqual(recorded.body.result?.buckets);
        if (request.kind === 'script-PUT') {
          for (const key of [
            'id',
            'has_assets',
            'has_modules',
            'compatibility_date',
            'compatibility_flags',
            'tags',
            'usage_model',
          ]) {
            expect(result[key]).toEqual(recorded.body.result?.[key]);
          }
        }
      }

      // Assess: the same sequence of request kinds, nothing off-contract, and the deploy stored.
      expect(emulator.stats().requests.map((request) => request.kind)).toEqual(
        variant.requests.map((request) => KINDS[request.kind]),
      );
      expect(emulator.stats().contractViolations).toEqual([]);
      const put = variant.requests.find((request) => request.kind === 'script-PUT');
      const name = put?.path.split('/').at(-1) ?? '';
      const stored = emulator.getScript('my-ns', name);
      const moduleParts = ((put?.body as { parts?: RecordedPart[] } | undefined)?.parts ?? []).filter(
        (part) => part.name !== 'metadata',
      );
      expect(
        [...(stored?.modules ?? new Map()).entries()].map(([part, module]) => [
          part,
          module.contentType,
          module.content.length,
        ]),
      ).toEqual(moduleParts.map((part) => [part.name, part.content_type, part.size]));
      const session = variant.requests.find((request) => request.kind === 'assets-upload-session');
      const manifest =
        (session?.body as { json: { manifest: Record<string, unknown> } } | undefined)?.json.manifest ?? {};
      expect([...(stored?.assets.keys() ?? [])].sort()).toEqual(Object.keys(manifest).sort());
    },
  );
});
