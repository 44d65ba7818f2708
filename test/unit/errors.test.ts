import { describe, expect, it } from 'vitest';
import { ERROR_CODES, PipelineError, toPipelineError } from '../../lib/errors.js';

describe('PipelineError', () => {
  it('takes its category from the code registry', () => {
    const error = new PipelineError('artifact.corrupt', 'bad CRC', { entry: '/index.html' });

    expect(error.category).toBe('user-input');
    expect(error.toJSON()).toEqual({
      category: 'user-input',
      code: 'artifact.corrupt',
      message: 'bad CRC',
      entry: '/index.html',
    });
  });

  it('wraps unknown throws as internal.unexpected without exposing their message', () => {
    const wrapped = toPipelineError(new Error('token=abc secret detail'));

    expect(wrapped.code).toBe('internal.unexpected');
    expect(wrapped.category).toBe('bug');
    expect(wrapped.message).not.toContain('secret');
  });

  it('names every code area first, in lower case', () => {
    for (const code of Object.keys(ERROR_CODES)) expect(code).toMatch(/^[a-z0-9]+\.[a-z0-9-]+$/);
  });
});
