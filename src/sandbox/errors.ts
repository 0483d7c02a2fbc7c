/** An error answered in the OpenAI envelope: {"error":{"message","type","param","code"}}. */
export class SandboxError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
  }

  toBody(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export function invalid(param: string | null, message: string, code: string | null = null): SandboxError {
  return new SandboxError(400, 'invalid_request_error', message, param, code);
}

export function notFound(kind: string, id: string, param: string | null = null): SandboxError {
  return new SandboxError(404, 'invalid_request_error', `No ${kind} found with id '${id}'.`, param, 'not_found');
}

export function conflict(message: string, param: string | null = null): SandboxError {
  return new SandboxError(409, 'invalid_request_error', message, param, 'conflict');
}

export function unauthorized(message: string): SandboxError {
  return new SandboxError(401, 'invalid_request_error', message, null, 'invalid_api_key');
}
