import { describe, expect, it } from 'vitest';
import { MultipartError, parseMultipart, readBoundary } from '../../../infra/local/cloudflare/multipart.js';
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
});
