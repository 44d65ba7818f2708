/**
 * The template checker's own behaviour, on small hand-written templates: if these checks could not fail,
 * the template tests built on them would prove nothing.
 */
import { describe, expect, it } from 'vitest';
import type { CfnTemplate } from '../../infra/package-stack.js';
import {
  dependencyGraph,
  effectiveResources,
  findCycle,
  isScopedResource,
  parameterViolations,
  referencedIds,
  subReferences,
} from './cfn.js';

const template = (extra: Partial<CfnTemplate>): CfnTemplate => ({ Resources: {}, ...extra });

describe('parameterViolations', () => {
  const params = template({
    Parameters: {
      Prefix: { Type: 'String', Default: '', AllowedPattern: '^([a-z]+/)?$' },
      Lease: { Type: 'Number', Default: 300, MinValue: 121, MaxValue: 3600 },
      Level: { Type: 'String', Default: 'info', AllowedValues: ['info', 'debug'] },
      Name: { Type: 'String', Default: 'x', MinLength: 1, MaxLength: 3 },
    },
  });

  it('accepts values inside every constraint', () => {
    // Prepare / Act / Assess in one line: the defaults are valid.
    expect(parameterViolations(params)).toEqual([]);
  });

  it.each<[string, string, RegExp]>([
    ['Prefix', 'drops', /does not match/],
    ['Lease', '120', /< MinValue 121/],
    ['Lease', '4000', /> MaxValue 3600/],
    ['Lease', 'soon', /is not a number/],
    ['Level', 'trace', /not an allowed value/],
    ['Name', '', /too short/],
    ['Name', 'long', /too long/],
  ])('reports %s=%s', (name, value, why) => {
    const problems = parameterViolations(params, { [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(why);
  });
});

describe('effectiveResources', () => {
  const conditional = template({
    Parameters: { Email: { Type: 'String', Default: 'none' } },
    Conditions: {
      HasEmail: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'Email' }, 'none'] }] },
      NoEmail: { 'Fn::Not': [{ Condition: 'HasEmail' }] },
    },
    Resources: {
      Subscription: {
        Type: 'AWS::SNS::Subscription',
        Condition: 'HasEmail',
        Properties: { Endpoint: { Ref: 'Email' } },
      },
      Role: {
        Type: 'AWS::IAM::Role',
        Properties: {
          Statements: [
            { 'Fn::If': ['HasEmail', { Sid: 'Mail' }, { Ref: 'AWS::NoValue' }] },
            { Sid: 'Always' },
          ],
          Mode: { 'Fn::If': ['NoEmail', 'quiet', 'loud'] },
        },
      },
    },
  });

  it('drops conditional resources and AWS::NoValue entries when the condition is false', () => {
    const resources = effectiveResources(conditional);
    expect(Object.keys(resources)).toEqual(['Role']);
    expect(resources.Role?.Properties).toEqual({ Statements: [{ Sid: 'Always' }], Mode: 'quiet' });
  });

  it('keeps them, with parameter values substituted, when it is true', () => {
    const resources = effectiveResources(conditional, { Email: 'ops@example.com' });
    expect(resources.Subscription?.Properties).toEqual({ Endpoint: 'ops@example.com' });
    expect(resources.Role?.Properties).toEqual({
      Statements: [{ Sid: 'Mail' }, { Sid: 'Always' }],
      Mode: 'loud',
    });
  });

  it('refuses a condition it cannot evaluate instead of guessing', () => {
    const odd = template({ Conditions: { Odd: { 'Fn::Contains': [['a'], 'a'] } } });
    expect(() => effectiveResources(odd)).toThrow(/unsupported condition function Fn::Contains/);
  });
});

describe('references and cycles', () => {
  it('reads Ref, GetAtt and Sub references, but not pseudo parameters or Sub-local names', () => {
    const ids = referencedIds({
      a: { Ref: 'Queue' },
      b: { 'Fn::GetAtt': ['Bucket', 'Arn'] },
      c: { 'Fn::Sub': [`\${Role.Arn}/\${AWS::Region}/\${local}/\${!literal}`, { local: { Ref: 'Topic' } }] },
      d: { Ref: 'AWS::AccountId' },
    });
    expect([...ids].sort()).toEqual(['Bucket', 'Queue', 'Role', 'Topic']);
    expect(subReferences(`arn:\${AWS::Partition}:s3:::\${Name}/\${Other.Arn}`)).toEqual(['Name', 'Other']);
  });

  it('finds a cycle through references and DependsOn, and none in a chain', () => {
    const cyclic = template({
      Resources: {
        Bucket: {
          Type: 'AWS::S3::Bucket',
          DependsOn: 'Policy',
          Properties: { Queue: { 'Fn::GetAtt': ['Queue', 'Arn'] } },
        },
        Queue: { Type: 'AWS::SQS::Queue' },
        Policy: {
          Type: 'AWS::SQS::QueuePolicy',
          Properties: { Source: { 'Fn::GetAtt': ['Bucket', 'Arn'] } },
        },
      },
    });
    expect(findCycle(dependencyGraph(cyclic))).toEqual(['Bucket', 'Policy', 'Bucket']);
    const chain = structuredClone(cyclic);
    if (chain.Resources.Policy !== undefined)
      chain.Resources.Policy.Properties = { Source: 'arn:aws:s3:::fixed-name' };
    expect(findCycle(dependencyGraph(chain))).toBeUndefined();
  });
});

describe('isScopedResource', () => {
  it.each<[unknown, boolean]>([
    ['*', false],
    ['arn:aws:s3:::bucket/*', false],
    ['arn:aws:sqs:eu-west-1:123456789012:queue', true],
    [{ 'Fn::GetAtt': ['Queue', 'Arn'] }, true],
    [{ Ref: 'KeyArn' }, true],
    [{ 'Fn::Sub': `\${Bucket.Arn}/*` }, true],
    [{ 'Fn::Sub': `\${Bucket.Arn}/\${KeyPrefix}*` }, true],
    [{ 'Fn::Sub': `arn:\${AWS::Partition}:s3:::*` }, false],
    [{ 'Fn::Sub': `\${Bucket.Arn}*` }, false],
    [{ 'Fn::Sub': `arn:aws:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/*` }, false],
    [{ 'Fn::Join': ['', ['arn', '*']] }, false],
  ])('%j -> %s', (resource, scoped) => {
    expect(isScopedResource(resource)).toBe(scoped);
  });
});
