import { createHash } from 'node:crypto';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  DRIFT_DETECTED,
  EVENT_SOURCE,
  MODEL_QUALITY_DEGRADED,
  MODEL_REGISTERED,
} from '../../lambdas/shared/events';
import {
  MODEL_SETTINGS_DEFAULTS_KEY,
  type MonitoringScheduleInput,
  type RuntimeModelSettingsMap,
  type RuntimeMonitoringSettingsMap,
} from '../../lambdas/shared/model-settings';
import { KeyPatterns, Prefixes, RunArtifacts } from '../../lambdas/shared/s3-layout';
import { grantListUnder } from './list-bucket';
import type { ModelRegistry } from './model-registry';
import { acknowledgeWildcardResource } from './nag';
import { PipelineFunction } from './pipeline-function';
import type { BucketReference } from './references';
import { deadLetterQueue, keepFailedInvocations, ruleDelivery } from './rule-dead-letters';

/** Lambda environment variables are capped at 4 KB in total (names and values); leave room for the others. */
const MAX_SETTINGS_BYTES = 3584;

export interface MonitoringProps {
  /** Ground truth arrives under `ground-truth/<model>/`; retrain datasets go to `datasets/<model>/`. */
  readonly dataBucket: BucketReference;
  /** Capture (`capture/`), run artifacts (`runs/`), contracts, and the reports (`monitoring/`). */
  readonly artifactsBucket: BucketReference;
  /** Monitoring windows, the retrain slot, versions and runs, audit events. */
  readonly registry: ModelRegistry;
  /** Encrypts logs; the buckets' and the registry's key. */
  readonly encryptionKey: kms.IKey;
  /** Every listed model's monitoring settings plus `defaults` (lib/config toRuntimeMonitoringSettings). */
  readonly monitoringSettings: RuntimeMonitoringSettingsMap;
  /** Every model's settings plus `defaults`: the quality check reads the evaluation metric and its direction. */
  readonly modelSettings: RuntimeModelSettingsMap;

  /**
   * The stack's bus: DriftDetected, ModelQualityDegraded, RetrainStarted and RetrainNeedsLabels are published
   * there; DriftDetected, ModelQualityDegraded and ModelRegistered reach the retrainer from there.
   * @default - the account's default event bus
   */
  readonly eventBus?: events.IEventBus;

  /**
   * What happens to log groups and the dead-letter queue when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** One EventBridge schedule and the input its rule gives the checks (without `time`, filled per event). */
export interface MonitoringSchedule {
  readonly expression: string;
  readonly input: Omit<MonitoringScheduleInput, 'time'>;
}

/**
 * The schedules the checks run on: one per distinct schedule among the listed models, naming them; and the
 * `defaults` schedule for every other model (`"*"`, excluding the models that have a schedule of their own), so
 * each model is checked on exactly one schedule. A listed model on the defaults' schedule is one of `"*"`.
 */
export function monitoringSchedules(settings: RuntimeMonitoringSettingsMap): MonitoringSchedule[] {
  const defaults = settings[MODEL_SETTINGS_DEFAULTS_KEY];
  if (!defaults) throw new Error(`The monitoring settings have no "${MODEL_SETTINGS_DEFAULTS_KEY}" entry`);
  const own = new Map<string, string[]>();
  for (const [model, { schedule }] of Object.entries(settings).sort(([a], [b]) => a.localeCompare(b))) {
    if (model === MODEL_SETTINGS_DEFAULTS_KEY || schedule === defaults.schedule) continue;
    own.set(schedule, [...(own.get(schedule) ?? []), model]);
  }
  const exclude = [...own.values()].flat().sort();
  return [
    { expression: defaults.schedule, input: exclude.length > 0 ? { models: '*', exclude } : { models: '*' } },
    ...[...own.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([expression, models]) => ({ expression, input: { models } })),
  ];
}

/**
 * Monitoring (issue 10): EventBridge schedules run the drift check (lambdas/check-drift) and the quality check
 * (lambdas/check-quality) over the capture of each model's window; ground-truth uploads run the quality check of
 * their model at once; DriftDetected and ModelQualityDegraded reach the retrainer (lambdas/retrain), which
 * writes `datasets/<model>/retrain-<window>.csv` when the trouble holds and there are new labels (the training
 * pipeline takes it from there), and ModelRegistered frees its in-flight slot. Each function's role allows only
 * what it calls.
 *
 * Inputs: the schedule rules give both checks {@link MonitoringScheduleInput} (`time` from the scheduled event,
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html); the ground-truth
 * rule gives check-quality S3's `Object Created` event; the retrainer gets the events as EventBridge sends them.
 */
export class Monitoring extends Construct {
  public readonly functions: Readonly<Record<'checkDrift' | 'checkQuality' | 'retrain', PipelineFunction>>;
  /** The scheduled rules, by schedule expression. */
  public readonly scheduleRules: ReadonlyMap<string, events.Rule>;
  /** Ground-truth uploads run the quality check of their model. */
  public readonly groundTruthRule: events.Rule;
  /** DriftDetected and ModelQualityDegraded (retrain?) and ModelRegistered (a retrain's run ended) reach the retrainer. */
  public readonly retrainRule: events.Rule;
  /** Events the rules could not deliver, and failed asynchronous invocations of the three functions. */
  public readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { dataBucket, artifactsBucket, registry, encryptionKey: key } = props;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const eventBus = props.eventBus ?? events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');

