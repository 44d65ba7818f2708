/**
 * Just enough CloudFormation evaluation for the template tests: parameter constraints, conditions, Fn::If,
 * references between resources (for the dependency-cycle check) and policy statements. Anything the
 * evaluator does not understand throws, so a test cannot pass by skipping what it cannot read.
 */
import type { CfnResource, CfnTemplate } from '../../infra/package-stack.js';

/** Parameter values as CloudFormation sees them (strings). */
export type ParamValues = Record<string, string>;

const NO_VALUE = Symbol('AWS::NoValue');

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The intrinsic of a one-key object such as `{ "Fn::If": [...] }`, if it is one. */
export function intrinsic(value: unknown): [string, unknown] | undefined {
  if (!isObject(value)) return undefined;
  const keys = Object.keys(value);
  const key = keys[0];
  if (keys.length !== 1 || key === undefined) return undefined;
  if (key === 'Ref' || key === 'Condition' || key.startsWith('Fn::')) return [key, value[key]];
  return undefined;
}

/** Each parameter's value: its default, unless `overrides` names it. */
export function parameterValues(template: CfnTemplate, overrides: ParamValues = {}): ParamValues {
  const values: ParamValues = {};
  for (const [name, spec] of Object.entries(template.Parameters ?? {})) {
    values[name] = overrides[name] ?? String(spec.Default ?? '');
  }
  return values;
}

/** What CloudFormation would reject before creating anything: values against each parameter's constraints. */
export function parameterViolations(template: CfnTemplate, overrides: ParamValues = {}): string[] {
  const problems: string[] = [];
  const values = parameterValues(template, overrides);
  for (const [name, spec] of Object.entries(template.Parameters ?? {})) {
    const value = values[name] ?? '';
    const fail = (why: string) => problems.push(`${name}=${JSON.stringify(value)} ${why}`);
    if (spec.Type === 'Number') {
      const number = Number(value);
      if (value.trim() === '' || !Number.isFinite(number)) fail('is not a number');
      if (typeof spec.MinValue === 'number' && number < spec.MinValue) fail(`< MinValue ${spec.MinValue}`);
      if (typeof spec.MaxValue === 'number' && number > spec.MaxValue) fail(`> MaxValue ${spec.MaxValue}`);
    } else if (spec.Type !== 'String') {
      fail(`has unsupported type ${String(spec.Type)}`);
    }
    if (Array.isArray(spec.AllowedValues) && !spec.AllowedValues.map(String).includes(value)) {
      fail('is not an allowed value');
    }
    if (typeof spec.AllowedPattern === 'string' && !new RegExp(`^(?:${spec.AllowedPattern})$`).test(value)) {
      fail(`does not match ${spec.AllowedPattern}`);
    }
    if (typeof spec.MinLength === 'number' && value.length < spec.MinLength) fail('is too short');
    if (typeof spec.MaxLength === 'number' && value.length > spec.MaxLength) fail('is too long');
  }
  return problems;
}

function scalar(value: unknown, params: ParamValues): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return String(value);
  const fn = intrinsic(value);
  if (fn?.[0] === 'Ref' && typeof fn[1] === 'string' && fn[1] in params) return params[fn[1]] ?? '';
  throw new Error(`cannot evaluate ${JSON.stringify(value)} in a condition`);
}

function evaluateCondition(
  expression: unknown,
  template: CfnTemplate,
  params: ParamValues,
  seen: Set<string>,
): boolean {
  const fn = intrinsic(expression);
  if (fn === undefined) throw new Error(`not a condition: ${JSON.stringify(expression)}`);
  const [name, args] = fn;
  const list = Array.isArray(args) ? args : [args];
  switch (name) {
    case 'Fn::Equals':
      return scalar(list[0], params) === scalar(list[1], params);
    case 'Fn::Not':
      return !evaluateCondition(list[0], template, params, seen);
    case 'Fn::And':
      return list.every((item) => evaluateCondition(item, template, params, seen));
    case 'Fn::Or':
      return list.some((item) => evaluateCondition(item, template, params, seen));
    case 'Condition': {
      const other = String(args);
      if (seen.has(other)) throw new Error(`condition cycle at ${other}`);
      return evaluateCondition(template.Conditions?.[other], template, params, new Set([...seen, other]));
    }
    default:
      throw new Error(`unsupported condition function ${name}`);
  }
}

/** Every condition of the template, evaluated for `params`. */
export function evaluateConditions(template: CfnTemplate, params: ParamValues): Record<string, boolean> {
  const result: Record<string, boolean> = {};
  for (const [name, expression] of Object.entries(template.Conditions ?? {})) {
    result[name] = evaluateCondition(expression, template, params, new Set([name]));
  }
  return result;
}

function resolveValue(value: unknown, params: ParamValues, conditions: Record<string, boolean>): unknown {
  if (Array.isArray(value)) {
    return value.map((item) => resolveValue(item, params, conditions)).filter((item) => item !== NO_VALUE);
  }
  const fn = intrinsic(value);
  if (fn?.[0] === 'Ref' && fn[1] === 'AWS::NoValue') return NO_VALUE;
  if (fn?.[0] === 'Ref' && typeof fn[1] === 'string' && fn[1] in params) return params[fn[1]];
  if (fn?.[0] === 'Fn::If') {
    const [condition, whenTrue, whenFalse] = fn[1] as [string, unknown, unknown];
    const holds = conditions[condition];
    if (holds === undefined) throw new Error(`unknown condition ${condition}`);
    return resolveValue(holds ? whenTrue : whenFalse, params, conditions);
  }
  if (isObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const resolved = resolveValue(item, params, conditions);
      if (resolved !== NO_VALUE) out[key] = resolved;
    }
    return out;
  }
  return value;
}

