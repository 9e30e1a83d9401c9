import { RegistryKeys } from './table-design';

/** Key builders for the single-table design in table-design.ts (the only place key formats live). */
const { partitionKey: PK, sortKey: SK, gsi1, gsi2 } = RegistryKeys;

export type ItemKey = Record<string, string>;

export const VERSION_PREFIX = 'VERSION#';
export const EVENT_PREFIX = 'EVENT#';
export const MODELS_PARTITION = 'MODELS';

export const modelPartition = (model: string): string => `MODEL#${model}`;

/** Zero-padded so that string order is numeric order. */
export const versionSortKey = (version: number): string =>
  `${VERSION_PREFIX}${String(version).padStart(10, '0')}`;

export const modelKey = (model: string): ItemKey => ({ [PK]: modelPartition(model), [SK]: 'MODEL' });

export const versionKey = (model: string, version: number): ItemKey => ({
  [PK]: modelPartition(model),
  [SK]: versionSortKey(version),
});

export const aliasKey = (model: string, alias: string): ItemKey => ({
  [PK]: modelPartition(model),
  [SK]: `ALIAS#${alias}`,
});

/** ISO time first so events sort chronologically; the id keeps same-millisecond events apart. */
export const eventKey = (model: string, at: string, id: string): ItemKey => ({
  [PK]: modelPartition(model),
  [SK]: `${EVENT_PREFIX}${at}#${id}`,
});

/** A dataset a model trained on, by the sha256 of its bytes (duplicate uploads are recognised by it). */
export const trainedDatasetKey = (model: string, sha256: string): ItemKey => ({
  [PK]: modelPartition(model),
  [SK]: `DATASET#${sha256}`,
});

const RUN_PARTITION_PREFIX = 'RUN#';
const RUN_SORT_KEY = 'RUN';

/** A run's item: `RUN#<runId>` / `RUN`. */
export const runKey = (runId: string): ItemKey => ({
  [PK]: `${RUN_PARTITION_PREFIX}${runId}`,
  [SK]: RUN_SORT_KEY,
});

/**
 * A run's key for callers that only know the run id at run time, e.g. a Step Functions DynamoDB task:
 * `States.Format(runKeyTemplate.partitionKey.format, $.run.runId)` gives the partition key's value.
 */
export const runKeyTemplate = {
  partitionKey: { name: PK, format: `${RUN_PARTITION_PREFIX}{}` },
  sortKey: { name: SK, value: RUN_SORT_KEY },
} as const;

/** Attribute names of a run item that writers outside the client (the workflow's step updates) set. */
export const RunAttributes = { status: 'status', step: 'step', updatedAt: 'updatedAt' } as const;

export const runStatusPartition = (status: string): string => `RUNSTATUS#${status}`;
export const modelRunsPartition = (model: string): string => `MODELRUNS#${model}`;
const runSortKey = (startedAt: string, runId: string): string => `${startedAt}#${runId}`;

/** The index attributes a run item carries: GSI1 lists runs by status, GSI2 by model. */
export const runIndexAttributes = (run: {
  runId: string;
  model: string;
  status: string;
  startedAt: string;
}) => ({
  [gsi1.partitionKey]: runStatusPartition(run.status),
  [gsi1.sortKey]: runSortKey(run.startedAt, run.runId),
  [gsi2.partitionKey]: modelRunsPartition(run.model),
  [gsi2.sortKey]: runSortKey(run.startedAt, run.runId),
});

/** GSI1 attributes that put a model in the list of all models. */
export const modelIndexAttributes = (model: string) => ({
  [gsi1.partitionKey]: MODELS_PARTITION,
  [gsi1.sortKey]: model,
});

const DEPLOYMENT_PARTITION_PREFIX = 'DEPLOYMENT#';

/** A deployment's item, by its id alone, so a redelivered request finds it without knowing when it began. */
export const deploymentKey = (deploymentId: string): ItemKey => ({
  [PK]: `${DEPLOYMENT_PARTITION_PREFIX}${deploymentId}`,
  [SK]: 'DEPLOYMENT',
});

export const modelDeploymentsPartition = (model: string): string => `MODELDEPLOYMENTS#${model}`;

/** GSI2 lists a model's deployments, as it lists its runs, newest first. */
export const deploymentIndexAttributes = (deployment: {
  deploymentId: string;
  model: string;
  startedAt: string;
}) => ({
  [gsi2.partitionKey]: modelDeploymentsPartition(deployment.model),
  [gsi2.sortKey]: `${deployment.startedAt}#${deployment.deploymentId}`,
});

/** The model's deployment lease (one per model). */
export const deploymentLeaseKey = (model: string): ItemKey => ({
  [PK]: modelPartition(model),
  [SK]: 'LEASE#deployment',
});

/** The task token waiting on an endpoint's next state change, by endpoint name (all an event carries). */
export const endpointWaiterKey = (endpointName: string): ItemKey => ({
  [PK]: `ENDPOINTWAITER#${endpointName}`,
  [SK]: 'WAITER',
});

export const idempotencyKey = (key: string): ItemKey => ({ [PK]: `IDEMPOTENCY#${key}`, [SK]: 'IDEMPOTENCY' });

/** Human-readable form of a key for error messages. */
export const describeKey = (key: ItemKey): string => `${key[PK]} / ${key[SK]}`;

export const WINDOW_PREFIX = 'WINDOW#';

/** A monitoring window of `kind` (drift, quality), keyed by its end so windows sort by time. */
export const monitoringWindowKey = (model: string, kind: string, until: string): ItemKey => ({
  [PK]: modelPartition(model),
  [SK]: `${WINDOW_PREFIX}${kind}#${until}`,
});

/** The monitoring cursor of `kind`: the end of the last recorded window. */
export const monitoringCursorKey = (model: string, kind: string): ItemKey => ({
  [PK]: modelPartition(model),
  [SK]: `MONITOR#${kind}`,
});

/** The model's retrain slot. */
export const retrainSlotKey = (model: string): ItemKey => ({
  [PK]: modelPartition(model),
  [SK]: 'RETRAIN#slot',
});
