import { describe, expect, it } from 'vitest';
import { containsSecret } from '../../../lib/redact.js';
import { createTokenSealer } from '../../../lib/secrets/seal.js';

const jwt = `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from('{"exp":1}').toString('base64url')}.c2ln`;

describe('token sealer', () => {
  it('round-trips a token and hides it from anyone reading the message', () => {
    const sealer = createTokenSealer('api-token-one');

    const sealed = sealer.seal(jwt);

    expect(sealer.open(sealed)).toBe(jwt);
    expect(sealed).not.toContain(jwt.split('.')[1]);
    expect(containsSecret(sealed)).toBe(false);
  });

  it('refuses seals made under another API token, and tampered seals', () => {
    const sealed = createTokenSealer('api-token-one').seal(jwt);
    const tampered = `${sealed.slice(0, -2)}AA`;

    expect(createTokenSealer('api-token-two').open(sealed)).toBeUndefined();
    expect(createTokenSealer('api-token-one').open(tampered)).toBeUndefined();
    expect(createTokenSealer('api-token-one').open(jwt)).toBeUndefined();
  });
});
