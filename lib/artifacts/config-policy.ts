/**
 * The platform policy on a Worker config: compatibility flags against the denylist, and `vars` (string
 * values only unless JSON vars are allowed, identifier names, bounded count and size).
 */
import { InvalidArtifactError } from '../errors.js';
import type { ArtifactLimits, ArtifactPolicy } from './limits.js';

/** Binding names: identifiers, as the Workers runtime exposes them on `env`. */
export const BINDING_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const FLAG = /^[a-z0-9_]+$/;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `compatibility_flags`: names only, none on the denylist; duplicates dropped. */
export function readFlags(
  value: unknown,
  policy: ArtifactPolicy,
  entry: string,
  bad: (m: string) => Error,
): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((flag) => typeof flag === 'string' && FLAG.test(flag))) {
    throw bad('"compatibility_flags" must be a list of flag names (lower-case letters, digits, "_").');
  }
  const flags = value as string[];
  const denied = flags.find((flag) => policy.deniedCompatibilityFlags.includes(flag));
  if (denied !== undefined) {
    throw new InvalidArtifactError(
      'artifact.flag-not-allowed',
      `${entry}: the compatibility flag "${denied}" is not allowed on this platform.`,
      { entry },
    );
  }
  return [...new Set(flags)];
}

/** `vars`: identifier names; strings, or any JSON when the policy allows; bounded count and bytes. */
export function readVars(
  value: unknown,
  policy: ArtifactPolicy,
  limits: ArtifactLimits,
  entry: string,
  bad: (m: string) => Error,
): Record<string, unknown> {
  if (value === undefined) return {};
  if (!isObject(value)) throw bad('"vars" must be an object.');
  const names = Object.keys(value);
  const tooLarge = (message: string) =>
    new InvalidArtifactError('artifact.vars-too-large', `${entry}: ${message}`, { entry });
  if (names.length > limits.maxVars)
    throw tooLarge(`${names.length} vars; at most ${limits.maxVars} are allowed.`);
  let bytes = 0;
  for (const name of names) {
    if (!BINDING_NAME.test(name))
      throw bad(`the var name ${JSON.stringify(name)} is not a valid binding name.`);
    const item = value[name];
    if (typeof item !== 'string' && !policy.allowJsonVars) {
      throw new InvalidArtifactError(
        'artifact.binding-not-allowed',
        `${entry}: vars.${name} is a JSON value; only plain-text (string) vars are allowed.`,
        { entry },
      );
    }
    bytes +=
      Buffer.byteLength(name) + Buffer.byteLength(typeof item === 'string' ? item : JSON.stringify(item));
    if (bytes > limits.maxVarsBytes) throw tooLarge(`vars exceed ${limits.maxVarsBytes} bytes.`);
  }
  return { ...value };
}
