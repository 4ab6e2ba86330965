/**
 * Errors of the verify core: a stable snake_case code, the HTTP status the native API gives it,
 * a message that says what and how to fix, and the field it is about. API families translate
 * these codes into their vendor's shapes; nobody matches on message text.
 */
export class VerifyError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly field?: string,
    /** Seconds, for 429s. */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'VerifyError';
  }
}

export const notFound = (what: string, id: string) =>
  new VerifyError(`${what}_not_found`, 404, `no ${what} with id "${id}" in this account; check the id`, 'id');

/** A verification that can no longer be checked or canceled: the code names its state. */
export const notPending = (id: string, status: string) =>
  new VerifyError(
    `verification_${status}`,
    404,
    `verification ${id} is ${status.replaceAll('_', ' ')}; start a new verification`,
    'id',
  );
