/**
 * An error the local SageMaker answers with, as the JSON 1.1 protocol carries it: `type` becomes the body's
 * `__type`, which the SDK turns into the thrown error's `name`.
 */
export class SageMakerApiError extends Error {
  constructor(
    public readonly type: string,
    message: string,
    public readonly status = 400,
  ) {
    super(message);
    this.name = type;
  }

  /** The response body, with the message member spelled as SageMaker's model spells it for this error. */
  body(): Record<string, string> {
    // Modeled SageMaker errors (ResourceInUse, ResourceNotFound, ...) carry `Message`; Coral's `message`.
    const member = MODELED_ERRORS.has(this.type) ? 'Message' : 'message';
    return { __type: this.type, [member]: this.message };
  }
}

const MODELED_ERRORS = new Set(['ResourceInUse', 'ResourceLimitExceeded', 'ResourceNotFound']);

/** SageMaker's answer for a Describe or Stop of a job it does not know. */
export function resourceNotFound(): SageMakerApiError {
  return new SageMakerApiError('ValidationException', 'Requested resource not found.');
}
