import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { SageMakerApiError } from './api-error';
import { ClientError, downloadInputs, uploadResults } from './job-data';
import { createJobDirectory, type JobDirectory, trainingEnvironment } from './job-directory';
import { type MetricDefinition, MetricParser, mergeMetricDefinitions } from './metrics';
import { startTrainer, type TrainerExit, type TrainerProcess } from './trainer-process';
import type { TrainingJobRequest } from './validation';

/** TrainingJobStatus, as SageMaker reports it. */
export type TrainingJobStatus = 'InProgress' | 'Completed' | 'Failed' | 'Stopping' | 'Stopped';

/** The SecondaryStatus values a local job goes through. */
export type SecondaryStatus =
  | 'Starting'
  | 'Downloading'
  | 'Training'
  | 'Uploading'
  | 'Stopping'
  | 'Completed'
  | 'Failed'
  | 'Stopped'
  | 'MaxRuntimeExceeded';

/** What a local job reports as it runs (progress display, tests). */
export type TrainingJobEvent =
  | {
      readonly jobName: string;
      readonly type: 'status';
      readonly time: Date;
      readonly status: TrainingJobStatus;
      readonly secondaryStatus: SecondaryStatus;
      readonly message: string;
      /** Set on the Failed (or MaxRuntimeExceeded) transition. */
      readonly failureReason?: string;
    }
  | {
      readonly jobName: string;
      readonly type: 'log';
      readonly time: Date;
      readonly stream: 'stdout' | 'stderr';
      readonly line: string;
    }
  | {
      readonly jobName: string;
      readonly type: 'metric';
      readonly time: Date;
      readonly name: string;
      readonly value: number;
    };

/** The local stand-in for a training image: which command runs for which images. */
export interface TrainerMapping {
  /** A RegExp searched in AlgorithmSpecification.TrainingImage, or the image itself (with or without tag). */
  readonly image: RegExp | string;
  /** Program and arguments, run in the job directory (what /opt/ml would be) with the SM_* variables. */
  readonly command: readonly string[];
  /** Extra environment for this trainer (e.g. PYTHONPATH). */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * How endpoints of this image serve locally (the local SageMaker Runtime runs it under SageMaker's hosting
   * contract: local/sagemaker/runtime/containers.ts); training ignores it.
   */
  readonly serve?: { readonly command: string; readonly args?: readonly string[] };
}

/** What every job of one local SageMaker shares. */
export interface TrainingJobContext {
  readonly s3: S3Client;
  /** Job directories (`<workDir>/<jobName>`) and logs (`<workDir>/<jobName>.log`) go here. */
  readonly workDir: string;
  readonly trainers: readonly TrainerMapping[];
  readonly builtInMetricDefinitions: (image: string) => readonly MetricDefinition[];
  readonly stopGracePeriodMs: number;
  readonly emit: (event: TrainingJobEvent) => void;
}

/** SageMaker keeps the first 1024 characters of a failure description. */
const MAX_FAILURE_REASON = 1024;
/** Lines kept in memory per job; the log file keeps them all. */
const MAX_LOG_LINES = 10_000;
const STDERR_TAIL_LINES = 10;
/** SageMaker's default MaxRuntimeInSeconds (one day). */
const DEFAULT_MAX_RUNTIME_SECONDS = 86_400;

const MESSAGES: Record<SecondaryStatus, string> = {
  Starting: 'Preparing the instances for training',
  Downloading: 'Downloading input data',
  Training: 'Training image download completed. Training in progress.',
  Uploading: 'Uploading generated training model',
  Stopping: 'Stopping the training job',
  Completed: 'Training job completed',
  Failed: 'Training job failed',
  Stopped: 'Training job stopped',
  MaxRuntimeExceeded: 'Training job runtime exceeded MaxRuntimeInSeconds provided',
};

interface Transition {
  readonly Status: SecondaryStatus;
  readonly StartTime: Date;
  EndTime?: Date;
  readonly StatusMessage: string;
}

type StopReason = 'requested' | 'maxRuntime' | 'shutdown';

/** The trainer a job's image runs with locally, if one is configured. */
export function findTrainer(trainers: readonly TrainerMapping[], image: string): TrainerMapping | undefined {
  return trainers.find((trainer) =>
    typeof trainer.image === 'string'
      ? image === trainer.image || image.startsWith(`${trainer.image}:`)
      : image.search(trainer.image) !== -1,
  );
}

