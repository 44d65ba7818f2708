/**
 * Who a build belongs to, derived only from the trusted object key: the tenant, the script, the build id,
 * the Cloudflare script name and the tenant tag. Everything here is validated against a strict character
 * set so that a key can never inject into a script name, a tag filter or another tenant's namespace.
 */
import { PipelineError } from '../errors.js';

/** A build, as named by its artifact key `<prefix><tenant>/<script>/<build>.zip`. */
export interface BuildRef {
  tenant: string;
  script: string;
  build: string;
}

/** Lower-case letters and digits in groups joined by single hyphens (no leading, trailing or double `-`). */
const SEGMENT = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
/** A build id: letters, digits, `.`, `_`, `-`, starting with a letter or digit. */
const BUILD = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Tenant ids are at most 30 characters so that `<tenant>--<script>` fits Cloudflare's 63. */
export const MAX_TENANT_LENGTH = 30;
/** Script segments are at most 30 characters, for the same reason. */
export const MAX_SCRIPT_LENGTH = 30;
/** Build ids are at most 128 characters. */
export const MAX_BUILD_LENGTH = 128;
/** The separator between tenant and script in the Cloudflare script name; segments never contain it. */
const SCRIPT_NAME_SEPARATOR = '--';

/** True when `tenant` is a valid tenant id. */
export const isValidTenant = (tenant: string): boolean =>
  tenant.length <= MAX_TENANT_LENGTH && SEGMENT.test(tenant);

/** Validates a tenant id; the error explains the rule. */
export function assertTenant(
  tenant: unknown,
  code: 'key.bad-tenant' | 'tenant.invalid' = 'tenant.invalid',
): string {
  if (typeof tenant !== 'string' || !isValidTenant(tenant)) {
    const shown = typeof tenant === 'string' ? JSON.stringify(tenant.slice(0, 80)) : typeof tenant;
    throw new PipelineError(
      code,
      `Tenant id ${shown} is not valid: use 1-${MAX_TENANT_LENGTH} lower-case letters and digits, in groups joined by single hyphens.`,
    );
  }
  return tenant;
}

/** Decodes an S3 event key: form-style `+` is a space, then percent-decoding. */
export function decodeS3EventKey(encoded: string): string {
  try {
    return decodeURIComponent(encoded.replace(/\+/g, ' '));
  } catch {
    throw new PipelineError('key.bad-layout', 'The object key in the event is not valid percent-encoding.');
  }
}

/** Parses `<prefix><tenant>/<script>/<build>.zip` (already decoded) into a {@link BuildRef}. */
export function parseArtifactKey(key: string, prefix = ''): BuildRef {
  const layout = `${prefix}<tenant>/<script>/<build>.zip`;
  if (!key.startsWith(prefix) || !key.endsWith('.zip')) {
    throw new PipelineError(
      'key.bad-layout',
      `Key ${JSON.stringify(key.slice(0, 200))} does not follow ${layout}.`,
    );
  }
  const parts = key.slice(prefix.length, -'.zip'.length).split('/');
  if (parts.length !== 3) {
    throw new PipelineError(
      'key.bad-layout',
      `Key ${JSON.stringify(key.slice(0, 200))} does not follow ${layout}.`,
    );
  }
  const [tenant = '', script = '', build = ''] = parts;
  assertTenant(tenant, 'key.bad-tenant');
  if (script.length > MAX_SCRIPT_LENGTH || !SEGMENT.test(script)) {
    throw new PipelineError(
      'key.bad-script',
      `Script ${JSON.stringify(script.slice(0, 80))} is not valid: use 1-${MAX_SCRIPT_LENGTH} lower-case letters and digits, in groups joined by single hyphens.`,
    );
  }
  if (build.length > MAX_BUILD_LENGTH || !BUILD.test(build)) {
    throw new PipelineError(
      'key.bad-build',
      `Build id ${JSON.stringify(build.slice(0, 80))} is not valid: use 1-${MAX_BUILD_LENGTH} letters, digits, '.', '_' or '-', starting with a letter or digit.`,
    );
  }
  return { tenant, script, build };
}

/** The artifact key of a build. */
export const artifactKey = (ref: BuildRef, prefix = ''): string =>
  `${prefix}${ref.tenant}/${ref.script}/${ref.build}.zip`;

/** The Cloudflare script name: namespaced per tenant, so two tenants never share a Worker. */
export const cloudflareScriptName = (ref: Pick<BuildRef, 'tenant' | 'script'>): string =>
  `${ref.tenant}${SCRIPT_NAME_SEPARATOR}${ref.script}`;

/** `tenant/script/build`, for logs and messages. */
export const describeBuild = (ref: BuildRef): string => `${ref.tenant}/${ref.script}/${ref.build}`;
