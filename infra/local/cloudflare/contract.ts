/**
 * Request and response validation against the OpenAPI contract (a copy of
 * shared/contracts/cloudflare-wfp-openapi.json in ./contract/, loaded at runtime). Path and query
 * parameters, JSON bodies and the script metadata are checked where the schema covers them; responses
 * are checked so the emulator itself cannot drift from the contract.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { badRequest, CF_CODES } from './api-error.js';

type Json = Record<string, unknown>;
const CONTRACT_ID = 'contract';
const CONTRACT_URL = new URL('./contract/cloudflare-wfp-openapi.json', import.meta.url);

interface Parameter {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  type: string | undefined;
  validate: ValidateFunction;
}

interface Operation {
  parameters: Parameter[];
  jsonBody: ValidateFunction | undefined;
  responses: Map<string, ValidateFunction>;
}

const isJson = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Points local `#/components/...` references at the registered contract document. */
function rebase(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(rebase);
  if (!isJson(schema)) return schema;
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    out[key] =
      key === '$ref' && typeof value === 'string' && value.startsWith('#/')
        ? `${CONTRACT_ID}${value}`
        : rebase(value);
  }
  return out;
}

const describeErrors = (errors: ErrorObject[] | null | undefined, subject: string): string => {
  const first = errors?.[0];
  if (first === undefined) return `${subject} does not match the API contract`;
  const where = first.instancePath.replace(/~1/g, '/').replace(/~0/g, '~');
  return `${subject}${where === '' ? '' : ` at ${where}`} ${first.message ?? 'is invalid'}`;
};

/** Compiles a validator per operation of the contract file. */
function compileContract() {
  const doc = JSON.parse(readFileSync(CONTRACT_URL, 'utf8')) as Json;
  const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: false });
  ajv.addSchema(doc, CONTRACT_ID, undefined, false);
  const components = (doc.components ?? {}) as Json;
  const resolve = (value: unknown): Json => {
    if (isJson(value) && typeof value.$ref === 'string') {
      const [, section, name] = value.$ref.replace('#/components/', '').match(/^([^/]+)\/(.+)$/) ?? [];
      const target = section && name ? (components[section] as Json | undefined)?.[name] : undefined;
      return resolve(target);
    }
    return isJson(value) ? value : {};
  };
  const compile = (schema: unknown): ValidateFunction => ajv.compile(rebase(schema) as Json);
  const jsonSchemaOf = (holder: unknown): unknown =>
    (resolve(holder).content as Json | undefined)?.['application/json'];

  const operations = new Map<string, Operation>();
  let metadata: ValidateFunction | undefined;
  for (const pathItem of Object.values((doc.paths ?? {}) as Json)) {
    for (const operation of Object.values(pathItem as Json)) {
      if (!isJson(operation) || typeof operation.operationId !== 'string') continue;
      const parameters = ((operation.parameters ?? []) as Json[]).map((parameter): Parameter => {
        const schema = resolve(parameter.schema);
        return {
          name: String(parameter.name),
          in: parameter.in === 'path' ? 'path' : 'query',
          required: parameter.required === true,
          type: typeof schema.type === 'string' ? schema.type : undefined,
          validate: compile(parameter.schema),
        };
      });
      const body = resolve(operation.requestBody);
      const json = jsonSchemaOf(body);
      const multipart = (body.content as Json | undefined)?.['multipart/form-data'];
      const metadataSchema = ((resolve(multipart).schema as Json | undefined)?.properties as Json | undefined)
        ?.metadata;
      if (metadataSchema !== undefined) metadata = compile(metadataSchema);
      const responses = new Map<string, ValidateFunction>();
      for (const [status, response] of Object.entries((operation.responses ?? {}) as Json)) {
        const schema = (jsonSchemaOf(response) as Json | undefined)?.schema;
        if (schema !== undefined) responses.set(status, compile(schema));
      }
      operations.set(operation.operationId, {
        parameters,
        jsonBody: isJson(json) && json.schema !== undefined ? compile(json.schema) : undefined,
        responses,
      });
    }
  }
  const require = (operationId: string): Operation => {
    const operation = operations.get(operationId);
    if (operation === undefined) throw new Error(`operation ${operationId} is not in the contract`);
    return operation;
  };

  return {
    /** Checks path and query parameters; throws a 400 ApiError (10003 missing, 10004 malformed). */
    checkParameters(operationId: string, path: Record<string, string>, query: URLSearchParams): void {
      for (const parameter of require(operationId).parameters) {
        const raw = parameter.in === 'path' ? path[parameter.name] : (query.get(parameter.name) ?? undefined);
        if (raw === undefined) {
          if (parameter.required)
            throw badRequest(CF_CODES.missingParameter, `${parameter.name} is required`);
          continue;
        }
        let value: unknown = raw;
        if (parameter.type === 'boolean') value = raw === 'true' ? true : raw === 'false' ? false : raw;
        if (parameter.type === 'integer' && /^-?\d+$/.test(raw)) value = Number(raw);
        if (!parameter.validate(value)) {
          throw badRequest(
            CF_CODES.malformedParameter,
            describeErrors(parameter.validate.errors, parameter.name),
          );
        }
      }
    },
    /** Checks a JSON request body; throws a 400 ApiError with `code`. */
    checkJsonBody(operationId: string, body: unknown, code: number): void {
      const validate = require(operationId).jsonBody;
      if (validate !== undefined && !validate(body))
        throw badRequest(code, describeErrors(validate.errors, 'body'));
    },
    /** Checks the metadata part of a script upload (400 / 10021). */
    checkMetadata(value: unknown): void {
      if (metadata !== undefined && !metadata(value)) {
        throw badRequest(CF_CODES.validation, describeErrors(metadata.errors, 'metadata'));
      }
    },
    /** A description of how `body` breaks the contract for this status, or undefined when it conforms. */
    checkResponse(operationId: string, status: number, body: unknown): string | undefined {
      const responses = require(operationId).responses;
      const validate = responses.get(String(status)) ?? responses.get(`${String(status)[0]}XX`);
      if (validate === undefined || validate(body)) return undefined;
      return describeErrors(validate.errors, `response ${status} of ${operationId}`);
    },
  };
}

export type Contract = ReturnType<typeof compileContract>;

let compiled: Contract | undefined;

/**
 * The compiled contract. Compiling takes ~170 ms, so it is done once per process and shared: the
 * validators hold no state between calls.
 */
export function loadContract(): Contract {
  compiled ??= compileContract();
  return compiled;
}
