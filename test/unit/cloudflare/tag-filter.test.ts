import { describe, expect, it } from 'vitest';
import { assertFilterTag, buildTagFilter } from '../../../lib/cloudflare/tag-filter.js';
import { PipelineError } from '../../../lib/errors.js';

describe('tag filters', () => {
  it.each([
    '',
    ' ',
    'a,b',
    'a:yes',
    'a&tags=b',
    'a=b',
    'Tenant',
    'a b',
    'tab\t',
    'é',
    'a/b',
    'x'.repeat(1025),
  ])('refuses %j with tag.invalid', (tag) => {
    // Act
    const act = () => assertFilterTag(tag);

    // Assess
    expect(act).toThrow(PipelineError);
    expect(act).toThrow(expect.objectContaining({ code: 'tag.invalid', category: 'user-input' }));
  });

  it.each(['tenant-acme', 'a', '42', 'plan-pro-2', 'x'.repeat(1024)])('accepts %j', (tag) => {
    expect(() => assertFilterTag(tag)).not.toThrow();
  });

  it('builds an AND filter of :yes pairs, validating every tag', () => {
    expect(buildTagFilter(['tenant-acme', 'plan-pro'])).toBe('tenant-acme:yes,plan-pro:yes');
    expect(() => buildTagFilter(['tenant-acme', 'x,y'])).toThrow(
      expect.objectContaining({ code: 'tag.invalid' }),
    );
  });
});
