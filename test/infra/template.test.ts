/**
 * The deployable stack, checked offline: serverless.yml is packaged with osls (no AWS credentials, no
 * network where the kernel allows it) and the compiled CloudFormation is asserted on. Two packagings run
 * once for the file: the defaults (plus the two required Cloudflare values) and one with every optional
 * feature switched on through --param.
 */
import unzipper from 'unzipper';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CfnResource, CfnTemplate, PackagedStack } from '../../infra/package-stack.js';
import { BUNDLE_BUDGET, packageStack } from '../../infra/package-stack.js';
import {
  DLQ_RETENTION_SECONDS,
  dlqName,
  MAX_VISIBILITY_TIMEOUT_SECONDS,
  queueName,
  SOURCE_RETENTION_SECONDS,
  STAGE_NAMES,
  STAGE_QUEUES,
  VISIBILITY_TIMEOUT_FACTOR,
} from '../../infra/queues.js';
import { CLIENT_DEFAULTS } from '../../lib/cloudflare/options.js';
import { LAMBDA_NODE_FLAGS, LAMBDA_PROCESS_ENV } from '../../scripts/bench/bundle.js';
import {
  actionsOf,
  dependencyGraph,
  effectiveResources,
  findCycle,
  isScopedResource,
  parameterValues,
  parameterViolations,
  policyStatements,
  resourcesOf,
} from './cfn.js';
import { configNamesRead } from './config-names.js';

const ACCOUNT_ID = '0123456789abcdef0123456789abcdef';
const REQUIRED = { cloudflareAccountId: ACCOUNT_ID, dispatchNamespace: 'customer-workers' };
const KMS_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const OPTIONAL = {
  keyPrefix: 'drops/',
  uploadMaxConcurrency: '5',
  alarmEmail: 'oncall@example.com',
  accountClosureEventBus: 'platform-events',
  cloudflareApiTokenKmsKeyArn: KMS_KEY,
  cloudflareApiTokenParameter: '/platform/workers-drop/cf-token',
};

const pascal = (name: string) => `${name[0]?.toUpperCase() ?? ''}${name.slice(1)}`;
const getAtt = (id: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [id, attribute] });

let base: PackagedStack;
let optional: PackagedStack;
/** The default stack as CloudFormation would create it. */
let resources: Record<string, CfnResource>;
/** The stack with every optional feature on. */
let optionalResources: Record<string, CfnResource>;

