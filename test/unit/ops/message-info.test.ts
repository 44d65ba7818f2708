import { describe, expect, it } from 'vitest';
import { correlationFields, describeMessage, keyCorrelationFields } from '../../../lib/ops/message-info.js';
import type { QueueName } from '../../../lib/pipeline/ports.js';

const s3Notification = (key: string) =>
  JSON.stringify({
    Records: [
      {
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        eventTime: '2026-11-22T10:00:00.000Z',
        s3: { bucket: { name: 'artifacts' }, object: { key, size: 10, eTag: 'abc' } },
      },
    ],
  });

const SEALED = 'sealed:v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

describe('describeMessage', () => {
  it.each<[string, QueueName, string, Record<string, unknown>]>([
    [
      'an S3 notification',
      'ingest',
      s3Notification('acme/site/b-1.zip'),
      { tenant: 'acme', script: 'site', build: 'b-1', stage: 'ingest ObjectCreated:Put' },
    ],
    [
      'an S3 notification under a key prefix, form-encoded',
      'ingest',
      s3Notification('drops/v2/acme/my-site/build+7.zip'),
      { tenant: undefined, stage: 'ingest ObjectCreated:Put' },
    ],
    [
      'an S3 notification under a key prefix',
      'ingest',
      s3Notification('drops/v2/acme/my-site/build.7.zip'),
      { tenant: 'acme', script: 'my-site', build: 'build.7' },
    ],
    [
      'the S3 test event',
      'ingest',
      '{"Service":"Amazon S3","Event":"s3:TestEvent"}',
      { stage: 'ingest (s3:TestEvent)' },
    ],
    [
      'an upload message',
      'upload',
      JSON.stringify({
        v: 1,
        kind: 'upload',
        ref: { tenant: 'acme', script: 'site', build: 'b1' },
        sessionId: 'abcdef123',
        bucket: 3,
        token: SEALED,
      }),
      { tenant: 'acme', script: 'site', build: 'b1', stage: 'upload bucket 3 (session abcdef123)' },
    ],
    [
      'a finalize message',
      'finalize',
      JSON.stringify({
        v: 1,
        kind: 'finalize',
        ref: { tenant: 'acme', script: 'site', build: 'b1' },
        sessionId: 'abcdef123',
        reason: 'recovered',
      }),
      { tenant: 'acme', build: 'b1', stage: 'finalize (recovered)' },
    ],
    [
      'a tenant closure inside an EventBridge envelope',
      'teardown',
      JSON.stringify({ 'detail-type': 'tenant.closed', source: 'billing', detail: { tenant: 'acme' } }),
      { tenant: 'acme', stage: 'teardown (tenant.closed)' },
    ],
    [
      'a tag delete',
      'teardown',
      JSON.stringify({ type: 'tag.delete', tag: 'plan-free' }),
      { tag: 'plan-free', stage: 'teardown (tag.delete)' },
    ],
    [
      'a tag delete with an unprintable tag',
      'teardown',
      JSON.stringify({ type: 'tag.delete', tag: 'x\u001b[2Jy' }),
      { tag: undefined, stage: 'teardown (tag.delete)' },
    ],
    [
      'a closure of an invalid tenant',
      'teardown',
      JSON.stringify({ type: 'tenant.closed', tenant: '../Acme' }),
      { tenant: undefined, stage: 'teardown (tenant.closed)' },
    ],
    [
      'a body that is not JSON',
      'upload',
      'hello',
      { unreadable: 'message.malformed', stage: 'upload (unreadable)' },
    ],
    [
      'a message of another stage',
      'finalize',
      JSON.stringify({ v: 1, kind: 'upload' }),
      { unreadable: 'message.malformed' },
    ],
  ])('describes %s', (_, queue, body, expected) => {
    const info: Record<string, unknown> = { ...describeMessage(queue, body) };

    expect(info.queue).toBe(queue);
    for (const [key, value] of Object.entries(expected)) expect(info[key], key).toEqual(value);
  });

  it('never returns the body or its sealed token', () => {
    const body = JSON.stringify({
      v: 1,
      kind: 'upload',
      ref: { tenant: 'acme', script: 'site', build: 'b1' },
      sessionId: 'abcdef123',
      bucket: 0,
      token: SEALED,
    });

    expect(JSON.stringify(describeMessage('upload', body))).not.toContain('sealed:');
  });
});

describe('correlation fields', () => {
  it('gives tenant, script and build of a message, and nothing for an unreadable one', () => {
    expect(correlationFields('ingest', s3Notification('acme/site/b1.zip'))).toEqual({
      tenant: 'acme',
      script: 'site',
      build: 'b1',
    });
    expect(correlationFields('teardown', JSON.stringify({ type: 'tag.delete', tag: 'plan-x' }))).toEqual({
      tag: 'plan-x',
    });
    expect(correlationFields('upload', '{')).toEqual({});
  });

  it('reads an artifact key the same way, ignoring keys outside the layout', () => {
    expect(keyCorrelationFields('acme/site/b1.zip')).toEqual({ tenant: 'acme', script: 'site', build: 'b1' });
    expect(keyCorrelationFields('readme.txt')).toEqual({});
  });
});
