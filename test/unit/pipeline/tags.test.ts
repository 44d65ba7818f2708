import { describe, expect, it } from 'vitest';
import { PipelineError } from '../../../lib/errors.js';
import { assertAssignableTag, buildScriptTags, DEFAULT_TAG_POLICY } from '../../../lib/pipeline/tags.js';

const codeOf = (run: () => unknown): string | undefined => {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof PipelineError ? error.code : 'not-a-pipeline-error';
  }
};

describe('script tags', () => {
  it('always puts the tenant tag first, then de-duplicated extra tags', () => {
    expect(buildScriptTags('acme', ' plan-pro, project-blog,plan-pro ', DEFAULT_TAG_POLICY)).toEqual([
      'tenant-acme',
      'plan-pro',
      'project-blog',
    ]);
  });

  it.each([
    ['another tenant tag (forgery)', 'tenant-globex', 'tag.reserved'],
    ['an unknown kind', 'team-red', 'tag.invalid'],
    ['a filter injection', 'plan-pro:yes', 'tag.invalid'],
    ['an ampersand', 'plan-pro&x=1', 'tag.invalid'],
    ['upper case', 'Plan-Pro', 'tag.invalid'],
    ['a bare kind', 'plan-', 'tag.invalid'],
  ])('rejects an extra tag that is %s', (_name, extra, code) => {
    expect(codeOf(() => buildScriptTags('acme', extra, DEFAULT_TAG_POLICY))).toBe(code);
  });

  it('allows at most 8 tags in all', () => {
    const seven = Array.from({ length: 7 }, (_, i) => `project-p${i}`).join(',');
    const eight = `${seven},project-p7`;

    expect(buildScriptTags('acme', seven, DEFAULT_TAG_POLICY)).toHaveLength(8);
    expect(codeOf(() => buildScriptTags('acme', eight, DEFAULT_TAG_POLICY))).toBe('tag.too-many');
  });
});

describe('tags an operator may delete by', () => {
  it.each([['tenant-acme'], ['plan-free'], ['project-blog']])('accepts %s', (tag) => {
    expect(assertAssignableTag(tag, DEFAULT_TAG_POLICY)).toBe(tag);
  });

  it.each([
    ['', 'tag.invalid'],
    ['   ', 'tag.invalid'],
    ['production', 'tag.not-ours'],
    ['tenant-', 'tag.invalid'],
    ['tenant-a,b', 'tag.invalid'],
    ['tenant-acme:yes', 'tag.invalid'],
    ['tenant-ac--me', 'tag.invalid'],
  ])('refuses %j with %s', (tag, code) => {
    expect(codeOf(() => assertAssignableTag(tag, DEFAULT_TAG_POLICY))).toBe(code);
  });
});
