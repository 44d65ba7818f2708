/**
 * Entry names: decoding (UTF-8 flag, then UTF-8 when valid, else CP437), normalisation (backslashes are
 * separators, `./` and empty segments dropped, NFC) and the safety checks every name must pass before it
 * is used as a path.
 */
import { InvalidArtifactError } from '../errors.js';
import { decodeCp437 } from './cp437.js';
import type { ArtifactLimits } from './limits.js';
import { type CentralRecord, FLAG_UTF8 } from './zip-records.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** C0 and C1 control characters (NUL included) and DEL. */
const CONTROL = /\p{Cc}/u;
/** Bidirectional overrides and isolates, which make a displayed path differ from the real one. */
const BIDI = /[\u202a-\u202e\u2066-\u2069]/;
const DRIVE = /^[A-Za-z]:/;

const tryUtf8 = (bytes: Uint8Array): string | undefined => {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
};

/** The entry's name as text. */
export function decodeEntryName(record: CentralRecord): string {
  if (record.unicodePath !== undefined) {
    const fromExtra = tryUtf8(record.unicodePath);
    if (fromExtra !== undefined) return fromExtra;
  }
  const asUtf8 = tryUtf8(record.rawName);
  if (asUtf8 !== undefined) return asUtf8;
  if ((record.flags & FLAG_UTF8) !== 0) {
    throw new InvalidArtifactError(
      'artifact.bad-name',
      'An entry name is flagged UTF-8 but is not valid UTF-8.',
      {
        entry: decodeCp437(record.rawName),
      },
    );
  }
  return decodeCp437(record.rawName);
}

/** A normalised entry name: `/`-separated segments, no leading or trailing slash, NFC. */
export interface EntryName {
  path: string;
  isDirectory: boolean;
}

/** Normalises `name` and rejects unsafe ones; `entry` in errors is the name as stored. */
export function normaliseEntryName(name: string, limits: ArtifactLimits): EntryName {
  const fail = (code: 'artifact.bad-name' | 'artifact.path-traversal', message: string) =>
    new InvalidArtifactError(code, message, { entry: name });
  if (name.length === 0) throw fail('artifact.bad-name', 'An entry has an empty name.');
  if (CONTROL.test(name))
    throw fail('artifact.bad-name', `The entry name ${JSON.stringify(name)} has a control character.`);
  if (BIDI.test(name)) {
    throw fail(
      'artifact.bad-name',
      `The entry name ${JSON.stringify(name)} has a bidirectional control character.`,
    );
  }
  const slashed = name.replaceAll('\\', '/');
  if (slashed.startsWith('/') || DRIVE.test(slashed)) {
    throw fail('artifact.path-traversal', `The entry ${JSON.stringify(name)} has an absolute path.`);
  }
  const segments = slashed.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) {
    throw fail('artifact.path-traversal', `The entry ${JSON.stringify(name)} has a ".." segment.`);
  }
  const isDirectory = slashed.endsWith('/');
  if (segments.length === 0 && !isDirectory)
    throw fail('artifact.bad-name', `The entry name ${JSON.stringify(name)} names no file.`);
  const path = segments.join('/').normalize('NFC');
  const tooLong = (what: string, max: number) =>
    new InvalidArtifactError('artifact.name-too-long', `The entry ${what} is longer than ${max} bytes.`, {
      entry: `/${path}`,
    });
  if (Buffer.byteLength(path) > limits.maxPathBytes) throw tooLong('path', limits.maxPathBytes);
  for (const segment of path.split('/')) {
    if (Buffer.byteLength(segment) > limits.maxSegmentBytes) {
      throw tooLong(`name segment ${JSON.stringify(segment.slice(0, 40))}…`, limits.maxSegmentBytes);
    }
  }
  return { path, isDirectory };
}

/** macOS resource forks (`__MACOSX/`) and Finder metadata (`.DS_Store`): never part of a site. */
export function isJunkPath(path: string): boolean {
  const segments = path.split('/');
  return segments.includes('__MACOSX') || segments[segments.length - 1] === '.DS_Store';
}
