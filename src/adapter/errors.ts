// The adapter's error responses: one code per kind of failure, so clients and tests can tell them apart.

export const ErrorCode = {
  badArguments: 1001,
  parseFailed: 1002,
  notLaunched: 1003,
  unknownThread: 1004,
  unknownReference: 1005,
  evaluationFailed: 1006,
  noException: 1007,
  launchFailed: 1008,
  cancelled: 1009,
  unsupported: 1010,
  /** A launch or restart that a later one replaced while it was recording. */
  replaced: 1011,
  /** The trace being debugged changed on disk, so its events can no longer be read. */
  captureChanged: 1012,
} as const;

/** Thrown by a request handler; becomes an error response with this code and message. */
export class RequestError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A request whose arguments cannot be used. The wording names the request: `X needs a Y` when a required argument
 * is missing or not of its type, `X: Y must be ...` when an optional one is given wrong. (An id that names nothing,
 * whatever its type, is an unknown id: `No thread x`; a launch's settings are named as the launch configuration
 * names them: `"stopOnEntry" must be true or false`.)
 */
export const badArguments = (message: string): RequestError => new RequestError(ErrorCode.badArguments, message);
