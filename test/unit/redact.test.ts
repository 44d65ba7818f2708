import { describe, expect, it } from 'vitest';
import { createRecordingLogger } from '../../lib/log.js';
import { containsSecret, redact, redactValue, registerSecret } from '../../lib/redact.js';

const jwt = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"exp":1}').toString('base64url')}.sig`;

describe('redact', () => {
  it('replaces JWTs and registered secrets', () => {
    registerSecret('cf-api-token-0123456789');

    const out = redact(`jwt=${jwt} token=cf-api-token-0123456789 ok`);

    expect(out).toBe('jwt=[redacted] token=[redacted] ok');
    expect(containsSecret(out)).toBe(false);
  });

  it('keeps secrets out of recorded log lines, nested fields included', () => {
    const log = createRecordingLogger({ service: 'test' });

    log.child({ build: 'b1' }).error(`failed with ${jwt}`, { detail: { header: `Bearer ${jwt}` } });

    const text = JSON.stringify(log.lines);
    expect(containsSecret(text)).toBe(false);
    expect(log.lines[0]).toMatchObject({ level: 'error', build: 'b1', service: 'test' });
  });

  it('redacts a secret nested deeper than the structure it keeps', () => {
    let deep: unknown = { header: `Bearer ${jwt}` };
    for (let level = 0; level < 20; level += 1) deep = { level, inner: deep };
    const log = createRecordingLogger({ service: 'test' });

    log.info('deep', { deep });

    expect(containsSecret(JSON.stringify(redactValue(deep)))).toBe(false);
    expect(containsSecret(JSON.stringify(log.lines))).toBe(false);
    expect(JSON.stringify(log.lines)).toContain('[redacted]');
  });

  it('keeps a "__proto__" field as a field', () => {
    const value = JSON.parse(`{"vars": {"__proto__": {"token": "${jwt}"}, "A": "x"}}`);

    const out = redactValue(value);

    expect(JSON.stringify(out)).toBe('{"vars":{"__proto__":{"token":"[redacted]"},"A":"x"}}');
  });
});