/**
 * One training job run locally under SageMaker's training contract: input channels downloaded from S3 into
 * a directory laid out like /opt/ml, the trainer run as a child process with the SM_* environment, its log
 * read for metrics, its model directory uploaded as model.tar.gz.
 */
export class TrainingJob {
  /** Settles when the job has reached a terminal status (never rejects). */
  readonly done: Promise<void>;
  readonly creationTime = new Date();

  private status: TrainingJobStatus = 'InProgress';
  private readonly transitions: Transition[] = [];
  private lastModifiedTime = this.creationTime;
  private trainingStartTime?: Date;
  private trainingEndTime: Date | undefined;
  private failureReason?: string;
  private modelArtifacts?: string;
  private readonly metricDefinitions: MetricDefinition[];
  private readonly finalMetrics = new Map<string, { value: number; timestamp: Date }>();
  private readonly logLines: string[] = [];
  private readonly stderrTail: string[] = [];
  private trainer?: TrainerProcess;
  private stopReason?: StopReason;
  private maxRuntimeTimer?: NodeJS.Timeout;

  constructor(
    readonly request: TrainingJobRequest,
    readonly arn: string,
    private readonly context: TrainingJobContext,
  ) {
    const image = request.AlgorithmSpecification.TrainingImage;
    this.metricDefinitions = mergeMetricDefinitions(
      (request.AlgorithmSpecification.MetricDefinitions ?? []) as MetricDefinition[],
      context.builtInMetricDefinitions(image),
    );
    this.transition('Starting');
    this.done = this.run().catch((error: unknown) =>
      this.fail(`InternalServerError: ${errorMessage(error)}`),
    );
  }

  get name(): string {
    return this.request.TrainingJobName;
  }

  get isTerminal(): boolean {
    return this.status === 'Completed' || this.status === 'Failed' || this.status === 'Stopped';
  }

  /** The job's log lines so far (stdout and stderr, most recent 10,000). */
  get log(): readonly string[] {
    return this.logLines;
  }

  /**
   * StopTrainingJob: SIGTERM to the trainer, SIGKILL after the grace period; the job ends Stopped.
   * `shutdown` (the local SageMaker stopping) kills at once and skips the uploads.
   */
  stop(reason: StopReason = 'requested'): void {
    if (this.isTerminal) {
      if (reason === 'shutdown') return;
      throw new SageMakerApiError(
        'ValidationException',
        `The training job ${this.name} is already ${this.status} and cannot be stopped.`,
      );
    }
    if (this.stopReason && reason !== 'shutdown') return; // stopping already
    this.stopReason = reason;
    if (reason !== 'shutdown') this.transition('Stopping', 'Stopping');
    this.trainer?.terminate(reason === 'shutdown' ? 0 : this.context.stopGracePeriodMs);
  }

  private async run(): Promise<void> {
    const image = this.request.AlgorithmSpecification.TrainingImage;
    const trainer = findTrainer(this.context.trainers, image);
    if (!trainer) return this.fail(noTrainerReason(image));
    if (this.usesPipeMode()) {
      return this.fail('ClientError: Pipe input mode is not served locally: use File or FastFile.');
    }

    this.trainingStartTime = new Date();
    this.startMaxRuntimeTimer();
    this.transition('Downloading');
    const dir = await this.prepare();
    if (!dir) return;
    if (!this.stopReason) {
      this.transition('Training');
      const exit = await this.train(trainer, dir);
      if (!this.stopReason) return this.afterExit(exit, dir);
    }
    return this.afterStop(dir);
  }

  /** The job directory with every channel (and earlier checkpoints) downloaded; undefined if that failed. */
  private async prepare(): Promise<JobDirectory | undefined> {
    try {
      const dir = await createJobDirectory(join(this.context.workDir, this.name), this.request);
      await downloadInputs(this.context.s3, this.request, dir);
      return dir;
    } catch (error) {
      this.fail(
        error instanceof ClientError
          ? error.message
          : `ClientError: Data download failed: ${errorMessage(error)}`,
      );
      return undefined;
    }
  }

  private async train(trainer: TrainerMapping, dir: JobDirectory): Promise<TrainerExit> {
    const logFile = createWriteStream(join(this.context.workDir, `${this.name}.log`));
    logFile.on('error', () => undefined); // the in-memory log and the events still have every line
    const parser = new MetricParser(this.metricDefinitions);
    this.trainer = startTrainer(trainer.command, {
      cwd: dir.root,
      env: trainingEnvironment(dir, this.request, trainer.environment),
      onLine: (stream, line) => this.onLine(stream, line, parser, logFile),
    });
    const exit = await this.trainer.exited;
    await new Promise<void>((resolve) => logFile.end(resolve));
    return exit;
  }

