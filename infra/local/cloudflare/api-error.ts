/**
 * Failures the emulator answers with, and the Cloudflare error codes it uses. Codes from the spec's
 * `x-cfLinkErrors` where one fits; the others are marked as the emulator's choice.
 */

export const CF_CODES = {
  /** Cloudflare's generic "Authentication error". */
  authentication: 10000,
  /** Spec: unsupported or unexpected Content-Type. */
  unsupportedContentType: 10001,
  /** Spec: unexpected internal server error. */
  internal: 10002,
  /** Spec: missing required URL parameter (also a bulk delete without `tags`). */
  missingParameter: 10003,
  /** Spec: malformed URL parameter (path segments and query values). */
  malformedParameter: 10004,
  /** Spec: resource not found. */
  notFound: 10007,
  /** Spec: script content failed validation (multipart, metadata, modules, tags). */
  validation: 10021,
  /** Spec: script body too large. */
  tooLarge: 10027,
  /** Third-party report for a bad manifest path; used for every manifest problem. */
  invalidManifest: 10304,
  /** Emulator's choice: an asset upload part the session cannot accept. */
  invalidUpload: 10305,
  /** Cloudflare's "Unauthorized to access requested resource" (another account). */
  forbidden: 9109,
  /** Cloudflare's throttling code. */
  rateLimited: 971,
  /** Spec example: no route for the URI. */
  noRoute: 7003,
  /** Method not allowed on a known route. */
  methodNotAllowed: 7001,
} as const;

/** An answer other than success: a real HTTP status with the v4 failure envelope. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The v4 envelope of a success. */
export const successEnvelope = (result: unknown, resultInfo?: unknown): Record<string, unknown> => ({
  success: true,
  errors: [],
  messages: [],
  result,
  ...(resultInfo === undefined ? {} : { result_info: resultInfo }),
});

/** The v4 envelope of a failure. */
export const failureEnvelope = (code: number, message: string): Record<string, unknown> => ({
  success: false,
  errors: [{ code, message }],
  messages: [],
  result: null,
});

export const badRequest = (code: number, message: string): ApiError => new ApiError(400, code, message);
export const notFound = (message: string): ApiError => new ApiError(404, CF_CODES.notFound, message);
