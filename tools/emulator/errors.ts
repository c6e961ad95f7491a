// The two ways a route refuses a request, as Dropbox does it: a plain-text 400 for input that
// does not fit the schema, and a JSON route error (409 by default) for everything else.

/** 400 with a plain-text body: `Error in call to API function "<route>": <detail>`. */
export class BadRequest extends Error {
  constructor(readonly detail: string) {
    super(detail);
  }
}

/** A JSON route error; `error` is the union value, error_summary is derived from it. */
export class RouteError extends Error {
  constructor(
    readonly error: Record<string, unknown>,
    readonly status = 409,
  ) {
    super(`route error ${JSON.stringify(error)}`);
  }
}

export type WriteError = Record<string, unknown> & { '.tag': string };

export const writeErrors = {
  malformedPath: (): WriteError => ({ '.tag': 'malformed_path' }),
  disallowedName: (): WriteError => ({ '.tag': 'disallowed_name' }),
  insufficientSpace: (): WriteError => ({ '.tag': 'insufficient_space' }),
  tooManyWriteOperations: (): WriteError => ({ '.tag': 'too_many_write_operations' }),
  conflict: (what: 'file' | 'folder' | 'file_ancestor'): WriteError => ({
    '.tag': 'conflict',
    conflict: { '.tag': what },
  }),
};
