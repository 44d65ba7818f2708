/**
 * Messages of the teardown queue:
 * - `{"type":"tenant.closed","tenant":"<id>","requestedAt":"<ISO time>","reason"?:"...","requestedBy"?:"..."}`,
 *   also inside an EventBridge envelope (`detail`), so the platform can route its bus to the queue;
 * - `{"type":"tag.delete","tag":"<tag>","requestedAt"?:"...","requestedBy"?:"..."}` for operators;
 * - `{"type":"teardown.sweep","tenant":"<id>","requestedAt":"..."}`, the delayed second pass we send ourselves.
 * Values are validated here; the tenant and tag rules themselves are in lib/pipeline/{identity,tags}.ts.
 */
import { PipelineError } from '../errors.js';

export interface TenantClosed {
  type: 'tenant.closed';
  tenant: unknown;
  requestedAt: string;
  reason?: string;
  requestedBy: string;
}

export interface TagDelete {
  type: 'tag.delete';
  tag: unknown;
  requestedAt: string;
  requestedBy: string;
}

export interface TeardownSweep {
  type: 'teardown.sweep';
  tenant: unknown;
  requestedAt: string;
  requestedBy: string;
}

export type TeardownMessage = TenantClosed | TagDelete | TeardownSweep;

/** Larger bodies are not ours (an account-closure event is a few hundred bytes). */
export const MAX_TEARDOWN_MESSAGE_BYTES = 64 * 1024;
const MAX_TEXT = 500;

const malformed = (why: string) =>
  new PipelineError('event.malformed', `Malformed teardown message: ${why}.`);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, MAX_TEXT) : undefined;

function timestamp(value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || Number.isNaN(Date.parse(value)))
    throw malformed('requestedAt is not an ISO time');
  return new Date(Date.parse(value)).toISOString();
}

/** Parses a teardown queue body; `receivedAt` stands in for a missing `requestedAt`. */
export function parseTeardownMessage(body: string, receivedAt: string): TeardownMessage {
  if (Buffer.byteLength(body) > MAX_TEARDOWN_MESSAGE_BYTES) throw malformed('the body is too large');
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw malformed('the body is not JSON');
  }
  if (!isObject(value)) throw malformed('not a JSON object');
  // An EventBridge envelope: the event is in `detail`, the sender in `source`.
  const envelope = isObject(value.detail) && typeof value['detail-type'] === 'string' ? value : undefined;
  const event = envelope === undefined ? value : (value.detail as Record<string, unknown>);
  const requestedBy = text(event.requestedBy) ?? text(envelope?.source) ?? 'teardown-queue';
  const requestedAt = timestamp(event.requestedAt ?? envelope?.time, receivedAt);
  const type = event.type ?? (envelope?.['detail-type'] === 'tenant.closed' ? 'tenant.closed' : undefined);
  switch (type) {
    case 'tenant.closed': {
      const reason = text(event.reason);
      return {
        type: 'tenant.closed',
        tenant: event.tenant,
        requestedAt,
        requestedBy,
        ...(reason === undefined ? {} : { reason }),
      };
    }
    case 'tag.delete':
      return { type: 'tag.delete', tag: event.tag, requestedAt, requestedBy };
    case 'teardown.sweep':
      return { type: 'teardown.sweep', tenant: event.tenant, requestedAt, requestedBy };
    default:
      throw malformed(`unknown type ${JSON.stringify(String(type).slice(0, 40))}`);
  }
}
