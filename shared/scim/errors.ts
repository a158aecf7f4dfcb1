/** RFC 7644 §3.12: the scimType values this service uses. */
export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** What an error response says beside its body. */
export interface ScimErrorHeaders {
  /** `Retry-After` of a 429 or 503, in whole seconds (RFC 9110 §10.2.3); 1 when not given. */
  readonly retryAfterSeconds?: number;
  /** `Allow` of a 405: the methods the path answers (RFC 9110 §15.5.6). */
  readonly allow?: readonly string[];
}

/** A broken rule: carries the HTTP status and scimType the error middleware renders. */
export class ScimError extends Error {
  constructor(
    readonly status: number,
    readonly scimType: ScimType | undefined,
    readonly detail: string,
    readonly headers: ScimErrorHeaders = {},
  ) {
    super(detail);
    this.name = 'ScimError';
  }

  /** A copy whose detail names the PatchOp operation it came from. */
  inOperation(index: number): ScimError {
    return new ScimError(this.status, this.scimType, `Operations[${index}]: ${this.detail}`, this.headers);
  }
}

export const scimErrors = {
  invalidSyntax: (detail: string) => new ScimError(400, 'invalidSyntax', detail),
  invalidValue: (detail: string) => new ScimError(400, 'invalidValue', detail),
  invalidFilter: (detail: string) => new ScimError(400, 'invalidFilter', detail),
  invalidPath: (detail: string) => new ScimError(400, 'invalidPath', detail),
  noTarget: (detail: string) => new ScimError(400, 'noTarget', detail),
  mutability: (detail: string) => new ScimError(400, 'mutability', detail),
  tooMany: (detail: string) => new ScimError(400, 'tooMany', detail),
  invalidVers: (detail: string) => new ScimError(400, 'invalidVers', detail),
  uniqueness: (detail: string) => new ScimError(409, 'uniqueness', detail),
  notFound: (detail: string) => new ScimError(404, undefined, detail),
  unauthorized: (detail: string) => new ScimError(401, undefined, detail),
  forbidden: (detail: string) => new ScimError(403, undefined, detail),
  /** `allow`: the methods the path answers, for the `Allow` header. */
  methodNotAllowed: (detail: string, allow: readonly string[]) => new ScimError(405, undefined, detail, { allow }),
  preconditionFailed: (detail: string) => new ScimError(412, undefined, detail),
  payloadTooLarge: (detail: string) => new ScimError(413, undefined, detail),
  unsupportedMediaType: (detail: string) => new ScimError(415, undefined, detail),
  tooManyRequests: (detail: string, retryAfterSeconds = 1) => new ScimError(429, undefined, detail, { retryAfterSeconds }),
  conflict: (detail: string) => new ScimError(409, undefined, detail),
  /** RFC 7644 §3.11 (/Me), and the other endpoints RFC 7644 defines that a service may leave out. */
  notImplemented: (detail: string) => new ScimError(501, undefined, detail),
  unavailable: (detail: string, retryAfterSeconds = 1) => new ScimError(503, undefined, detail, { retryAfterSeconds }),
};

export interface ScimErrorBody {
  readonly schemas: readonly [typeof ERROR_SCHEMA];
  readonly status: string;
  readonly scimType?: ScimType;
  readonly detail: string;
}

/** RFC 7644 §3.12: `status` is a string. */
export function scimErrorBody(error: ScimError): ScimErrorBody {
  return {
    schemas: [ERROR_SCHEMA],
    status: String(error.status),
    ...(error.scimType ? { scimType: error.scimType } : {}),
    detail: error.detail,
  };
}