const props = (all: Record<string, CfnResource>, id: string): Record<string, unknown> => {
  const resource = all[id];
  if (resource === undefined) throw new Error(`no resource ${id}`);
  return resource.Properties ?? {};
};
const environmentOf = (fn: CfnResource): Record<string, unknown> | undefined =>
  (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables;
const ofType = (all: Record<string, CfnResource>, type: string) =>
  Object.entries(all).filter(([, resource]) => resource.Type === type);

beforeAll(async () => {
  [base, optional] = await Promise.all([
    packageStack({ region: 'eu-west-1', params: REQUIRED }),
    packageStack({ region: 'eu-west-1', params: { ...REQUIRED, ...OPTIONAL } }),
  ]);
  resources = effectiveResources(base.template);
  optionalResources = effectiveResources(optional.template);
}, 180_000);

afterAll(async () => {
  for (const stack of [base, optional]) {
    await stack?.dispose();
  }
});

describe('packaging', () => {
  it('compiles the stack offline, without AWS credentials, in well under a minute', () => {
    expect(base.template.Resources).toHaveProperty('IngestLambdaFunction');
    expect(base.durationMs).toBeLessThan(60_000);
  });

  it('passes --param values through to the template', () => {
    const upload = props(optional.template.Resources, 'UploadEventSourceMappingSQSUploadQueue');
    expect(upload.ScalingConfig).toEqual({ MaximumConcurrency: 5 });
    expect(parameterValues(optional.template).KeyPrefix).toBe('drops/');
  });
});

describe('parameters', () => {
  it('accepts the defaults plus the two required Cloudflare values', () => {
    expect(parameterViolations(base.template)).toEqual([]);
    expect(parameterViolations(optional.template)).toEqual([]);
  });

  it('makes CloudFormation refuse a deploy without the Cloudflare account and namespace', () => {
    const problems = parameterViolations(base.template, { CloudflareAccountId: '', DispatchNamespace: '' });
    expect(problems.map((problem) => problem.split('=')[0])).toEqual([
      'CloudflareAccountId',
      'DispatchNamespace',
    ]);
  });

  it.each<[string, string]>([
    ['KeyPrefix', 'drops'],
    ['DeployLeaseSeconds', '120'],
    ['TeardownSweepDelaySeconds', '600'],
    ['CloudflareApiTokenParameter', 'cloudflare-token'],
    ['CloudflareApiTokenKmsKeyArn', 'alias/aws/ssm'],
    ['TenantTagPrefix', 'Tenant_'],
    ['MaxTags', '9'],
    ['MaxFiles', '0'],
    ['AllowJsonVars', 'yes'],
    ['IngestHashThread', 'yes'],
    ['LogLevel', 'trace'],
    ['AlarmEmail', 'nobody'],
    ['ArtifactRetentionDays', '7'],
    ['BuildStateRetentionDays', '14'],
  ])('rejects %s=%s before anything is deployed', (name, value) => {
    const problems = parameterViolations(base.template, { [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${name}=`));
  });

  it('requires the deploy lease to outlive the finalize function', () => {
    const finalizeTimeout = props(resources, 'FinalizeLambdaFunction').Timeout as number;
    const lease = base.template.Parameters?.DeployLeaseSeconds ?? {};
    expect(lease.MinValue).toBe(finalizeTimeout + 1);
    expect(Number(parameterValues(base.template).DeployLeaseSeconds)).toBeGreaterThan(finalizeTimeout);
  });

  it('keeps the teardown sweep delay behind every stage timeout and within SQS DelaySeconds', () => {
    const longest = Math.max(
      ...['Ingest', 'Upload', 'Finalize'].map(
        (name) => props(resources, `${name}LambdaFunction`).Timeout as number,
      ),
    );
    const sweep = base.template.Parameters?.TeardownSweepDelaySeconds ?? {};
    expect(sweep.MinValue).toBeGreaterThanOrEqual(longest);
    expect(sweep.MaxValue).toBeLessThanOrEqual(900);
  });

  it('fits a whole Cloudflare retry chain in two thirds of the function timeout', () => {
    // Worst case without Retry-After: every attempt runs to its deadline, every wait is the longest backoff.
    // A longer Retry-After than the client's cap goes back to SQS as a visibility delay instead.
    const values = parameterValues(base.template);
    const retries = Number(values.CloudflareRetries);
    const chain = (attemptMs: number) =>
      (retries + 1) * attemptMs + retries * CLIENT_DEFAULTS.maxRetryDelayMs;
    const budget = (name: string) =>
      ((props(resources, `${name}LambdaFunction`).Timeout as number) * 1000 * 2) / 3;
    expect(chain(Number(values.CloudflareAttemptTimeoutMs))).toBeLessThanOrEqual(budget('Finalize'));
    expect(chain(Number(values.CloudflareUploadTimeoutMs))).toBeLessThanOrEqual(budget('Upload'));
  });
});

describe('functions', () => {
  it.each(STAGE_NAMES)('%s: nodejs22.x on arm64, sized from the stage table, with its own role', (stage) => {
    const fn = props(resources, `${pascal(stage)}LambdaFunction`);
    expect(fn).toMatchObject({
      Handler: `functions/${stage}.handler`,
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: STAGE_QUEUES[stage].functionMemoryMb,
      Timeout: STAGE_QUEUES[stage].functionTimeoutSeconds,
      Role: getAtt(`${pascal(stage)}Role`),
    });
    expect(props(resources, `${pascal(stage)}LogGroup`).RetentionInDays).toBe(30);
  });

  it('creates exactly the four stage functions, and no shared role', () => {
    const functions = ofType(resources, 'AWS::Lambda::Function').map(([id]) => id);
    expect(functions.sort()).toEqual(STAGE_NAMES.map((stage) => `${pascal(stage)}LambdaFunction`).sort());
    const roles = ofType(resources, 'AWS::IAM::Role').map(([id]) => id);
    expect(roles.sort()).toEqual(STAGE_NAMES.map((stage) => `${pascal(stage)}Role`).sort());
  });

  it('sets exactly the environment readConfig reads, and the template defaults pass it', () => {
    const { names, localOnly, readConfigAccepts } = configNamesRead();
    const set = new Set<string>();
    for (const [, fn] of ofType(resources, 'AWS::Lambda::Function')) {
      const variables = environmentOf(fn);
      for (const name of Object.keys(variables ?? {})) set.add(name);
      const env: Record<string, string> = { AWS_LAMBDA_FUNCTION_NAME: 'fn', AWS_REGION: 'eu-west-1' };
      for (const [name, value] of Object.entries(variables ?? {})) {
        // Unresolved references (queue URLs, bucket names) stand in as plausible values.
        env[name] =
          typeof value === 'string' ? value : name.endsWith('_URL') ? 'https://sqs.example/q' : 'ref';
      }
      expect(() => readConfigAccepts(env)).not.toThrow();
    }
    const extras = [
      'NODE_OPTIONS',
      'MALLOC_ARENA_MAX',
      'POWERTOOLS_SERVICE_NAME',
      'POWERTOOLS_METRICS_NAMESPACE',
    ];
    expect([...set].filter((name) => !names.has(name) && !extras.includes(name))).toEqual([]);
    expect([...names].filter((name) => !set.has(name) && !localOnly.includes(name))).toEqual([]);
  });
});

describe('secrets', () => {
  it('never puts the Cloudflare token, or anything secret-looking, in an environment variable', () => {
    for (const [id, fn] of ofType(base.template.Resources, 'AWS::Lambda::Function')) {
      const variables = environmentOf(fn);
      for (const [name, value] of Object.entries(variables ?? {})) {
        expect(`${id}.${name}`).not.toMatch(/TOKEN(?!_PARAMETER$)|SECRET|PASSWORD|CREDENTIAL|PRIVATE/);
        const text = JSON.stringify(value);
        expect(text).not.toMatch(/\{\{resolve:|secretsmanager|ssm-secure|Bearer /i);
        if (typeof value === 'string') expect(value).not.toMatch(/^[A-Za-z0-9_-]{40,}$/);
      }
    }
  });

  it('names the SSM parameter only, and no template string resolves a secret', () => {
    const text = JSON.stringify(base.template);
    expect(text).not.toMatch(/\{\{resolve:(ssm-secure|secretsmanager)/);
    expect(parameterValues(base.template).CloudflareApiTokenParameter).toBe(
      '/workers-drop/prod/cloudflare-api-token',
    );
    for (const [name, spec] of Object.entries(base.template.Parameters ?? {})) {
      if (/token/i.test(name)) expect(name).toMatch(/TokenParameter$|TokenKmsKeyArn$/);
      expect(spec.NoEcho).toBeUndefined();
    }
  });
});

describe('queues and event sources', () => {
  it.each(STAGE_NAMES)('%s: visibility 6x the timeout, redrive to its own DLQ, the table values', (stage) => {
    const spec = STAGE_QUEUES[stage];
    const queue = props(resources, `${pascal(stage)}Queue`);
    const dlq = props(resources, `${pascal(stage)}DeadLetterQueue`);
    const timeout = props(resources, `${pascal(stage)}LambdaFunction`).Timeout as number;
    expect(queue.QueueName).toBe(queueName('workers-drop', 'prod', stage));
    expect(dlq.QueueName).toBe(dlqName(queueName('workers-drop', 'prod', stage)));
    expect(queue.VisibilityTimeout).toBe(spec.visibilityTimeoutSeconds);
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(VISIBILITY_TIMEOUT_FACTOR * timeout);
    expect(queue.VisibilityTimeout).toBeLessThanOrEqual(MAX_VISIBILITY_TIMEOUT_SECONDS);
    expect(queue.RedrivePolicy).toEqual({
      deadLetterTargetArn: getAtt(`${pascal(stage)}DeadLetterQueue`),
      maxReceiveCount: spec.maxReceiveCount,
    });
    expect(queue.MessageRetentionPeriod).toBe(SOURCE_RETENTION_SECONDS);
    expect(dlq.MessageRetentionPeriod).toBe(DLQ_RETENTION_SECONDS);
    expect(DLQ_RETENTION_SECONDS).toBeGreaterThan(SOURCE_RETENTION_SECONDS);
    expect(queue.SqsManagedSseEnabled).toBe(true);
    expect(dlq.SqsManagedSseEnabled).toBe(true);
  });

  it.each(STAGE_NAMES)('%s: one mapping from its queue, batch/window/concurrency from the table', (stage) => {
    const spec = STAGE_QUEUES[stage];
    const mappings = ofType(resources, 'AWS::Lambda::EventSourceMapping').filter(([, mapping]) =>
      Object.is(
        JSON.stringify(mapping.Properties?.EventSourceArn),
        JSON.stringify(getAtt(`${pascal(stage)}Queue`)),
      ),
    );
    expect(mappings).toHaveLength(1);
    expect(mappings[0]?.[1].Properties).toMatchObject({
      FunctionName: getAtt(`${pascal(stage)}LambdaFunction`),
      BatchSize: spec.batchSize,
      MaximumBatchingWindowInSeconds: spec.maximumBatchingWindowSeconds,
      ScalingConfig: { MaximumConcurrency: spec.maximumConcurrency },
      Enabled: true,
    });
  });

  it('reports batch item failures on every SQS mapping', () => {
    const mappings = ofType(resources, 'AWS::Lambda::EventSourceMapping');
    expect(mappings).toHaveLength(STAGE_NAMES.length);
    for (const [, mapping] of mappings) {
      expect(mapping.Properties?.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    }
  });
});

describe('artifacts bucket', () => {
  const bucketNameTemplate = (template: CfnTemplate) =>
    (props(template.Resources, 'ArtifactsBucket').BucketName as { 'Fn::Sub': string })['Fn::Sub'];

  it('is encrypted, private, owner-enforced and versioned', () => {
    const bucket = props(resources, 'ArtifactsBucket');
    expect(bucket.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    expect(bucket.VersioningConfiguration).toEqual({ Status: 'Enabled' });
  });

  it('has a fixed name that fits S3 limits for a 12-digit account in the longest region names', () => {
    const name = bucketNameTemplate(base.template)
      .replace(`\${AWS::AccountId}`, '123456789012')
      .replace(`\${AWS::Region}`, 'ap-southeast-2');
    expect(name).toMatch(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/);
  });

  it('expires old artifacts and noncurrent versions, but not before the DLQs let go of them', () => {
    const rules = (
      props(resources, 'ArtifactsBucket').LifecycleConfiguration as { Rules: Record<string, unknown>[] }
    ).Rules;
    const days = DLQ_RETENTION_SECONDS / 86_400;
    const expiry = rules.find((rule) => rule.ExpirationInDays !== undefined);
    const noncurrent = rules.find((rule) => rule.NoncurrentVersionExpiration !== undefined);
    expect(Number(expiry?.ExpirationInDays)).toBeGreaterThan(days);
    expect(
      Number(
        (noncurrent?.NoncurrentVersionExpiration as { NoncurrentDays?: unknown } | undefined)?.NoncurrentDays,
      ),
    ).toBeGreaterThan(days);
    expect(rules.every((rule) => rule.Status === 'Enabled')).toBe(true);
  });

  it.each<[string, () => Record<string, CfnResource>, Record<string, string>[]]>([
    ['without a key prefix', () => resources, [{ Name: 'suffix', Value: '.zip' }]],
    [
      'with KEY_PREFIX',
      () => optionalResources,
      [
        { Name: 'prefix', Value: 'drops/' },
        { Name: 'suffix', Value: '.zip' },
      ],
    ],
  ])('notifies the ingest queue of new .zip objects %s', (_, stack, rules) => {
    expect(props(stack(), 'ArtifactsBucket').NotificationConfiguration).toEqual({
      QueueConfigurations: [
        { Event: 's3:ObjectCreated:*', Queue: getAtt('IngestQueue'), Filter: { S3Key: { Rules: rules } } },
      ],
    });
  });

  it('lets exactly this bucket of this account send to the ingest queue', () => {
    const policy = props(resources, 'IngestQueuePolicy');
    expect(policy.Queues).toEqual([{ Ref: 'IngestQueue' }]);
    expect((policy.PolicyDocument as { Statement: unknown[] }).Statement).toEqual([
      {
        Sid: 'AllowArtifactsBucketNotifications',
        Effect: 'Allow',
        Principal: { Service: 's3.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: getAtt('IngestQueue'),
        Condition: {
          ArnEquals: {
            'aws:SourceArn': {
              'Fn::Sub': `arn:\${AWS::Partition}:s3:::${bucketNameTemplate(base.template)}`,
            },
          },
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        },
      },
    ]);
    expect([base.template.Resources.ArtifactsBucket?.DependsOn].flat()).toEqual(['IngestQueuePolicy']);
  });

  it.each<[string, () => CfnTemplate]>([
    ['default', () => base.template],
    ['all options on', () => optional.template],
  ])('has no dependency cycle (%s)', (_, template) => {
    expect(findCycle(dependencyGraph(template()))).toBeUndefined();
  });

  it('would have a cycle if the queue policy referenced the bucket instead of naming it', () => {
    const template = structuredClone(base.template);
    const statement = (
      props(template.Resources, 'IngestQueuePolicy').PolicyDocument as {
        Statement: { Condition: { ArnEquals: Record<string, unknown> } }[];
      }
    ).Statement[0];
    if (statement === undefined) throw new Error('no statement');
    statement.Condition.ArnEquals['aws:SourceArn'] = getAtt('ArtifactsBucket');
    expect(findCycle(dependencyGraph(template))).toEqual(
      expect.arrayContaining(['ArtifactsBucket', 'IngestQueuePolicy']),
    );
  });
});

describe('state bucket', () => {
  it('is encrypted, private, unversioned, and expires only build state', () => {
    const bucket = props(resources, 'StateBucket');
    expect(bucket.BucketEncryption).toEqual(props(resources, 'ArtifactsBucket').BucketEncryption);
    expect(bucket.PublicAccessBlockConfiguration).toEqual(
      props(resources, 'ArtifactsBucket').PublicAccessBlockConfiguration,
    );
    expect(bucket.VersioningConfiguration).toBeUndefined();
    const rules = (bucket.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;
    const expiring = rules.filter((rule) => rule.ExpirationInDays !== undefined);
    expect(expiring).toEqual([
      expect.objectContaining({
        Prefix: 'builds/',
        ExpirationInDays: parameterValues(base.template).BuildStateRetentionDays,
      }),
    ]);
    for (const kept of ['results/', 'teardown/', 'scripts/', 'tombstones/']) {
      expect(expiring.some((rule) => kept.startsWith(String(rule.Prefix ?? '')))).toBe(false);
    }
  });

  it.each(['ArtifactsBucket', 'StateBucket'])(
    '%s refuses plain HTTP and is kept when the stack goes',
    (id) => {
      expect(base.template.Resources[id]?.DeletionPolicy).toBe('Retain');
      const policy = props(resources, `${id}Policy`).PolicyDocument as {
        Statement: Record<string, unknown>[];
      };
      expect(policy.Statement).toEqual([
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      ]);
    },
  );
});

describe('alarms', () => {
  const alarms = (all: Record<string, CfnResource>) =>
    ofType(all, 'AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties ?? {});

  it.each<[string, () => Record<string, CfnResource>]>([
    ['default', () => resources],
    ['all options on', () => optionalResources],
  ])('alarms on every dead-letter queue holding a message (%s)', (_, stack) => {
    const all = stack();
    const dlqs = ofType(all, 'AWS::SQS::Queue')
      .filter(([, queue]) => queue.Properties?.RedrivePolicy === undefined)
      .map(([id]) => id);
    expect(dlqs.length).toBeGreaterThanOrEqual(STAGE_NAMES.length);
    for (const dlq of dlqs) {
      const matching = alarms(all).filter(
        (alarm) =>
          JSON.stringify(alarm.Dimensions) ===
          JSON.stringify([{ Name: 'QueueName', Value: getAtt(dlq, 'QueueName') }]),
      );
      expect(matching, dlq).toEqual([
        expect.objectContaining({
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          AlarmActions: [{ Ref: 'AlarmTopic' }],
        }),
      ]);
    }
  });

  it.each(STAGE_NAMES)('alarms on %s function errors', (stage) => {
    const matching = alarms(resources).filter(
      (alarm) =>
        JSON.stringify(alarm.Dimensions) ===
        JSON.stringify([{ Name: 'FunctionName', Value: { Ref: `${pascal(stage)}LambdaFunction` } }]),
    );
    expect(matching).toEqual([
      expect.objectContaining({
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Statistic: 'Sum',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmActions: [{ Ref: 'AlarmTopic' }],
      }),
    ]);
  });

  it('subscribes an email address to the alarm topic only when one is given', () => {
    expect(ofType(resources, 'AWS::SNS::Subscription')).toEqual([]);
    expect(ofType(optionalResources, 'AWS::SNS::Subscription').map(([, sub]) => sub.Properties)).toEqual([
      { TopicArn: { Ref: 'AlarmTopic' }, Protocol: 'email', Endpoint: 'oncall@example.com' },
    ]);
  });
});

describe('account-closure events', () => {
  it('adds no rule unless a bus is named', () => {
    expect(ofType(resources, 'AWS::Events::Rule')).toEqual([]);
    expect(resources.TeardownQueueEventsPolicy).toBeUndefined();
  });

  it('routes the named bus to the teardown queue, and only that rule may send', () => {
    const rule = props(optionalResources, 'AccountClosureRule');
    expect(rule).toMatchObject({
      EventBusName: 'platform-events',
      EventPattern: { source: ['platform.accounts'], 'detail-type': ['tenant.closed'] },
      Targets: [
        expect.objectContaining({
          Arn: getAtt('TeardownQueue'),
          DeadLetterConfig: { Arn: getAtt('AccountClosureDeadLetterQueue') },
        }),
      ],
    });
    for (const [policy, queue] of [
      ['TeardownQueueEventsPolicy', 'TeardownQueue'],
      ['AccountClosureDeadLetterQueuePolicy', 'AccountClosureDeadLetterQueue'],
    ] as const) {
      const statements = (props(optionalResources, policy).PolicyDocument as { Statement: unknown[] })
        .Statement;
      expect(statements).toEqual([
        expect.objectContaining({
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: getAtt(queue),
          Condition: { ArnEquals: { 'aws:SourceArn': getAtt('AccountClosureRule') } },
        }),
      ]);
    }
  });
});

describe('IAM', () => {
  it.each<[string, () => Record<string, CfnResource>]>([
    ['default', () => resources],
    ['all options on', () => optionalResources],
  ])('has no allow statement with a wildcard action or an unscoped resource (%s)', (_, stack) => {
    const statements = policyStatements(stack()).filter(({ statement }) => statement.Effect === 'Allow');
    expect(statements.length).toBeGreaterThan(20);
    for (const { owner, statement } of statements) {
      const where = `${owner}/${String(statement.Sid)}`;
      expect(statement.ManagedPolicy, where).toBeUndefined();
      expect(
        actionsOf(statement).filter((action) => action.includes('*')),
        where,
      ).toEqual([]);
      expect(resourcesOf(statement).length, where).toBeGreaterThan(0);
      expect(
        resourcesOf(statement).filter((resource) => !isScopedResource(resource)),
        where,
      ).toEqual([]);
    }
  });

  const actionsByRole = (all: Record<string, CfnResource>, role: string) => {
    const map: Record<string, string[]> = {};
    for (const { owner, statement } of policyStatements(all)) {
      if (owner !== role) continue;
      for (const resource of resourcesOf(statement)) {
        const key = JSON.stringify(resource);
        map[key] = [...(map[key] ?? []), ...actionsOf(statement)].sort();
      }
    }
    return map;
  };
  const sub = (text: string) => JSON.stringify({ 'Fn::Sub': text });
  const arn = (id: string) => JSON.stringify(getAtt(id));
  const token = sub(
    `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter\${CloudflareApiTokenParameter}`,
  );
  const consume = [
    'sqs:ChangeMessageVisibility',
    'sqs:DeleteMessage',
    'sqs:GetQueueAttributes',
    'sqs:ReceiveMessage',
  ];
  const logs = ['logs:CreateLogStream', 'logs:PutLogEvents'];
  const reader = (stage: string) => ({
    [arn(`${stage}LogGroup`)]: logs,
    [arn(`${stage}Queue`)]: consume,
    [arn('UploadQueue')]: stage === 'Upload' ? [...consume, 'sqs:SendMessage'].sort() : ['sqs:SendMessage'],
    [arn('FinalizeQueue')]:
      stage === 'Finalize' ? [...consume, 'sqs:SendMessage'].sort() : ['sqs:SendMessage'],
    [sub(`\${ArtifactsBucket.Arn}/\${KeyPrefix}*`)]: ['s3:GetObject', 's3:GetObjectVersion'],
    [arn('ArtifactsBucket')]: ['s3:ListBucket'],
    [sub(`\${StateBucket.Arn}/*`)]: ['s3:GetObject', 's3:PutObject'],
    [arn('StateBucket')]: ['s3:ListBucket'],
    [token]: ['ssm:GetParameter'],
  });

  it.each([
    ['IngestRole', reader('Ingest')],
    ['UploadRole', reader('Upload')],
    ['FinalizeRole', reader('Finalize')],
    [
      'TeardownRole',
      {
        [arn('TeardownLogGroup')]: logs,
        [arn('TeardownQueue')]: [...consume, 'sqs:SendMessage'].sort(),
        [arn('ArtifactsBucket')]: ['s3:ListBucket', 's3:ListBucketVersions'],
        [sub(`\${ArtifactsBucket.Arn}/\${KeyPrefix}*`)]: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
        [arn('StateBucket')]: ['s3:ListBucket', 's3:ListBucketVersions'],
        [sub(`\${StateBucket.Arn}/*`)]: [
          's3:DeleteObject',
          's3:DeleteObjectVersion',
          's3:GetObject',
          's3:PutObject',
        ],
        [token]: ['ssm:GetParameter'],
      },
    ],
  ])('%s grants exactly what its function calls', (role, expected) => {
    expect(actionsByRole(resources, role)).toEqual(expected);
  });

  it.each(STAGE_NAMES)('%s decrypts the token with a customer managed key only through SSM', (stage) => {
    const kms = policyStatements(optionalResources).filter(
      ({ owner, statement }) =>
        owner === `${pascal(stage)}Role` && actionsOf(statement).includes('kms:Decrypt'),
    );
    expect(kms.map(({ statement }) => statement)).toEqual([
      expect.objectContaining({
        Resource: KMS_KEY,
        Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Sub': `ssm.\${AWS::Region}.amazonaws.com` } } },
      }),
    ]);
    const byDefault = policyStatements(resources).filter(({ statement }) =>
      actionsOf(statement).includes('kms:Decrypt'),
    );
    expect(byDefault).toEqual([]);
  });
});

describe('bundles', () => {
  const entries = async (stack: PackagedStack, stage: string) => {
    const directory = await unzipper.Open.file(stack.artifactPath(stage));
    return new Map(directory.files.map((file) => [file.path, file] as const));
  };

  it.each(STAGE_NAMES)('%s: one ESM bundle under 1 MB with its source map, AWS SDK inside', async (stage) => {
    const files = await entries(base, stage);
    expect([...files.keys()].sort()).toEqual([`functions/${stage}.mjs`, `functions/${stage}.mjs.map`]);
    const bundle = files.get(`functions/${stage}.mjs`);
    expect(bundle?.uncompressedSize).toBeLessThan(BUNDLE_BUDGET.bytes);
    const code = (await bundle?.buffer())?.toString('utf8') ?? '';
    expect(code).toMatch(/export\s*\{[^}]*\bhandler\b[^}]*\}/);
    expect(code).toContain(`//# sourceMappingURL=${stage}.mjs.map`);
    expect(code).not.toMatch(/from\s*["']@aws-sdk\//);
  });
});

describe('benchmark fidelity', () => {
  it("runs the bench's function-like children with the functions' Node flags", () => {
    for (const [, fn] of ofType(resources, 'AWS::Lambda::Function')) {
      expect(environmentOf(fn)?.NODE_OPTIONS).toBe(LAMBDA_NODE_FLAGS.join(' '));
    }
  });

  it("runs them with the functions' process variables (one malloc arena)", () => {
    expect(Object.keys(LAMBDA_PROCESS_ENV).length).toBeGreaterThan(0);
    for (const [, fn] of ofType(resources, 'AWS::Lambda::Function')) {
      const variables = environmentOf(fn) ?? {};
      for (const [name, value] of Object.entries(LAMBDA_PROCESS_ENV)) expect(variables[name]).toBe(value);
    }
  });
});
