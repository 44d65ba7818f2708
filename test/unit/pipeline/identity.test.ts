import { describe, expect, it } from 'vitest';
import { PipelineError } from '../../../lib/errors.js';
import { cloudflareScriptName, decodeS3EventKey, parseArtifactKey } from '../../../lib/pipeline/identity.js';

const codeOf = (run: () => unknown): string | undefined => {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof PipelineError ? error.code : 'not-a-pipeline-error';
  }
};

describe('artifact keys', () => {
  it('parses <tenant>/<script>/<build>.zip', () => {
    expect(parseArtifactKey('acme/blog/2026-11-22.1.zip')).toEqual({
      tenant: 'acme',
      script: 'blog',
      build: '2026-11-22.1',
    });
  });

  it('honours a configured prefix', () => {
    expect(parseArtifactKey('drops/acme/blog/b1.zip', 'drops/')).toEqual({
      tenant: 'acme',
      script: 'blog',
      build: 'b1',
    });
  });

  it('decodes S3 event keys: + is a space, then percent-decoding', () => {
    expect(decodeS3EventKey('acme/blog/build+1%2Bx.zip')).toBe('acme/blog/build 1+x.zip');
  });

  it.each([
    ['missing .zip', 'acme/blog/b1.tar', 'key.bad-layout'],
    ['too few segments', 'acme/b1.zip', 'key.bad-layout'],
    ['too many segments', 'acme/blog/x/b1.zip', 'key.bad-layout'],
    ['parent segment', '../blog/b1.zip', 'key.bad-tenant'],
    ['upper-case tenant', 'Acme/blog/b1.zip', 'key.bad-tenant'],
    ['tenant with a double hyphen', 'ac--me/blog/b1.zip', 'key.bad-tenant'],
    ['tenant that injects a tag filter', 'acme:yes,x/blog/b1.zip', 'key.bad-tenant'],
    ['tenant with a unicode look-alike', 'аcme/blog/b1.zip', 'key.bad-tenant'],
    ['over-long tenant', `${'a'.repeat(31)}/blog/b1.zip`, 'key.bad-tenant'],
    ['empty script', 'acme//b1.zip', 'key.bad-script'],
    ['script with a space', 'acme/my blog/b1.zip', 'key.bad-script'],
    ['build with a space', 'acme/blog/build 1.zip', 'key.bad-build'],
    ['build starting with a dot', 'acme/blog/..zip', 'key.bad-build'],
    ['over-long build', `acme/blog/${'b'.repeat(129)}.zip`, 'key.bad-build'],
  ])('rejects a key with %s', (_name, key, code) => {
    expect(codeOf(() => parseArtifactKey(key))).toBe(code);
  });

  it('names the Cloudflare script per tenant, so equal script names never collide across tenants', () => {
    expect(cloudflareScriptName({ tenant: 'acme', script: 'blog' })).toBe('acme--blog');
    expect(cloudflareScriptName({ tenant: 'acme', script: 'blog' })).not.toBe(
      cloudflareScriptName({ tenant: 'globex', script: 'blog' }),
    );
  });
});
