/**
 * The AWS cost model per 1,000 deploys, from measured durations and request counts and the memory sizes
 * of infra/queues.ts. List prices, us-east-1, on-demand, no free tier:
 *   Lambda arm64   $0.0000133334 per GB-second, $0.20 per million invocations
 *   SQS standard   $0.40 per million requests (each message: one send share, one receive, one delete)
 *   S3 Standard    $0.005 per 1,000 PUT/COPY/POST/LIST, $0.0004 per 1,000 GET/HEAD; transfer S3 -> Lambda
 *                  in the same region is free
 * cost = N x [ sum over invocations (billed seconds x memory GB) x GBs + invocations x invoke
 *            + SQS requests x sqs + S3 PUT-class x put + S3 GET-class x get ]
 */
import { STAGE_QUEUES } from '../../infra/queues.js';
import type { Invocation } from './in-process.js';
import type { S3Counts } from './probes.js';

export const PRICES = {
  lambdaGbSecond: 0.0000133334,
  lambdaInvocation: 0.2 / 1e6,
  sqsRequest: 0.4 / 1e6,
  s3PutClass: 0.005 / 1000,
  s3GetClass: 0.0004 / 1000,
};

/** A 1,024 MB Lambda has ~0.58 vCPU (1,769 MB = 1 vCPU); the bench ran each stage on a full core. */
export const LAMBDA_CPU_SLOWDOWN_1024MB = 1769 / 1024;

const PUT_CLASS = new Set([
  'PutObjectCommand',
  'CopyObjectCommand',
  'ListObjectsV2Command',
  'DeleteObjectsCommand',
]);

/** What one deploy used, from an in-process run. */
export interface DeployUsage {
  invocations: Invocation[];
  /** SQS messages sent per queue (the S3 notification counts as the ingest message). */
  messages: Record<string, number>;
  s3: S3Counts;
}

/** Cost per `deploys` deploys, in dollars, split by service; `cpuSlowdown` stretches Lambda time. */
export function estimateCost(usage: DeployUsage, deploys = 1000, cpuSlowdown = 1) {
  const gbSeconds = usage.invocations.reduce((sum, invocation) => {
    const memoryGb = STAGE_QUEUES[invocation.stage].functionMemoryMb / 1024;
    return sum + (Math.ceil(invocation.ms * cpuSlowdown) / 1000) * memoryGb;
  }, 0);
  const lambda = gbSeconds * PRICES.lambdaGbSecond + usage.invocations.length * PRICES.lambdaInvocation;
  const messages = Object.values(usage.messages).reduce((sum, count) => sum + count, 0);
  const sendRequests = Object.values(usage.messages).reduce((sum, count) => sum + Math.ceil(count / 10), 0);
  const sqsRequests = sendRequests + 2 * messages;
  let putClass = 1; // the build system's PUT of the artifact
  let getClass = 0;
  for (const [command, count] of Object.entries(usage.s3.requests)) {
    if (PUT_CLASS.has(command)) putClass += count;
    else getClass += count;
  }
  const sqs = sqsRequests * PRICES.sqsRequest;
  const s3 = putClass * PRICES.s3PutClass + getClass * PRICES.s3GetClass;
  return {
    deploys,
    gbSecondsPerDeploy: gbSeconds,
    invocationsPerDeploy: usage.invocations.length,
    sqsRequestsPerDeploy: sqsRequests,
    s3PutClassPerDeploy: putClass,
    s3GetClassPerDeploy: getClass,
    lambda: lambda * deploys,
    sqs: sqs * deploys,
    s3: s3 * deploys,
    total: (lambda + sqs + s3) * deploys,
  };
}