/** The stack CloudFormation would build for `overrides`: conditional resources dropped, values resolved. */
export function effectiveResources(
  template: CfnTemplate,
  overrides: ParamValues = {},
): Record<string, CfnResource> {
  const params = parameterValues(template, overrides);
  const conditions = evaluateConditions(template, params);
  const resources: Record<string, CfnResource> = {};
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Condition !== undefined && conditions[resource.Condition] !== true) continue;
    resources[id] = resolveValue(resource, params, conditions) as CfnResource;
  }
  return resources;
}

/** The `${Name}` / `${Name.Attr}` references of an Fn::Sub template (not `${AWS::...}` or `${!literal}`). */
export function subReferences(text: string): string[] {
  const names: string[] = [];
  for (const match of text.matchAll(/\$\{([^}]+)\}/g)) {
    const inner = match[1] ?? '';
    if (inner.startsWith('AWS::') || inner.startsWith('!')) continue;
    names.push(inner.split('.')[0] ?? inner);
  }
  return names;
}

/** Logical ids `value` refers to through Ref, Fn::GetAtt and Fn::Sub. */
export function referencedIds(value: unknown, into: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) referencedIds(item, into);
    return into;
  }
  const fn = intrinsic(value);
  if (fn?.[0] === 'Ref' && typeof fn[1] === 'string' && !fn[1].startsWith('AWS::')) into.add(fn[1]);
  else if (fn?.[0] === 'Fn::GetAtt') {
    const target = Array.isArray(fn[1]) ? fn[1][0] : String(fn[1]).split('.')[0];
    if (typeof target === 'string') into.add(target);
  } else if (fn?.[0] === 'Fn::Sub') {
    const [text, variables] = Array.isArray(fn[1]) ? fn[1] : [fn[1], {}];
    const local = isObject(variables) ? Object.keys(variables) : [];
    for (const name of subReferences(String(text))) if (!local.includes(name)) into.add(name);
    referencedIds(variables, into);
  } else if (isObject(value)) {
    for (const item of Object.values(value)) referencedIds(item, into);
  }
  return into;
}

/** resource -> the resources it needs first (references and DependsOn; parameters left out). */
export function dependencyGraph(template: CfnTemplate): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const [id, resource] of Object.entries(template.Resources)) {
    const needs = referencedIds(resource.Properties ?? {});
    for (const dependency of [resource.DependsOn ?? []].flat()) needs.add(dependency);
    graph.set(id, new Set([...needs].filter((name) => name in template.Resources)));
  }
  return graph;
}

/** A dependency cycle as a path (`A -> B -> A`), or undefined. */
export function findCycle(graph: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'visiting') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'visiting');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle !== undefined) return cycle;
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle !== undefined) return cycle;
  }
  return undefined;
}

/** One policy statement and the resource (role, queue policy, bucket policy) that holds it. */
export interface OwnedStatement {
  owner: string;
  statement: Record<string, unknown>;
}

const statementsOf = (document: unknown): Record<string, unknown>[] => {
  const statements = isObject(document) ? document.Statement : undefined;
  return (Array.isArray(statements) ? statements : [statements]).filter(isObject);
};

/** Every policy statement in `resources`: inline role policies, IAM policies, resource policies. */
export function policyStatements(resources: Record<string, CfnResource>): OwnedStatement[] {
  const owned: OwnedStatement[] = [];
  for (const [id, resource] of Object.entries(resources)) {
    const properties = resource.Properties ?? {};
    const documents: unknown[] = [];
    if (resource.Type === 'AWS::IAM::Role') {
      for (const policy of (properties.Policies as unknown[] | undefined) ?? []) {
        if (isObject(policy)) documents.push(policy.PolicyDocument);
      }
      if (properties.ManagedPolicyArns !== undefined)
        documents.push({ Statement: [{ ManagedPolicy: true }] });
    } else if ('PolicyDocument' in properties) {
      documents.push(properties.PolicyDocument);
    }
    for (const document of documents) {
      for (const statement of statementsOf(document)) owned.push({ owner: id, statement });
    }
  }
  return owned;
}

/** A statement's actions as a list. */
export const actionsOf = (statement: Record<string, unknown>): string[] =>
  [statement.Action ?? []].flat().map(String);

/** A statement's resources as a list (intrinsics kept). */
export const resourcesOf = (statement: Record<string, unknown>): unknown[] =>
  [statement.Resource ?? []].flat();

/**
 * True when a resource names something specific. A `*` is accepted in one place only: at the end of an S3
 * object ARN built on one bucket's ARN (`${Bucket.Arn}/*`, `${Bucket.Arn}/${KeyPrefix}*`), which is how
 * IAM names "the objects of this bucket".
 */
export function isScopedResource(resource: unknown): boolean {
  if (typeof resource === 'string') return !resource.includes('*');
  const fn = intrinsic(resource);
  if (fn === undefined) return false;
  if (fn[0] === 'Ref' || fn[0] === 'Fn::GetAtt') return true;
  if (fn[0] === 'Fn::Sub') {
    const text = String(Array.isArray(fn[1]) ? fn[1][0] : fn[1]);
    if (!text.includes('*')) return true;
    return /^\$\{[A-Za-z0-9]+\.Arn\}\/(\$\{[A-Za-z0-9]+\})?\*$/.test(text);
  }
  return false;
}
