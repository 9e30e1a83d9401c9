export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './dynamo';
export * from './errors';
export { RunAttributes, runKey, runKeyTemplate } from './keys';
export {
  allowedTransitions,
  assertDeploymentTransition,
  assertRunTransition,
  assertTransition,
  canTransition,
  DEPLOYMENT_TRANSITIONS,
  INITIAL_STATUSES,
  RUN_TRANSITIONS,
  VERSION_TRANSITIONS,
} from './lifecycle';
export {
  MONITORING_EVENT_TYPES,
  MONITORING_KINDS,
  type MonitoringKind,
  type MonitoringWindow,
  MonitoringWindows,
  parseWindowId,
  type RecordWindowInput,
  type RecordWindowResult,
  WindowSupersededError,
  windowIdFor,
} from './monitoring';
export { DEFAULT_PAGE_SIZE } from './paging';
export { ModelRegistryClient, type ModelRegistryClientOptions } from './registry';
export {
  RETRAIN_TRIGGERS,
  RETRAINING_EVENT_TYPES,
  type ReleaseRetrainSlotInput,
  type ReleaseRetrainSlotResult,
  type RetrainInFlight,
  type RetrainSlot,
  RetrainSlots,
  type RetrainTriggerKind,
  type TakeRetrainSlotInput,
  type TakeRetrainSlotResult,
} from './retraining';
export { MAX_VERSION, MODEL_NAME_PATTERN, MODEL_NAME_RULE } from './schemas';
export { RegistryKeys } from './table-design';
export { type TrainedDatasetLookup, TrainedDatasets } from './trained-datasets';
export * from './types';
