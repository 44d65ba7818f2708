/**
 * The Cloudflare API token, read once per cold start: from SSM Parameter Store (a SecureString, decrypted
 * by SSM) in Lambda, or from the environment in local mode. It is registered for redaction at once and is
 * never logged, stored or put in an error message.
 */
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { Config } from '../config.js';
import { PipelineError } from '../errors.js';
import { registerSecret } from '../redact.js';

/** Loads the API token named by the configuration. */
export async function loadApiToken(config: Readonly<Config>, ssm: () => SSMClient): Promise<string> {
  const { apiToken, apiTokenParameter } = config.cloudflare;
  if (apiToken !== undefined) {
    registerSecret(apiToken);
    return apiToken;
  }
  if (apiTokenParameter === undefined) {
    throw new PipelineError('config.invalid', 'No Cloudflare API token source is configured.');
  }
  let value: string | undefined;
  try {
    const result = await ssm().send(
      new GetParameterCommand({ Name: apiTokenParameter, WithDecryption: true }),
    );
    value = result.Parameter?.Value;
  } catch (error) {
    throw new PipelineError('config.invalid', `Could not read the SSM parameter ${apiTokenParameter}.`, {
      cause: error,
    });
  }
  if (value === undefined || value.trim() === '') {
    throw new PipelineError('config.invalid', `The SSM parameter ${apiTokenParameter} is empty.`);
  }
  registerSecret(value.trim());
  return value.trim();
}
