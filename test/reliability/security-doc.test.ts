/**
 * SECURITY.md backs every claim with a test, named as `file › describe › test`. This keeps those names
 * true: each cited file exists and contains each cited describe and test name, so renaming or deleting a
 * backing test without updating the threat model fails here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const doc = readFileSync(new URL('../../SECURITY.md', import.meta.url), 'utf8');
const citations = [...doc.matchAll(/`(test\/[^`]+)`/g)].map((match) => match[1] ?? '');

describe('SECURITY.md citations', () => {
  it('cites a test for every section', () => {
    expect(citations.length).toBeGreaterThan(40);
  });

  it.each(citations)('%s exists', (citation) => {
    const [file = '', ...names] = citation.split(' › ');
    const path = new URL(`../../${file}`, import.meta.url);

    expect(existsSync(path)).toBe(true);
    const source = readFileSync(path, 'utf8');
    for (const name of names.filter((segment) => segment !== '…')) {
      expect(source, `${file} should contain ${JSON.stringify(name)}`).toContain(name);
    }
  });
});
