/** Ground truth (labels for served predictions) and its join with the captured traffic. */
export {
  type CapturedRequest,
  emptyJoinCounts,
  type FeatureValue,
  type JoinCounts,
  joinLabels,
  joinRequest,
  type LabeledRow,
  labelsFor,
} from './join';
export {
  addProblems,
  formatOfKey,
  type GroundTruthFormat,
  type GroundTruthProblems,
  type GroundTruthRecord,
  ID_COLUMNS,
  LabelIndex,
  lines,
  MAX_LINE_CHARS,
  noProblems,
  type ParseGroundTruthOptions,
  parseGroundTruth,
} from './labels';
export {
  DEFAULT_CAPTURE_LOOKBACK_SECONDS,
  forEachLabeledRow,
  inRange,
  type LabeledCaptureSummary,
  type ListedObject,
  type LoadedLabels,
  listObjectsInRange,
  loadLabels,
  type TimeRange,
} from './s3';