  private onLine(
    stream: 'stdout' | 'stderr',
    line: string,
    parser: MetricParser,
    logFile: WriteStream,
  ): void {
    const time = new Date();
    logFile.write(`${line}\n`);
    pushBounded(this.logLines, line, MAX_LOG_LINES);
    if (stream === 'stderr') pushBounded(this.stderrTail, line, STDERR_TAIL_LINES);
    this.context.emit({ jobName: this.name, type: 'log', time, stream, line });
    for (const { name, value } of parser.parse(line)) {
      this.finalMetrics.set(name, { value, timestamp: time });
      this.context.emit({ jobName: this.name, type: 'metric', time, name, value });
    }
  }

  private async afterExit(exit: TrainerExit, dir: JobDirectory): Promise<void> {
    if (exit.code !== 0) return this.fail(await this.algorithmFailure(exit, dir));
    this.transition('Uploading');
    try {
      await this.uploadResults(dir);
    } catch (error) {
      return this.fail(`InternalServerError: Uploading the model artifacts failed: ${errorMessage(error)}`);
    }
    this.end('Completed', 'Completed');
  }

  /** Stopped jobs keep what the trainer saved in its grace period, as on SageMaker (not on shutdown). */
  private async afterStop(dir: JobDirectory): Promise<void> {
    if (this.stopReason !== 'shutdown') {
      this.transition('Uploading');
      // Best effort: the job is Stopped either way, and a trainer killed mid-write may leave nothing useful.
      await this.uploadResults(dir).catch(() => undefined);
    }
    if (this.stopReason === 'maxRuntime') {
      const limit = this.maxRuntimeSeconds();
      this.failureReason = `MaxRuntimeExceeded: ${MESSAGES.MaxRuntimeExceeded} (${limit} s)`;
      this.end('Stopped', 'MaxRuntimeExceeded');
    } else {
      this.end('Stopped', 'Stopped');
    }
  }

  private async uploadResults(dir: JobDirectory): Promise<void> {
    this.modelArtifacts = await uploadResults(this.context.s3, this.request, dir);
  }

  private async algorithmFailure(exit: TrainerExit, dir: JobDirectory): Promise<string> {
    const written = (await readFile(dir.failureFile, 'utf8').catch(() => '')).trim();
    if (written) return written;
    const how = exit.spawnError
      ? `the trainer command could not be started (${exit.spawnError.message})`
      : exit.signal
        ? `trainer was killed by ${exit.signal}`
        : `trainer exited with code ${exit.code}`;
    const tail = this.stderrTail.length > 0 ? `. Last stderr lines:\n${this.stderrTail.join('\n')}` : '';
    return `AlgorithmError: ${how}${tail}`;
  }

  /** Pipe mode streams channels through FIFOs; locally every channel is a directory of files. */
  private usesPipeMode(): boolean {
    const modes = [
      this.request.AlgorithmSpecification.TrainingInputMode,
      ...(this.request.InputDataConfig ?? []).map((channel) => channel.InputMode),
    ];
    return modes.includes('Pipe');
  }

  private maxRuntimeSeconds(): number {
    return this.request.StoppingCondition.MaxRuntimeInSeconds ?? DEFAULT_MAX_RUNTIME_SECONDS;
  }

  private startMaxRuntimeTimer(): void {
    this.maxRuntimeTimer = setTimeout(() => this.stop('maxRuntime'), this.maxRuntimeSeconds() * 1000);
  }

  private fail(reason: string): void {
    if (this.isTerminal) return;
    this.failureReason = reason.slice(0, MAX_FAILURE_REASON);
    this.end('Failed', 'Failed', this.failureReason);
  }

  private end(status: TrainingJobStatus, secondary: SecondaryStatus, message?: string): void {
    clearTimeout(this.maxRuntimeTimer);
    this.trainingEndTime = this.trainingStartTime && new Date();
    this.transition(secondary, status, message);
  }

