/** Answers the emulator never gives, through a fetch stub that refuses unexpected URLs. */
import { describe, expect, it } from 'vitest';
import { createCloudflareClient } from '../../../lib/cloudflare/client.js';

const BASE = 'http://cloudflare.test/client/v4';
const SCRIPTS = `${BASE}/accounts/acc123/workers/dispatch/namespaces/ns/scripts`;

/** A fetch that answers each expected call in turn and fails the test on anything else. */
function scriptedFetch(answers: Array<{ url: string; method: string; status?: number; body: unknown }>) {
  const calls: string[] = [];
  const stub = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = String(input);
    const next = answers.shift();
    calls.push(`${init?.method} ${url}`);
    if (next === undefined || !url.startsWith(next.url) || init?.method !== next.method) {
      throw new Error(`unexpected request ${init?.method} ${url}`);
    }
    return new Response(JSON.stringify(next.body), {
      status: next.status ?? 200,
      headers: { 'content-type': 'application/json' },
    });
  };
  return { fetch: stub as typeof fetch, calls };
}

const client = (fetchStub: typeof fetch) =>
  createCloudflareClient({
    apiToken: 'stub-token-123456',
    accountId: 'acc123',
    baseURL: BASE,
    fetch: fetchStub,
    retries: 1,
    minRetryDelayMs: 0,
    maxRetryDelayMs: 0,
  });
const envelope = (result: unknown, resultInfo?: unknown) => ({
  success: true,
  errors: [],
  messages: [],
  result,
  ...(resultInfo ? { result_info: resultInfo } : {}),
});

describe('namespace-wide calls against unusual answers', () => {
  it('sends tags=<tag>:yes with the page limit and accepts a bulk delete answer without the envelope', async () => {
    // Prepare
    const stub = scriptedFetch([
      { url: SCRIPTS, method: 'DELETE', body: { deleted: [{ id: 'a' }], deleted_count: 1, has_more: false } },
    ]);

    // Act
    const result = await client(stub.fetch).deleteScriptsByTag('ns', 'tenant-acme');

    // Assess
    expect(result).toEqual({ deleted: ['a'] });
    expect(stub.calls).toEqual([`DELETE ${SCRIPTS}?tags=tenant-acme%3Ayes&limit=1000`]);
  });

  it('stops with teardown.incomplete when a round deletes nothing yet reports more', async () => {
    // Prepare
    const stub = scriptedFetch([
      {
        url: SCRIPTS,
        method: 'DELETE',
        body: envelope({ deleted: [{ id: 'a' }], deleted_count: 1, has_more: true }),
      },
      { url: SCRIPTS, method: 'DELETE', body: envelope({ deleted: [], deleted_count: 0, has_more: true }) },
    ]);

    // Act
    const error = await client(stub.fetch)
      .deleteScriptsByTag('ns', 'tenant-acme')
      .catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({
      code: 'teardown.incomplete',
      category: 'transient',
      details: { tag: 'tenant-acme', deleted: 1 },
    });
    expect(stub.calls).toHaveLength(2);
  });

  it('refuses a list whose cursor repeats instead of looping forever', async () => {
    // Prepare
    const page = (id: string) => envelope([{ script: { id, tags: null } }], { cursor: 'same' });
    const stub = scriptedFetch([
      { url: SCRIPTS, method: 'GET', body: page('a') },
      { url: SCRIPTS, method: 'GET', body: page('b') },
    ]);

    // Act
    const error = await client(stub.fetch)
      .listScripts('ns')
      .catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ code: 'cloudflare.invalid-response' });
  });

  it('reports a 201 upload answer without a completion token as invalid-response after retrying', async () => {
    // Prepare
    const upload = `${BASE}/accounts/acc123/workers/assets/upload`;
    const stub = scriptedFetch([
      { url: upload, method: 'POST', status: 201, body: envelope({}) },
      { url: upload, method: 'POST', status: 201, body: envelope({}) },
    ]);

    // Act
    const error = await client(stub.fetch)
      .uploadBucket('eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.c2ln', [
        { hash: 'a'.repeat(32), content: Buffer.from('x'), contentType: null },
      ])
      .catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ code: 'cloudflare.invalid-response' });
    expect(stub.calls).toHaveLength(2);
  });

  it('reports a script PUT answered 200 without a script as invalid-response', async () => {
    // Prepare
    const stub = scriptedFetch([
      { url: `${SCRIPTS}/site`, method: 'PUT', body: envelope(null) },
      { url: `${SCRIPTS}/site`, method: 'PUT', body: envelope(null) },
    ]);

    // Act
    const error = await client(stub.fetch)
      .deployScript('ns', 'site', { modules: [], metadata: {} })
      .catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ code: 'cloudflare.invalid-response' });
  });
});
