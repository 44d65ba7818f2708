/** Checks on the v4 envelope and results the generic SDK verbs hand back unparsed. */
import { InvalidResponseError } from './map-error.js';

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The `result` of a v4 envelope; throws {@link InvalidResponseError} when the body is not one. */
export function readEnvelopeResult(body: unknown, what: string): unknown {
  if (!isRecord(body) || !('result' in body)) throw new InvalidResponseError(`no v4 envelope for ${what}`);
  return body.result;
}

/** Strings only (tags arrive as `null` when a script has none). */
export const readTags = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((tag): tag is string => typeof tag === 'string') : [];

export const optionalString = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : undefined;