  private transition(secondary: SecondaryStatus, status = this.status, message = MESSAGES[secondary]): void {
    const time = new Date();
    const previous = this.transitions.at(-1);
    if (previous) previous.EndTime = time;
    this.status = status;
    this.lastModifiedTime = time;
    const terminal = this.isTerminal;
    this.transitions.push({
      Status: secondary,
      StartTime: time,
      StatusMessage: message,
      ...(terminal ? { EndTime: time } : {}),
    });
    this.context.emit({
      jobName: this.name,
      type: 'status',
      time,
      status,
      secondaryStatus: secondary,
      message,
      ...(terminal && this.failureReason ? { failureReason: this.failureReason } : {}),
    });
  }

  /**
   * DescribeTrainingJob's response as it goes on the wire: the request echoed back with SageMaker's
   * defaults, timestamps in epoch seconds (the SDK turns them into Dates).
   */
  describe(): Record<string, unknown> {
    const request = this.request;
    const seconds =
      this.trainingEndTime && this.trainingStartTime
        ? elapsedSeconds(this.trainingStartTime, this.trainingEndTime)
        : undefined;
    return {
      TrainingJobName: request.TrainingJobName,
      TrainingJobArn: this.arn,
      ModelArtifacts:
        this.modelArtifacts === undefined ? undefined : { S3ModelArtifacts: this.modelArtifacts },
      TrainingJobStatus: this.status,
      SecondaryStatus: this.transitions.at(-1)?.Status,
      FailureReason: this.failureReason,
      HyperParameters: request.HyperParameters ?? {},
      AlgorithmSpecification: {
        ...request.AlgorithmSpecification,
        MetricDefinitions: this.metricDefinitions.length > 0 ? this.metricDefinitions : undefined,
        EnableSageMakerMetricsTimeSeries:
          request.AlgorithmSpecification.EnableSageMakerMetricsTimeSeries ?? false,
      },
      RoleArn: request.RoleArn,
      InputDataConfig: request.InputDataConfig?.map((channel) => ({
        CompressionType: 'None',
        RecordWrapperType: 'None',
        ...channel,
      })),
      OutputDataConfig: request.OutputDataConfig,
      ResourceConfig: request.ResourceConfig,
      VpcConfig: request.VpcConfig,
      StoppingCondition: request.StoppingCondition,
      CreationTime: epochSeconds(this.creationTime),
      TrainingStartTime: this.trainingStartTime && epochSeconds(this.trainingStartTime),
      TrainingEndTime: this.trainingEndTime && epochSeconds(this.trainingEndTime),
      LastModifiedTime: epochSeconds(this.lastModifiedTime),
      SecondaryStatusTransitions: this.transitions.map((transition) => ({
        ...transition,
        StartTime: epochSeconds(transition.StartTime),
        EndTime: transition.EndTime && epochSeconds(transition.EndTime),
      })),
      FinalMetricDataList: [...this.finalMetrics].map(([name, metric]) => ({
        MetricName: name,
        Value: metric.value,
        Timestamp: epochSeconds(metric.timestamp),
      })),
      EnableNetworkIsolation: request.EnableNetworkIsolation ?? false,
      EnableInterContainerTrafficEncryption: request.EnableInterContainerTrafficEncryption ?? false,
      EnableManagedSpotTraining: request.EnableManagedSpotTraining ?? false,
      CheckpointConfig: request.CheckpointConfig && {
        LocalPath: '/opt/ml/checkpoints',
        ...request.CheckpointConfig,
      },
      TrainingTimeInSeconds: seconds,
      BillableTimeInSeconds: seconds,
      DebugHookConfig: request.DebugHookConfig,
      ExperimentConfig: request.ExperimentConfig,
      DebugRuleConfigurations: request.DebugRuleConfigurations,
      TensorBoardOutputConfig: request.TensorBoardOutputConfig,
      ProfilerConfig: request.ProfilerConfig,
      Environment: request.Environment,
      RetryStrategy: request.RetryStrategy,
    };
  }
}

function noTrainerReason(image: string): string {
  return (
    `ClientError: No local trainer is configured for image "${image}": the local SageMaker runs a command ` +
    'of yours in place of the image. Configure one with the trainers option of startLocalSageMaker, e.g. ' +
    "trainers: [{ image: /sagemaker-xgboost/, command: ['python3', 'train.py'] }]; the command runs in the " +
    'job directory (laid out like /opt/ml) with the SM_* variables of the SageMaker training toolkit.'
  );
}

function pushBounded(lines: string[], line: string, max: number): void {
  lines.push(line);
  if (lines.length > max) lines.shift();
}

function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}

function elapsedSeconds(from: Date, to: Date): number {
  return Math.max(1, Math.round((to.getTime() - from.getTime()) / 1000));
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
