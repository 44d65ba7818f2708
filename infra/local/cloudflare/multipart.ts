/**
 * A multipart/form-data parser over a buffered body. Bodies are bounded (a bucket is ~67 MB of base64),
 * and scanning with Buffer.indexOf is about 3x faster than `Request.formData()` on a 50 MiB bucket
 * (README, Design decisions), while keeping each part's own headers (Content-Type, filename).
 */

/** One part, its bytes a view into the request body (copy what you keep). */
export interface MultipartPart {
  name: string;
  filename: string | undefined;
  /** The part's Content-Type, undefined when it has none (a plain string field). */
  contentType: string | undefined;
  data: Buffer;
}

export class MultipartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MultipartError';
  }
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

/** The boundary of a `multipart/form-data` Content-Type, or undefined when it is something else. */
export function readBoundary(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const [type, ...params] = contentType.split(';');
  if (type?.trim().toLowerCase() !== 'multipart/form-data') return undefined;
  for (const param of params) {
    const match = /^\s*boundary\s*=\s*(?:"([^"]+)"|([^\s;]+))\s*$/i.exec(param);
    const boundary = match?.[1] ?? match?.[2];
    if (boundary !== undefined && boundary.length <= 70) return boundary;
  }
  return undefined;
}

/** Parameters of a Content-Disposition value (`form-data; name="x"; filename="y"`). */
function readDisposition(value: string): { name?: string; filename?: string } {
  const out: { name?: string; filename?: string } = {};
  const pattern = /;\s*([A-Za-z*]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))/g;
  for (let match = pattern.exec(value); match !== null; match = pattern.exec(value)) {
    const key = match[1]?.toLowerCase();
    const raw = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : (match[3] ?? '');
    if (key === 'name') out.name = raw;
    else if (key === 'filename') out.filename = raw;
    else if (key === 'filename*') out.filename = decodeURIComponent(raw.replace(/^[^']*'[^']*'/, ''));
  }
  return out;
}

function readHeaders(block: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new MultipartError('a part header line is malformed');
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

/** Splits `body` into its parts; throws {@link MultipartError} on anything malformed. */
export function parseMultipart(body: Buffer, boundary: string): MultipartPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const separator = Buffer.concat([CRLF, delimiter]);
  let position = body.indexOf(delimiter);
  if (position < 0) throw new MultipartError('the body has no opening boundary');
  position += delimiter.length;
  const parts: MultipartPart[] = [];
  for (;;) {
    if (body[position] === 0x2d && body[position + 1] === 0x2d) return parts; // closing `--`
    if (body[position] !== 0x0d || body[position + 1] !== 0x0a)
      throw new MultipartError('a boundary is not followed by CRLF');
    const headerStart = position + 2;
    const headerEnd = body.indexOf(HEADER_END, headerStart);
    if (headerEnd < 0) throw new MultipartError('a part has no end of headers');
    const headers = readHeaders(body.toString('utf8', headerStart, headerEnd));
    const disposition = headers.get('content-disposition');
    if (disposition === undefined || !/^form-data\b/i.test(disposition)) {
      throw new MultipartError('a part has no form-data Content-Disposition');
    }
    const { name, filename } = readDisposition(disposition);
    if (name === undefined) throw new MultipartError('a part has no name');
    const dataStart = headerEnd + HEADER_END.length;
    const dataEnd = body.indexOf(separator, dataStart);
    if (dataEnd < 0) throw new MultipartError('the body ends inside a part (no closing boundary)');
    parts.push({
      name,
      filename,
      contentType: headers.get('content-type'),
      data: body.subarray(dataStart, dataEnd),
    });
    position = dataEnd + separator.length;
  }
}
