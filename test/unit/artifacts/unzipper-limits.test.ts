/**
 * Why the reader is our own and not unzipper (README "Design decisions"): unzipper 0.12.5 cannot meet the
 * requirements, shown here on archives built at test time. Each test runs unzipper and our reader on
 * the same bytes. (aws-notes §6 has the probes these repeat.)
 */
import { Readable } from 'node:stream';
import unzipper, { type CentralDirectory } from 'unzipper';
import { describe, expect, it } from 'vitest';
import { readArtifact } from '../../../lib/artifacts/read-artifact.js';
import { openBufferSource } from '../../../lib/artifacts/sources/buffer-source.js';
import { readZip, rejectionOf } from '../../helpers/zip-read.js';
import { buildZip, localHeaderOffset, patchBytes } from '../../helpers/zip-writer.js';

/** unzipper accepts `{ tailSize }` at run time; its type definitions leave the options out. */
const openBuffer = unzipper.Open.buffer as (
  data: Buffer,
  options?: { tailSize?: number },
) => Promise<CentralDirectory>;
/** The tail that covers the longest possible comment (22 + 65,535 bytes). */
const LARGE_TAIL = 65_557;

const WORKER = { name: 'worker.js', data: 'export default {}' };
const withLongComment = () =>
  buildZip([WORKER, { name: 'public/a.txt', data: 'a' }], { comment: `build ${'#'.repeat(100)}` });
const withNestedZipLast = () =>
  buildZip([
    WORKER,
    { name: 'public/bundle.zip', data: buildZip([{ name: 'inner.txt', data: 'inner' }]), method: 0 },
  ]);

const outcome = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (error: unknown) => `failed: ${(error as Error).message}`,
  );

describe('unzipper 0.12.5 versus our reader', () => {
  it('unzipper finds no tail size that opens both a long comment and a stored nested zip; we read both', async () => {
    // Prepare
    const archives = [withLongComment(), withNestedZipLast()];
    // Act
    const withDefaultTail = await Promise.all(archives.map((zip) => outcome(openBuffer(zip))));
    const withLargeTail = await Promise.all(
      archives.map((zip) => outcome(openBuffer(zip, { tailSize: LARGE_TAIL }))),
    );
    const ours = await Promise.all(archives.map((zip) => outcome(readZip(zip))));
    // Assess
    expect(withDefaultTail[0]).toMatch(/^failed/);
    expect(withLargeTail[1]).toMatch(/^failed/);
    expect(ours).toEqual(['ok', 'ok']);
  });

  it('unzipper returns a damaged stored entry without complaint; we reject it (no CRC check there)', async () => {
    const zip = buildZip([WORKER, { name: 'public/a.txt', data: 'hello world', method: 0 }]);
    const damaged = patchBytes(
      zip,
      localHeaderOffset(zip, 'public/a.txt') + 30 + 'public/a.txt'.length,
      (view) => {
        view[0] = 0x4a;
      },
    );
    const directory = await openBuffer(damaged);
    const file = directory.files.find((entry) => entry.path === 'public/a.txt');
    await expect(file?.buffer()).resolves.toEqual(Buffer.from('Jello world'));
    await expect(rejectionOf(readZip(damaged))).resolves.toMatchObject({
      code: 'artifact.corrupt',
      entry: '/public/a.txt',
    });
  });

  it('unzipper feeds an unsupported method to inflate and fails with a misleading zlib error; we name the method', async () => {
    const zip = buildZip([
      WORKER,
      { name: 'public/a.bz2.txt', data: 'BZh91AY&SY fake bzip2 payload', method: 12 },
    ]);
    const directory = await openBuffer(zip);
    const file = directory.files.find((entry) => entry.path === 'public/a.bz2.txt');
    const theirs = await outcome(file?.buffer() ?? Promise.resolve());
    expect(theirs).toMatch(/^failed/);
    expect(theirs).not.toMatch(/method|bzip|unsupported/i);
    const ours = await rejectionOf(readZip(zip));
    expect(ours).toMatchObject({ code: 'artifact.unsupported-method', entry: '/public/a.bz2.txt' });
    expect(ours.message).toContain('bzip2');
  });

  it('unzipper issues one ranged read per entry; we read all entries in one stream', async () => {
    const zip = buildZip([
      WORKER,
      ...Array.from({ length: 40 }, (_, i) => ({ name: `public/${i}.txt`, data: `file ${i}` })),
    ]);
    let theirReads = 0;
    const directory = await unzipper.Open.custom({
      size: async () => zip.length,
      stream: (offset: number, length: number) => {
        theirReads += 1;
        return Readable.from([zip.subarray(offset, length === undefined ? undefined : offset + length)]);
      },
    });
    for (const file of directory.files) await file.buffer();
    const source = openBufferSource(zip);
    let ourStreams = 0;
    const stream = source.stream.bind(source);
    source.stream = (start, end) => {
      ourStreams += 1;
      return stream(start, end);
    };
    await readArtifact(source, { tenant: 'acme' });
    expect(theirReads).toBeGreaterThanOrEqual(41);
    expect(ourStreams).toBe(1);
  });
});
