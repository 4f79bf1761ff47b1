// A request parameter the query service cannot use: the route answers 400 and names the parameter.

/** A bad query parameter: `parameter` is its name as the client sent it (`tags`, `minDuration`, `q`, …). */
export class QueryParameterError extends Error {
  readonly parameter: string;
  constructor(parameter: string, message: string) {
    super(`${parameter}: ${message}`);
    this.name = 'QueryParameterError';
    this.parameter = parameter;
  }
}
