import { describe, expect, it } from 'vitest';
import { createFaults } from '../../../infra/local/cloudflare/faults.js';
import { matchesFilter, parseTagFilter } from '../../../infra/local/cloudflare/handlers/rules.js';
import { createTokens } from '../../../infra/local/cloudflare/tokens.js';
import { readJwtExpiry } from '../../../lib/cloudflare/jwt.js';

describe('emulator tokens', () => {
  const subject = { account: 'acc123', namespace: 'my-ns', script: 'site', session: 's1' };
  const setup = () => {
    let now = 1_800_000_000_000;
    let generation = 1;
    const tokens = createTokens({
      secret: Buffer.alloc(32, 1),
      now: () => now,
      ttlSeconds: 3600,
      generation: () => generation,
    });
    return { tokens, advance: (ms: number) => (now += ms), revoke: () => (generation += 1) };
  };

  it('mints three-part JWTs whose exp wrangler-style readers can decode', () => {
    const { tokens } = setup();
    const jwt = tokens.mint('upload', subject);
    expect(jwt.split('.')).toHaveLength(3);
    expect(readJwtExpiry(jwt)).toBe(1_800_000_000 + 3600);
    expect(tokens.check(jwt, 'upload')).toMatchObject({ ok: true, claims: { ...subject, kind: 'upload' } });
  });

  it.each([
    [
      'an expired token',
      (t: ReturnType<typeof setup>, jwt: string) => {
        t.advance(3600_000);
        return jwt;
      },
      'expired',
    ],
    [
      'a revoked token',
      (t: ReturnType<typeof setup>, jwt: string) => {
        t.revoke();
        return jwt;
      },
      'expired',
    ],
    [
      'a tampered payload',
      (_t: ReturnType<typeof setup>, jwt: string) =>
        jwt.replace(/\.[^.]+\./, `.${Buffer.from('{"kind":"upload"}').toString('base64url')}.`),
      'signature',
    ],
    [
      'a two-part token',
      (_t: ReturnType<typeof setup>, jwt: string) => jwt.split('.').slice(0, 2).join('.'),
      'malformed',
    ],
  ])('refuses %s', (_label, spoil, reason) => {
    const setupResult = setup();
    const jwt = spoil(setupResult, setupResult.tokens.mint('upload', subject));
    expect(setupResult.tokens.check(jwt, 'upload')).toEqual({ ok: false, reason });
  });

  it('refuses a completion token where an upload token is needed', () => {
    const { tokens } = setup();
    expect(tokens.check(tokens.mint('completion', subject), 'upload')).toEqual({
      ok: false,
      reason: 'wrong-kind',
    });
  });
});

describe('emulator faults', () => {
  const sequence = (seed: number) => {
    const faults = createFaults();
    faults.set({ seed, errorRates: { 500: 0.3, 429: 0.2 }, dropRate: 0.1 });
    return Array.from({ length: 40 }, () => {
      const fault = faults.decide('upload').fault;
      return fault?.type === 'status' ? fault.status : (fault?.type ?? 'ok');
    });
  };

  it('is deterministic per seed and varies between seeds', () => {
    expect(sequence(7)).toEqual(sequence(7));
    expect(sequence(7)).not.toEqual(sequence(8));
    expect(new Set(sequence(7))).toEqual(new Set(['ok', 500, 429, 'drop']));
  });

  it('serves one-shot faults first, per kind, then falls back to the rates', () => {
    // Prepare
    const faults = createFaults();
    faults.once('session', { type: 'status', status: 502 }, 2);
    faults.once('any', { type: 'drop' });

    // Act
    const kinds = ['upload', 'session', 'session', 'session', 'list'] as const;
    const decided = kinds.map((kind) => faults.decide(kind).fault?.type ?? 'none');

    // Assess
    expect(decided).toEqual(['drop', 'status', 'status', 'none', 'none']);
  });

  it('limits rate faults to the configured kinds and adds latency in range', () => {
    const faults = createFaults();
    faults.set({ kinds: ['upload'], errorRates: { 500: 1 }, latencyMs: { min: 10, max: 20 } });
    expect(faults.decide('list')).toEqual({ latencyMs: 0, fault: undefined });
    const upload = faults.decide('upload');
    expect(upload.fault).toMatchObject({ type: 'status', status: 500 });
    expect(upload.latencyMs).toBeGreaterThanOrEqual(10);
    expect(upload.latencyMs).toBeLessThanOrEqual(20);
  });

  it('adds Retry-After to injected 429s and nothing after reset', () => {
    const faults = createFaults();
    faults.set({ errorRates: { 429: 1 }, retryAfterSeconds: 3, retryAfterMs: 2500 });
    expect(faults.decide('list').fault).toEqual({
      type: 'status',
      status: 429,
      retryAfterSeconds: 3,
      retryAfterMs: 2500,
    });
    faults.reset();
    expect(faults.decide('list').fault).toBeUndefined();
  });
});

describe('emulator tag filters', () => {
  it.each([
    ['tenant-a:yes', ['tenant-a', 'x'], true],
    ['tenant-a:yes', ['tenant-b'], false],
    ['tenant-a:yes,plan-pro:yes', ['tenant-a'], false],
    ['tenant-a:yes,staging:no', ['tenant-a', 'staging'], false],
    ['tenant-a:yes,staging:no', ['tenant-a'], true],
  ])('%s on %j matches: %s', (filter, tags, expected) => {
    expect(matchesFilter(tags, parseTagFilter(filter))).toBe(expected);
  });

  it.each(['tenant-a', 'tenant-a:maybe', ':yes', 'a b:yes', 'a:yes,,b:yes'])(
    'refuses the filter %j',
    (filter) => {
      expect(() => parseTagFilter(filter)).toThrow(expect.objectContaining({ status: 400, code: 10004 }));
    },
  );
});
