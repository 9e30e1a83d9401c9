/**
 * Reading SageMaker data capture (and the inference API's capture, written alike): records into the rows
 * the model received and the predictions it answered, in the model's terms; problems counted, never thrown.
 * Used by the drift check (lambdas/check-drift) and the quality check (joined with ground truth).
 */
export { type CaptureBucket, MAX_CAPTURE_DELAY_SECONDS, windowFiles } from './files';
export { type LineHandler, readLines } from './lines';
export {
  answerNumbers,
  type CaptureCounts,
  CaptureParser,
  type CaptureParserOptions,
  type CaptureRecord,
  type CaptureValue,
  fastDecimal,
  INTERNAL_INFERENCE_ID_PREFIX,
  splitQuoted,
} from './parse';
export {
  CAPTURE_PROBLEM_KINDS,
  type CaptureLocation,
  type CaptureProblemExample,
  type CaptureProblemKind,
  type CaptureProblemSummary,
  CaptureProblems,
} from './problems';
export {
  type CaptureFeature,
  type CaptureSchema,
  captureSchemaFor,
  type EncodingLike,
  outputWidthFor,
} from './schema';
