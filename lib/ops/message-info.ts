/**
 * What a queue message refers to (tenant, script, build, stage), read from its body with the stages' own
 * parsers. Used by the replay tool, the status command, failure notes and log correlation. Nothing here
 * returns a body or a token: only identifiers that are safe to print.
 */
import { isPipelineError } from '../errors.js';
import type { LogFields } from '../log.js';
import { isValidTenant, parseArtifactKey } from '../pipeline/identity.js';
import { parseFinalizeMessage, parseUploadMessage } from '../pipeline/messages.js';
import type { QueueName } from '../pipeline/ports.js';
import { parseIngestBody } from '../pipeline/s3-events.js';
import { parseTeardownMessage } from '../teardown/messages.js';

/** The identifiers a message carries; `stage` says what the message asks for, in words. */
export interface MessageInfo {
  queue: QueueName;
  tenant?: string;
  script?: string;
  build?: string;
  /** Teardown by tag (`tag.delete`): the tag. */
  tag?: string;
  /** For example `upload bucket 2 (session abc)`, `finalize (completed)`, `teardown (tenant.closed)`. */
  stage: string;
  /** Set when the body does not parse; the message is then shown as unknown. */
  unreadable?: string;
}

/** The artifact layout is `<prefix><tenant>/<script>/<build>.zip`; the prefix always ends with `/`. */
function refOfKey(key: string) {
  const parts = key.split('/');
  if (parts.length < 3) return undefined;
  try {
    return parseArtifactKey(parts.slice(-3).join('/'));
  } catch {
    return undefined;
  }
}

function describeIngest(body: string): MessageInfo {
  const payload = parseIngestBody(body);
  if (payload.kind === 'test-event') return { queue: 'ingest', stage: 'ingest (s3:TestEvent)' };
  const [first] = payload.objects;
  const ref = first === undefined ? undefined : refOfKey(first.key);
  const more = payload.objects.length > 1 ? ` +${payload.objects.length - 1} objects` : '';
  return { queue: 'ingest', ...ref, stage: `ingest ${first?.eventName ?? ''}${more}`.trim() };
}

/** Tags are shown only when they are plainly printable (a body is untrusted input headed for a terminal). */
const PRINTABLE_TAG = /^[A-Za-z0-9._:-]{1,80}$/;

function describeTeardown(body: string): MessageInfo {
  const message = parseTeardownMessage(body, new Date(0).toISOString());
  if (message.type === 'tag.delete') {
    return {
      queue: 'teardown',
      ...(typeof message.tag === 'string' && PRINTABLE_TAG.test(message.tag) ? { tag: message.tag } : {}),
      stage: 'teardown (tag.delete)',
    };
  }
  const tenant =
    typeof message.tenant === 'string' && isValidTenant(message.tenant) ? message.tenant : undefined;
  return {
    queue: 'teardown',
    ...(tenant === undefined ? {} : { tenant }),
    stage: `teardown (${message.type})`,
  };
}

/** Describes a body of `queue`; never throws (an unreadable body is reported as such). */
export function describeMessage(queue: QueueName, body: string): MessageInfo {
  try {
    switch (queue) {
      case 'ingest':
        return describeIngest(body);
      case 'upload': {
        const message = parseUploadMessage(body);
        return {
          queue,
          ...message.ref,
          stage: `upload bucket ${message.bucket} (session ${message.sessionId})`,
        };
      }
      case 'finalize': {
        const message = parseFinalizeMessage(body);
        return { queue, ...message.ref, stage: `finalize (${message.reason})` };
      }
      case 'teardown':
        return describeTeardown(body);
    }
  } catch (error) {
    const why = isPipelineError(error) ? error.code : 'unreadable';
    return { queue, stage: `${queue} (unreadable)`, unreadable: why };
  }
}

/** The correlation keys of an artifact key (`tenant`, `script`, `build`), empty outside the layout. */
export function keyCorrelationFields(key: string): LogFields {
  return { ...refOfKey(key) };
}

/** The log correlation keys of a message: `tenant`, `script`, `build` (or `tag`) when the body has them. */
export function correlationFields(queue: QueueName, body: string): LogFields {
  const info = describeMessage(queue, body);
  const fields: LogFields = {};
  if (info.tenant !== undefined) fields.tenant = info.tenant;
  if (info.script !== undefined) fields.script = info.script;
  if (info.build !== undefined) fields.build = info.build;
  if (info.tag !== undefined) fields.tag = info.tag;
  return fields;
}
