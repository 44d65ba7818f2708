import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatTable } from '../../../lib/ops/format.js';

describe('operator output formatting', () => {
  it.each([
    [undefined, '-'],
    [850, '850 ms'],
    [3_240, '3.2 s'],
    [250_000, '4 min 10 s'],
    [7_500_000, '2 h 5 min'],
    [3 * 86_400_000 + 4 * 3_600_000, '3 d 4 h'],
  ])('formats %s ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each([
    [512, '512 B'],
    [1536, '1.5 KiB'],
    [12 * 1024 ** 2, '12.0 MiB'],
    [1.2 * 1024 ** 3, '1.20 GiB'],
  ])('formats %s bytes as %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it('pads columns to the widest cell and strips control characters from cells', () => {
    const table = formatTable(
      ['BUILD', 'CODE'],
      [
        ['b1', 'artifact.corrupt'],
        ['build-22', 'x\u001b[31my'],
      ],
    );

    expect(table).toBe(['BUILD     CODE', 'b1        artifact.corrupt', 'build-22  x [31my'].join('\n'));
  });
});
