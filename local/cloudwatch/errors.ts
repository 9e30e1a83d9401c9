/**
 * CloudWatch's errors as its awsJson1_0 protocol carries them. CloudWatch is "awsQueryCompatible" (the SDK's
 * client config says so): the body's `__type` names the modeled error shape and the `x-amzn-query-error`
 * header carries the Query API's code and fault (`InvalidParameterValue;Sender`), from which the SDK picks the
 * error class (InvalidParameterValueException for `InvalidParameterValue`, ...) and fills `Error.Code`.
 * Codes, shapes and HTTP statuses: the SDK's model (@aws-sdk/client-cloudwatch dist-cjs, `awsQueryError`
 * traits) and the Errors sections of https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/
 */

/** Query code → modeled shape and HTTP status, as the SDK's model pairs them. */
const SHAPES = {
  InvalidParameterValue: { shape: 'InvalidParameterValueException', status: 400 },
  InvalidParameterCombination: { shape: 'InvalidParameterCombinationException', status: 400 },
  MissingParameter: { shape: 'MissingRequiredParameterException', status: 400 },
  InvalidNextToken: { shape: 'InvalidNextToken', status: 400 },
  LimitExceeded: { shape: 'LimitExceededFault', status: 400 },
  ResourceNotFound: { shape: 'ResourceNotFound', status: 404 },
  InvalidFormat: { shape: 'InvalidFormatFault', status: 400 },
  ValidationError: { shape: 'ValidationException', status: 400 },
  InternalServiceError: { shape: 'InternalServiceFault', status: 500 },
} as const;

/** A Query API error code CloudWatch answers with. */
export type CloudWatchErrorCode = keyof typeof SHAPES;

/** An error the local CloudWatch answers with (and throws in-process from the same validation). */
export class CloudWatchError extends Error {
  constructor(
    public readonly code: CloudWatchErrorCode,
    message: string,
  ) {
    super(message);
    // The name the SDK gives the thrown error, so in-process callers see what API callers see.
    this.name = SHAPES[code].shape;
  }

  get status(): number {
    return SHAPES[this.code].status;
  }

  /** The `x-amzn-query-error` header: `<Code>;<Sender|Receiver>`. */
  get queryError(): string {
    return `${this.code};${this.status >= 500 ? 'Receiver' : 'Sender'}`;
  }

  /** The JSON body: the shape's id and its message member. */
  body(): Record<string, string> {
    return { __type: `com.amazonaws.cloudwatch#${SHAPES[this.code].shape}`, message: this.message };
  }
}

/** The Query API's wording for a value it refuses: `The value X for parameter Y is invalid.` */
export function invalidValue(path: string, value: unknown, why?: string): CloudWatchError {
  return new CloudWatchError(
    'InvalidParameterValue',
    `The value ${String(value)} for parameter ${path} is invalid.${why ? ` ${why}` : ''}`,
  );
}

/** The Query API's wording for a missing required parameter. */
export function missing(path: string): CloudWatchError {
  return new CloudWatchError('MissingParameter', `The parameter ${path} is required.`);
}
