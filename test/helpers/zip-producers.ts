/**
 * Real zip producers, run at test time on a site given as `path -> content`: Info-ZIP `zip`, python3's
 * `zipfile` and yazl, each with its options for streamed (data-descriptor) entries, zip64, stored
 * entries and archive comments. Files go through a real temp directory that is removed afterwards.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import yazl from 'yazl';

export type SiteFiles = Record<string, string | Buffer>;

export interface ProducerOptions {
  /** Write to a pipe / stream so entries carry data descriptors. */
  streamed?: boolean;
  zip64?: boolean;
  /** Store instead of deflate. */
  store?: boolean;
  comment?: string;
}

export interface Producer {
  name: string;
  zip(files: SiteFiles, options?: ProducerOptions): Promise<Buffer>;
}

async function withTempDir<T>(use: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'workers-drop-zip-'));
  try {
    return await use(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const check = (result: ReturnType<typeof spawnSync>, what: string) => {
  if (result.status !== 0) throw new Error(`${what} failed: ${String(result.stderr)}`);
  return result;
};

/** Info-ZIP `zip` 3.0, run inside a directory holding the site. */
export async function zipWithInfoZip(files: SiteFiles, options: ProducerOptions = {}): Promise<Buffer> {
  return withTempDir(async (dir) => {
    const site = join(dir, 'site');
    await mkdir(site);
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(site, path)), { recursive: true });
      await writeFile(join(site, path), content);
    }
    const flags = ['-r', '-q', '-X', ...(options.store ? ['-0'] : []), ...(options.zip64 ? ['-fz'] : [])];
    const out = join(dir, 'out.zip');
    const command = options.streamed
      ? `zip ${flags.join(' ')} - . | cat > "${out}"`
      : `zip ${flags.join(' ')} "${out}" .`;
    check(spawnSync('sh', ['-c', command], { cwd: site }), 'zip');
    if (options.comment !== undefined)
      check(spawnSync('zip', ['-q', '-z', out], { input: options.comment }), 'zip -z');
    return readFile(out);
  });
}

const PYTHON = `
import base64, io, json, sys, zipfile
spec = json.load(sys.stdin)
class Pipe(io.RawIOBase):
    def __init__(self): self.parts = []
    def writable(self): return True
    def write(self, b): self.parts.append(bytes(b)); return len(b)
target = Pipe() if spec['streamed'] else io.BytesIO()
method = zipfile.ZIP_STORED if spec['store'] else zipfile.ZIP_DEFLATED
with zipfile.ZipFile(target, 'w', method) as archive:
    for item in spec['files']:
        with archive.open(item['name'], 'w', force_zip64=spec['zip64']) as handle:
            handle.write(base64.b64decode(item['data']))
    if spec['comment'] is not None: archive.comment = spec['comment'].encode()
data = b''.join(target.parts) if spec['streamed'] else target.getvalue()
sys.stdout.buffer.write(data)
`;

/** python3 `zipfile` (writing to a non-seekable stream when `streamed`). */
export async function zipWithPython(files: SiteFiles, options: ProducerOptions = {}): Promise<Buffer> {
  const spec = {
    streamed: options.streamed === true,
    zip64: options.zip64 === true,
    store: options.store === true,
    comment: options.comment ?? null,
    files: Object.entries(files).map(([name, content]) => ({
      name,
      data: Buffer.from(content).toString('base64'),
    })),
  };
  const result = check(
    spawnSync('python3', ['-c', PYTHON], { input: JSON.stringify(spec), maxBuffer: 1024 ** 3 }),
    'python3 zipfile',
  );
  return result.stdout as Buffer;
}

/** yazl (read streams give data descriptors). */
export async function zipWithYazl(files: SiteFiles, options: ProducerOptions = {}): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  const entryOptions = { compress: options.store !== true, forceZip64Format: options.zip64 === true };
  for (const [name, content] of Object.entries(files)) {
    const data = Buffer.from(content);
    if (options.streamed) zip.addReadStream(Readable.from([data]), name, entryOptions);
    else zip.addBuffer(data, name, entryOptions);
  }
  zip.end({ forceZip64Format: options.zip64 === true, comment: options.comment ?? '' });
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Every producer, for tables that check all of them agree. */
export const PRODUCERS: readonly Producer[] = [
  { name: 'Info-ZIP zip', zip: zipWithInfoZip },
  { name: 'python3 zipfile', zip: zipWithPython },
  { name: 'yazl', zip: zipWithYazl },
];