    const monitoringSettings = JSON.stringify(props.monitoringSettings);
    // The quality check reads the evaluation metric and its direction; the rest of MODEL_SETTINGS is training's.
    const evaluationSettings = JSON.stringify(
      Object.fromEntries(
        Object.entries(props.modelSettings).map(([model, { problemType, evaluation }]) => [
          model,
          { problemType, evaluation },
        ]),
      ),
    );
    const settingsBytes = Buffer.byteLength(monitoringSettings) + Buffer.byteLength(evaluationSettings);
    if (settingsBytes > MAX_SETTINGS_BYTES) {
      throw new Error(
        `The monitoring and evaluation settings are ${settingsBytes} bytes as JSON; the monitoring functions get them in environment variables limited to ${MAX_SETTINGS_BYTES} bytes. Move shared settings into models.defaults.`,
      );
    }

    const common = {
      REGISTRY_TABLE_NAME: registry.table.tableName,
      ARTIFACTS_BUCKET: artifactsBucket.bucketName,
      EVENT_BUS_NAME: eventBus.eventBusName,
      KMS_KEY_ARN: key.keyArn,
      MONITORING_SETTINGS: monitoringSettings,
    };
    const fn = (id: string, entry: string, environment: Record<string, string>) =>
      new PipelineFunction(this, id, {
        entry,
        encryptionKey: key,
        removalPolicy,
        environment: { ...common, ...environment },
        // Streams a window's capture (up to millions of rows); a full vCPU at 1,769 MB.
        memorySize: 1769,
        timeout: Duration.minutes(15),
      });
    this.functions = {
      checkDrift: fn('CheckDrift', 'check-drift', {}),
      checkQuality: fn('CheckQuality', 'check-quality', {
        DATA_BUCKET: dataBucket.bucketName,
        MODEL_SETTINGS: evaluationSettings,
      }),
      retrain: fn('Retrain', 'retrain', { DATA_BUCKET: dataBucket.bucketName }),
    };
    this.grant(props, eventBus);

    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetters', {
      reason:
        "This queue is the dead-letter queue of monitoring's rules and functions; a DLQ of a DLQ would never be read.",
      removalPolicy,
    });
    const delivery = ruleDelivery(this.deadLetterQueue);
    const { checkDrift, checkQuality, retrain } = this.functions;

    const rules = new Map<string, events.Rule>();
    for (const schedule of monitoringSchedules(props.monitoringSettings)) {
      const input = events.RuleTargetInput.fromObject({ ...schedule.input, time: events.EventField.time });
      rules.set(
        schedule.expression,
        new events.Rule(this, `Schedule-${scheduleId(schedule.expression)}`, {
          description:
            schedule.input.models === '*'
              ? `Drift and quality checks of every deployed model${schedule.input.exclude ? ' without a schedule of its own' : ''}, ${schedule.expression}`
              : `Drift and quality checks of ${schedule.input.models.join(', ')}, ${schedule.expression}`,
          schedule: events.Schedule.expression(schedule.expression),
          targets: [
            new targets.LambdaFunction(checkDrift.function, { ...delivery, event: input }),
            new targets.LambdaFunction(checkQuality.function, { ...delivery, event: input }),
          ],
        }),
      );
    }
    this.scheduleRules = rules;
    this.groundTruthRule = new events.Rule(this, 'GroundTruthUploaded', {
      description: `Labels uploaded under ${Prefixes.groundTruth}<model>/ in the data bucket run that model's quality check`,
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [dataBucket.bucketName] },
          object: { key: [{ wildcard: `${Prefixes.groundTruth}*/*` }] },
        },
      },
      targets: [new targets.LambdaFunction(checkQuality.function, delivery)],
    });
    this.retrainRule = new events.Rule(this, 'RetrainTriggers', {
      eventBus,
      description:
        'DriftDetected and ModelQualityDegraded may start a retrain; ModelRegistered ends the one in flight',
      eventPattern: {
        source: [EVENT_SOURCE],
        detailType: [DRIFT_DETECTED, MODEL_QUALITY_DEGRADED, MODEL_REGISTERED],
      },
      targets: [new targets.LambdaFunction(retrain.function, delivery)],
    });
    // EventBridge invokes the functions asynchronously: once Lambda's own retries are spent, keep the event.
    for (const target of [checkDrift, checkQuality, retrain]) {
      keepFailedInvocations(target.function, this.deadLetterQueue);
    }
  }

  /**
   * Each function gets what its code calls. Registry (lambdas/shared/registry): the checks list models on gsi1
   * (`"*"`), read the alias, version, cursor and window with GetItem and record a window in one transaction of
   * three Puts (window, cursor, audit event); the retrainer reads the slot, runs and versions with GetItem, the
   * last windows with a Query of the model's partition and its runs on the model-runs index (gsi2), moves the
   * slot with UpdateItem (alone or in a transaction with its audit event's Put) and appends events with
   * PutItem. S3: reads under the prefixes it reads (ListBucket limited to them by s3:prefix, as the
   * validator's), writes only its own outputs.
   */
  private grant(props: MonitoringProps, eventBus: events.IEventBus): void {
    const { registry, dataBucket: data, artifactsBucket: artifacts, encryptionKey: key } = props;
    const { checkDrift, checkQuality, retrain } = this.functions;
    for (const check of [checkDrift, checkQuality]) {
      registry.grantItemActions(check.function, 'GetItem', 'PutItem');
      registry.grantQueryIndex(check.function, 'gsi1');
    }
    registry.grantItemActions(retrain.function, 'GetItem', 'PutItem', 'UpdateItem', 'Query');
    registry.grantQueryIndex(retrain.function, 'gsi2');
    for (const fn of [checkDrift, checkQuality, retrain]) {
      eventBus.grantPutEventsTo(fn.function);
      key.grant(fn.function, 'kms:Decrypt', 'kms:GenerateDataKey');
    }

    const capture = artifacts.arnForObjects(KeyPatterns.capture);
    const reports = artifacts.arnForObjects(KeyPatterns.monitoring);
    const contracts = artifacts.arnForObjects(KeyPatterns.contracts);
    const groundTruth = data.arnForObjects(KeyPatterns.groundTruth);
    const runFile = (file: string) => artifacts.arnForObjects(KeyPatterns.runFile(file));
    const baselines = [
      runFile(RunArtifacts.baseline),
      runFile(RunArtifacts.encoding),
      runFile(RunArtifacts.predictionBaseline),
    ];
    const read = (role: iam.IRole, resources: string[]) =>
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources }));
    const write = (role: iam.IRole, resources: string[]) =>
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources }));
    const list = (role: iam.IRole, bucket: BucketReference, prefixes: string[]) =>
      grantListUnder(role, bucket, prefixes);

    // Drift: the window's capture, the serving version's baselines and encoding; its reports.
    read(checkDrift.role, [capture, ...baselines, reports, contracts]);
    write(checkDrift.role, [reports]);
    list(checkDrift.role, artifacts, [KeyPatterns.capture, KeyPatterns.monitoring, KeyPatterns.runs]);
    // Quality: the same capture joined with the labels; its reports.
    read(checkQuality.role, [capture, ...baselines, reports, contracts]);
    read(checkQuality.role, [groundTruth]);
    write(checkQuality.role, [reports]);
    list(checkQuality.role, artifacts, [KeyPatterns.capture, KeyPatterns.monitoring, KeyPatterns.runs]);
    list(checkQuality.role, data, [KeyPatterns.groundTruth]);
    // Retrain: the last training dataset (an upload, by version) and its run's artifacts, the labels and the
    // labeled capture; it writes only retrain datasets.
    const uploads = data.arnForObjects(KeyPatterns.datasets);
    const runs = artifacts.arnForObjects(KeyPatterns.runs);
    const retrainDatasets = data.arnForObjects(KeyPatterns.retrainDatasets);
    retrain.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: [uploads] }),
    );
    read(retrain.role, [groundTruth, capture, runs, contracts]);
    retrain.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
        resources: [retrainDatasets],
      }),
    );
    list(retrain.role, data, [KeyPatterns.datasets, KeyPatterns.groundTruth]);
    list(retrain.role, artifacts, [KeyPatterns.capture, KeyPatterns.runs, KeyPatterns.contracts]);

    const reasons: [PipelineFunction[], string, string][] = [
      [
        [checkDrift, checkQuality, retrain],
        capture,
        `Capture is written under ${Prefixes.capture}<model>/<endpoint>/<variant>/yyyy/mm/dd/hh/ by SageMaker and the inference API; read-only.`,
      ],
      [
        [checkDrift, checkQuality],
        reports,
        `Each window's reports go under ${Prefixes.monitoring}<model>/<window>/.`,
      ],
      [
        [checkDrift, checkQuality, retrain],
        contracts,
        `A model's contract is under ${Prefixes.contracts}<model>/; read-only.`,
      ],
      [
        [checkQuality, retrain],
        groundTruth,
        `Labels are uploaded under ${Prefixes.groundTruth}<model>/; read-only.`,
      ],
      [
        [retrain],
        uploads,
        `The last training dataset may be any upload under ${Prefixes.datasets}<model>/; read-only.`,
      ],
      [
        [retrain],
        runs,
        `The last run's artifacts (lineage, encoding, splits) are under ${Prefixes.runs}<runId>/; read-only.`,
      ],
      [
        [retrain],
        retrainDatasets,
        `Retrain datasets are named ${Prefixes.datasets}<model>/retrain-<window>.csv; nothing else is written.`,
      ],
    ];
    for (const baseline of baselines) {
      reasons.push([
        [checkDrift, checkQuality],
        baseline,
        `Run ids are known only at run time; one file of every run, read-only.`,
      ]);
    }
    for (const [functions, resource, reason] of reasons) {
      for (const f of functions) acknowledgeWildcardResource(f.role, resource, reason);
    }
  }
}

/** A construct id for a schedule expression: its letters and digits, and a hash so distinct ones never clash. */
function scheduleId(expression: string): string {
  const readable = expression.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '');
  return `${readable}-${createHash('sha256').update(expression).digest('hex').slice(0, 8)}`;
}
