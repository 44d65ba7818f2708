/**
 * Which environment variables `readConfig` reads, found by running it over a recording proxy, so the
 * template test compares serverless.yml with the code rather than with a hand-kept list.
 */
import { readConfig } from '../../lib/config.js';

/** Read by readConfig but never set by the template: local-mode overrides, or set by Lambda itself. */
const NOT_FROM_TEMPLATE = [
  'S3_ENDPOINT',
  'SQS_ENDPOINT',
  'CLOUDFLARE_API_BASE_URL',
  'CLOUDFLARE_API_TOKEN',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
];

const MINIMAL_ENV: Record<string, string> = {
  ARTIFACTS_BUCKET: 'artifacts',
  STATE_BUCKET: 'state',
  INGEST_QUEUE_URL: 'https://sqs.example/ingest',
  UPLOAD_QUEUE_URL: 'https://sqs.example/upload',
  FINALIZE_QUEUE_URL: 'https://sqs.example/finalize',
  TEARDOWN_QUEUE_URL: 'https://sqs.example/teardown',
  CLOUDFLARE_ACCOUNT_ID: '0123456789abcdef0123456789abcdef',
  DISPATCH_NAMESPACE: 'namespace',
  // Set so readConfig also looks at AWS_LAMBDA_FUNCTION_NAME (it refuses a plain token in Lambda).
  CLOUDFLARE_API_TOKEN: 'local-only',
};

/** The names readConfig reads, those the template must not set, and readConfig itself. */
export function configNamesRead(): {
  names: Set<string>;
  localOnly: string[];
  readConfigAccepts: (env: Record<string, string>) => void;
} {
  const names = new Set<string>();
  const recording = new Proxy(MINIMAL_ENV, {
    get(target, name) {
      if (typeof name === 'string') names.add(name);
      return typeof name === 'string' ? target[name] : undefined;
    },
  });
  readConfig(recording);
  return { names, localOnly: NOT_FROM_TEMPLATE, readConfigAccepts: (env) => void readConfig(env) };
}
