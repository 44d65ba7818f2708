import { describe, expect, it } from 'vitest';
import {
  MultipartError,
  MultipartScanner,
  parseMultipart,
  readBoundary,
} from '../../../infra/local/cloudflare/multipart.js';
import { encodeMultipart } from '../../helpers/cloudflare.js';

describe('emulator multipart parser', () => {
  it.each([
    ['multipart/form-data; boundary=abc', 'abc'],
    ['multipart/form-data; boundary="a b"', 'a b'],
    ['Multipart/Form-Data;charset=utf-8; boundary=xyz', 'xyz'],
    ['application/json', undefined],
    ['multipart/form-data', undefined],
    [undefined, undefined],
  ])('reads the boundary of %j', (type, expected) => {
    expect(readBoundary(type)).toBe(expected);
  });

  it('parses string fields and file parts with their own headers and exact bytes', () => {
    // Prepare
    const binary = Buffer.from([0, 13, 10, 45, 45, 255]);
    const { body, contentType } = encodeMultipart([
      { name: 'metadata', data: '{"a":1}' },
      { name: 'lib/x.wasm', filename: 'lib/x.wasm', contentType: 'application/wasm', data: binary },
      { name: 'empty', filename: 'empty', contentType: 'text/plain', data: '' },
    ]);

    // Act
    const parts = parseMultipart(body, readBoundary(contentType) ?? '');

    // Assess
    expect(
      parts.map(({ name, filename, contentType: type, data }) => ({ name, filename, type, data })),
    ).toEqual([
      { name: 'metadata', filename: undefined, type: undefined, data: Buffer.from('{"a":1}') },
      { name: 'lib/x.wasm', filename: 'lib/x.wasm', type: 'application/wasm', data: binary },
      { name: 'empty', filename: 'empty', type: 'text/plain', data: Buffer.alloc(0) },
    ]);
  });

  it('parses what undici sends for a FormData', async () => {
    // Prepare
    const form = new FormData();
    form.append('metadata', '{"main_module":"index.js"}');
    form.append(
      'index.js',
      new File(['export default {}'], 'index.js', { type: 'application/javascript+module' }),
    );
    const request = new Request('http://127.0.0.1/', { method: 'POST', body: form });

    // Act
    const parts = parseMultipart(
      Buffer.from(await request.arrayBuffer()),
      readBoundary(request.headers.get('content-type') ?? '') ?? '',
    );

    // Assess
    expect(parts.map((part) => [part.name, part.filename, part.contentType, part.data.toString()])).toEqual([
      ['metadata', undefined, undefined, '{"main_module":"index.js"}'],
      ['index.js', 'index.js', 'application/javascript+module', 'export default {}'],
    ]);
  });

  it.each([
    ['no opening boundary', 'garbage'],
    ['no closing boundary', '--b\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue'],
    ['no end of headers', '--b\r\nContent-Disposition: form-data; name="a"'],
    ['no name', '--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--'],
    ['a part that is not form-data', '--b\r\nContent-Disposition: attachment; name="a"\r\n\r\nx\r\n--b--'],
    ['a malformed header line', '--b\r\nbroken\r\n\r\nx\r\n--b--'],
  ])('rejects a body with %s', (_label, text) => {
    expect(() => parseMultipart(Buffer.from(text), 'b')).toThrow(MultipartError);
  });

  /** Feeds `body` to a scanner `step` bytes at a time, the way the request body arrives. */
  function scanInSteps(body: Buffer, boundary: string, step: number, keepData = true) {
    const seen: Array<{ name: string; at: number; data: string }> = [];
    let size = 0;
    const scanner = new MultipartScanner(
      boundary,
      (part) => seen.push({ name: part.name, at: size, data: part.data.toString('latin1') }),
      { keepData },
    );
    for (size = 0; size < body.length; ) {
      const next = Math.min(size + step, body.length);
      const chunk = body.subarray(size, next);
      size = next;
      scanner.push(chunk);
    }
    return { seen, scanner, finish: () => scanner.finish() };
  }

  it.each([1, 3, 7, 64, 100_000])('finds the same parts fed %i bytes at a time', (step) => {
    // Prepare: data holding boundary look-alikes that a resumed search must not mistake or miss
    const boundary = 'b0undary';
    const { body } = encodeMultipart([
      {
        name: 'a',
        filename: 'a',
        contentType: 'text/plain',
        data: `x\r\n--b0und\r\n--b0undar${'z'.repeat(50)}`,
      },
      { name: 'b', filename: 'b', data: Buffer.alloc(300, 0x2d) },
      { name: 'c', data: '' },
    ]);
    const fixed = Buffer.from(
      body.toString('latin1').replace(/----workers-drop-test-[0-9a-f]+/g, boundary),
      'latin1',
    );

    // Act
    const { seen, finish } = scanInSteps(fixed, boundary, step);
    const parts = finish();

    // Assess
    expect(parts).toEqual(parseMultipart(fixed, boundary));
    expect(parts.map((part) => part.name)).toEqual(['a', 'b', 'c']);
    expect(seen.map((part) => part.name)).toEqual(['a', 'b', 'c']);
  });

  it('reports a part as soon as its closing boundary has arrived, before the body ends', () => {
    // Prepare
    const { body, contentType } = encodeMultipart([
      { name: 'first', filename: 'first', data: 'one' },
      { name: 'second', filename: 'second', data: 'z'.repeat(10_000) },
    ]);
    const firstEnds =
      body.indexOf('\r\n--', body.indexOf('one')) + 2 + (readBoundary(contentType) ?? '').length + 2;

    // Act
    const { seen, finish } = scanInSteps(body, readBoundary(contentType) ?? '', 16);
    finish();

    // Assess
    expect(seen[0]?.name).toBe('first');
    expect(seen[0]?.at).toBeLessThanOrEqual(firstEnds + 16);
    expect(seen[1]?.at).toBeGreaterThan(10_000);
  });

  it.each([1, 7, 64, 100_000])(
    'without keeping the data, hands each part over whole once, fed %i bytes at a time',
    (step) => {
      // Prepare: parts around and across chunk edges, with boundary look-alikes inside
      const { body, contentType } = encodeMultipart(
        Array.from({ length: 12 }, (_, i) => ({
          name: `p${i}`,
          filename: `p${i}`,
          contentType: 'application/null',
          data: `${'v'.repeat(i * 37)}\r\n--${'w'.repeat(i)}`,
        })),
      );
      const boundary = readBoundary(contentType) ?? '';
      const whole = parseMultipart(body, boundary);

      // Act
      const { seen, finish } = scanInSteps(body, boundary, step, false);
      const parts = finish();

      // Assess: onPart saw every part's bytes; the parts kept afterwards carry none.
      expect(seen.map((part) => [part.name, part.data])).toEqual(
        whole.map((part) => [part.name, part.data.toString('latin1')]),
      );
      expect(parts.map((part) => [part.name, part.contentType, part.data.length])).toEqual(
        whole.map((part) => [part.name, part.contentType, 0]),
      );
    },
  );

  it('without keeping the data, holds about one part and one chunk, not the body', () => {
    // Prepare: a 4 MB body of 400 parts of 10 KB, arriving in 64 KiB chunks
    const { body, contentType } = encodeMultipart(
      Array.from({ length: 400 }, (_, i) => ({ name: `p${i}`, filename: `p${i}`, data: 'x'.repeat(10_000) })),
    );

    // Act
    const { scanner, finish, seen } = scanInSteps(body, readBoundary(contentType) ?? '', 64 * 1024, false);
    finish();

    // Assess
    expect(body.length).toBeGreaterThan(4_000_000);
    expect(seen).toHaveLength(400);
    expect(scanner.held).toBeLessThanOrEqual(256 * 1024);
  });

  it.each([
    ['garbage', 'the body has no opening boundary'],
    ['--b\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue', 'no closing boundary'],
    ['--b\r\nContent-Disposition: form-data; name="a"', 'a part has no end of headers'],
    ['--b\r\nbroken\r\n\r\nx\r\n--b--', 'a part header line is malformed'],
    ['--bX', 'a boundary is not followed by CRLF'],
  ])('fails a body fed byte by byte as a whole parse does (%j)', (text, message) => {
    for (const keepData of [true, false]) {
      const { finish } = scanInSteps(Buffer.from(text), 'b', 1, keepData);
      expect(finish).toThrow(MultipartError);
      expect(finish).toThrow(message);
    }
    expect(() => parseMultipart(Buffer.from(text), 'b')).toThrow(message);
  });
});
