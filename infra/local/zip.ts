/** Zips a directory or an in-memory file map (yazl, deflate, fixed timestamps) for local mode and tests. */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { ZipFile } from 'yazl';

const FIXED_TIME = new Date('2026-01-01T00:00:00Z');

/** A zip of `files` (archive path -> content). */
export function zipFiles(files: Record<string, string | Uint8Array>): Promise<Buffer> {
  const zip = new ZipFile();
  for (const [path, content] of Object.entries(files)) {
    zip.addBuffer(Buffer.from(content), path, { mtime: FIXED_TIME, mode: 0o100644 });
  }
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (chunk: Buffer) => chunks.push(chunk));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}

/** Every file under `directory`, by archive path (forward slashes). */
export async function readDirectoryFiles(directory: string): Promise<Record<string, Buffer>> {
  const out: Record<string, Buffer> = {};
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    out[relative(directory, full).split(sep).join('/')] = await readFile(full);
  }
  return out;
}

/** A zip of everything under `directory`. */
export async function zipDirectory(directory: string): Promise<Buffer> {
  return zipFiles(await readDirectoryFiles(directory));
}
