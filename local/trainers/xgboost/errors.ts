/**
 * A problem with the job's input (hyperparameters, channels, data): SageMaker reports it as a ClientError,
 * the user's to fix. Anything else the trainer throws is an AlgorithmError, the trainer's own fault.
 */
export class ClientError extends Error {
  override readonly name = 'ClientError';
}

/** The one-line reason SageMaker shows as the job's FailureReason (`output/failure`). */
export function failureReason(error: unknown): string {
  const kind = error instanceof ClientError ? 'ClientError' : 'AlgorithmError';
  const message = error instanceof Error ? error.message : String(error);
  return `${kind}: ${message.replace(/\s*\n\s*/g, ' ').trim()}`;
}
