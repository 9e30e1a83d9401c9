import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';

/**
 * What Step Functions raises for every SageMaker API error the optimized integration (`arn:aws:states:::sagemaker:*`)
 * does not model: throttling and server errors, but validation errors too, the error code only in the cause
 * (https://github.com/aws/aws-step-functions-data-science-sdk-python/issues/191). A Retrier cannot look at the
 * cause, so it must not name this error.
 */
export const SAGEMAKER_API_ERROR = 'SageMaker.AmazonSageMakerException';

/**
 * The causes of {@link SAGEMAKER_API_ERROR} worth another call: the SDK's message ends in "(Service:
 * AmazonSageMaker; Status Code: <n>; Error Code: <code>; Request ID: ...)", and throttling (ThrottlingException,
 * "Rate exceeded") and server errors (5xx) are the transient ones
 * (https://docs.aws.amazon.com/sagemaker/latest/APIReference/CommonErrors.html). A ValidationException (Status
 * Code 400) is a verdict.
 */
export const TRANSIENT_SAGEMAKER_CAUSES = [
  '*Error Code: ThrottlingException*',
  '*Rate exceeded*',
  '*Status Code: 5*',
] as const;

/** Calls after the first one for a transient cause; then the task's catch target gets the last error. */
export const MAX_SAGEMAKER_RETRIES = 3;

/** The wait before each of those calls. */
export const SAGEMAKER_RETRY_WAIT = Duration.seconds(15);

/** The states {@link retryTransientSageMakerErrors} adds; the defaults derive from the task's id. */
export interface SageMakerRetryStateNames {
  /** The Choice the caught error goes to. @default `Is<Task>ErrorTransient` */
  readonly choice?: string;
  /** Sets the count to 1. @default `First<Task>Retry` */
  readonly first?: string;
  /** Adds 1 to the count. @default `Next<Task>Retry` */
  readonly next?: string;
  /** Waits before the task again. @default `WaitBefore<Task>Retry` */
  readonly wait?: string;
  /** Moves the error to `resultPath` (only when `caughtPath` differs). @default `<Task>NotRetried` */
  readonly notRetried?: string;
}

export interface SageMakerRetryProps {
  /** Where anything not retried goes: the task's catch target. */
  readonly target: sfn.IChainable;
  /** Where the target finds the error (`{ Error, Cause }`): the resultPath of the task's catch. */
  readonly resultPath: string;
  /** Where this task's retries are counted, `{ count }`, absent until the first one: a path per task. */
  readonly retriesPath: string;
  /**
   * Where the caught error is while the Choice decides. `resultPath` itself when nothing after a successful
   * retry reads it; otherwise a path of the task's own, so that a retry that got through leaves no error where
   * a later failure recording looks (then a Pass moves a final error to `resultPath`).
   */
  readonly caughtPath: string;
  /** The errors the Choice looks at (the rest goes to `target` at once). @default [SAGEMAKER_API_ERROR] */
  readonly errors?: readonly string[];
  /** Branches the Choice tests first, once the cause is known to be present (e.g. "the job exists"). */
  readonly before?: readonly (readonly [sfn.Condition, sfn.IChainable])[];
  /** @default {@link MAX_SAGEMAKER_RETRIES} */
  readonly maxRetries?: number;
  /** @default {@link SAGEMAKER_RETRY_WAIT} */
  readonly wait?: Duration;
  readonly names?: SageMakerRetryStateNames;
}

/**
 * Gives a SageMaker task its catches: {@link SAGEMAKER_API_ERROR} (or `errors`) goes to a Choice that calls the
 * task again after a wait for a transient cause, at most `maxRetries` times, counted at `retriesPath`; any other
 * cause, a transient one past the bound, and every other error (`States.ALL`) go to `target` with the error at
 * `resultPath`. No state on the happy path. The task must have no other Catch and no Retrier on these errors.
 */
export function retryTransientSageMakerErrors<T extends sfn.TaskStateBase | sfn.CustomState>(
  scope: Construct,
  task: T,
  props: SageMakerRetryProps,
): T {
  const { target, resultPath, retriesPath, caughtPath } = props;
  const max = props.maxRetries ?? MAX_SAGEMAKER_RETRIES;
  const names = props.names ?? {};
  const id = task.id;
  const notRetried =
    caughtPath === resultPath
      ? target
      : new sfn.Pass(scope, names.notRetried ?? `${id}NotRetried`, {
          inputPath: caughtPath,
          resultPath,
        }).next(target);
  const causeIs = (pattern: string) => sfn.Condition.stringMatches(`${caughtPath}.Cause`, pattern);
  const transient = sfn.Condition.or(...TRANSIENT_SAGEMAKER_CAUSES.map(causeIs));
  const wait = new sfn.Wait(scope, names.wait ?? `WaitBefore${id}Retry`, {
    time: sfn.WaitTime.duration(props.wait ?? SAGEMAKER_RETRY_WAIT),
  }).next(task);
  // A Choice on a missing path is an uncatchable States.Runtime: test the cause exists first.
  const choice = new sfn.Choice(scope, names.choice ?? `Is${id}ErrorTransient`).when(
    sfn.Condition.not(sfn.Condition.isPresent(`${caughtPath}.Cause`)),
    notRetried,
  );
  for (const [condition, next] of props.before ?? []) choice.when(condition, next);
  choice
    .when(
      sfn.Condition.and(transient, sfn.Condition.not(sfn.Condition.isPresent(retriesPath))),
      new sfn.Pass(scope, names.first ?? `First${id}Retry`, {
        result: sfn.Result.fromObject({ count: 1 }),
        resultPath: retriesPath,
      }).next(wait),
    )
    .when(
      sfn.Condition.and(transient, sfn.Condition.numberLessThan(`${retriesPath}.count`, max)),
      new sfn.Pass(scope, names.next ?? `Next${id}Retry`, {
        parameters: { 'count.$': `States.MathAdd(${retriesPath}.count, 1)` },
        resultPath: retriesPath,
      }).next(wait),
    )
    .otherwise(notRetried);
  task.addCatch(choice, { errors: [...(props.errors ?? [SAGEMAKER_API_ERROR])], resultPath: caughtPath });
  task.addCatch(target, { errors: ['States.ALL'], resultPath });
  return task;
}
