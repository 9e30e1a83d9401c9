/**
 * The `mlops` command line: parses arguments with commander, runs a command against the target and turns
 * every failure into one line on stderr and an exit code (see errors.ts). bin/mlops.ts only wires it to
 * the process; tests call {@link runCli} directly.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Help, Option } from 'commander';
import { DEFAULT_DRIFT_SETTINGS } from '../lambdas/shared/drift';
import { RUN_STATUSES } from '../lambdas/shared/registry';
import { type DecisionKind, decide, renderDecision } from './approval';
import { parseInteger, parseModelName, parseRunStatus, parseSeconds } from './arguments';
import {
  ARTIFACT_DESCRIPTIONS,
  ARTIFACT_NAMES,
  downloadArtifact,
  findArtifact,
  listArtifacts,
  parseArtifactName,
  readArtifact,
  renderArtifacts,
} from './artifacts';
import {
  checkDatasetName,
  type FileValidation,
  fileValidation,
  inferContract,
  modelContract,
  parseProblemType,
  readContractFile,
  renderInit,
  renderValidation,
  uploadContract,
  validateFile,
  writeContractFile,
} from './contract';
import {
  DEFAULT_DEPLOY_TIMEOUT_SECONDS,
  DEFAULT_DEPLOYMENT_LIMIT,
  deploymentWaitFailure,
  listDeploymentsOf,
  renderDeployment,
  renderDeploymentProgress,
  renderDeploymentsTable,
  showDeployment,
  waitForDeployment,
} from './deployment-status';
import { type DeploymentRequest, renderRequest, requestDeployment, requestRollback } from './deployments';
import { compareFiles, comparisonJson, parseCorrection, parseShare, renderComparison } from './drift';
import {
  DEFAULT_WINDOW_LIMIT,
  LATEST_WINDOW,
  listDriftWindows,
  renderSavedReport,
  renderWindowDetails,
  renderWindowListing,
  saveDriftReport,
  showDriftWindow,
} from './drift-windows';
import { CliError, describeError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from './errors';
import { listModels, renderModel, renderModelsTable, renderVersion, showModel, showVersion } from './models';
import { formatBytes, type Io, renderJson } from './output';
import { describePrediction, predict, renderPredictions } from './predict';
import { renderRetry, requestRetry } from './retry';
import {
  costsByModel,
  DEFAULT_RUN_LIMIT,
  listRuns,
  renderRun,
  renderRunsTable,
  renderRunsWithCost,
  showRun,
} from './runs';
import {
  DEFAULT_STACK_NAME,
  parseTargetKind,
  resolveTarget,
  splitTargetOption,
  type Target,
  type TargetKind,
  type TargetResolver,
} from './target';
import {
  DEFAULT_TIMEOUT_SECONDS,
  prepareUpload,
  renderProgress,
  renderSucceeded,
  renderUpload,
  uploadDataset,
  waitFailure,
  waitForRun,
} from './upload';

/** What the CLI runs with; everything but `io` has a production default. */
export interface CliContext {
  readonly io: Io;
  /** @default resolveTarget (the local runtime of --state-dir, or with --target aws the deployed stack) */
  readonly resolveTarget?: TargetResolver;
  /** How often --wait polls the registry. @default DEFAULT_POLL_INTERVAL_MS */
  readonly pollIntervalMs?: number;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** The actor recorded by `runs retry`, `approve`, `reject`, `deploy` and `rollback`. @default `<os user>@<host>` */
  readonly operator?: string;
  /** Ids of requests (`runs retry`, `deploy`, `rollback`). @default crypto.randomUUID */
  readonly newRequestId?: () => string;
  /** What `-` reads (`mlops predict <model> -`). @default the process's standard input */
  readonly stdin?: () => Promise<string>;
}

interface UploadOptions {
  readonly model: string;
  readonly wait?: boolean;
  readonly timeout: string;
}

/** Options every command accepts (before or after the command's name; --target only before it). */
interface GlobalOptions {
  readonly json?: boolean;
  readonly stateDir?: string;
  readonly stack?: string;
  readonly region?: string;
  readonly profile?: string;
}

/** Global options that take a value, so that --target is looked for up to the command's name only. */
const GLOBAL_VALUE_OPTIONS = ['--state-dir', '--stack', '--region', '--profile'] as const;

/**
 * `--target`, shown in the help but parsed before commander: `init` and `drift compare` have a `--target
 * <column>` of their own, which a program option would take from them wherever it stands.
 */
const TARGET_OPTION = new Option(
  '--target <where>',
  'before the command: local (default; the runtime `npm start` runs) or aws (a deployed stack, from its outputs)',
);

/**
 * Runs one `mlops` command line.
 *
 * @param argv - the arguments after the program name, e.g. `['runs', 'list', '--json']`
 * @returns the exit code: 0 done, 1 failed, 2 usage error
 */
export async function runCli(argv: readonly string[], context: CliContext): Promise<number> {
  const session = new Session(context);
  try {
    const { target, rest } = splitTargetOption(argv, GLOBAL_VALUE_OPTIONS);
    if (target !== undefined) session.kind = parseTargetKind(target);
    const program = buildProgram(session);
    refuseMisplacedTarget(program, rest);
    await program.parseAsync(rest, { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    // Commander has printed its own message (help, or a usage error) already.
    if (error instanceof CommanderError) return error.exitCode === EXIT_OK ? EXIT_OK : EXIT_USAGE;
    const report = describeError(error, session.targetDescription);
    context.io.err(`error: ${report.message}\n`);
    if (process.env.MLOPS_DEBUG && error instanceof Error) context.io.err(`${error.stack}\n`);
    return report.exitCode;
  } finally {
    session.close();
  }
}

/** One invocation's state: the target, resolved at most once and closed at the end. */
class Session {
  private current: Target | undefined;
  /** Where the commands go (--target). */
  public kind: TargetKind = 'local';

  constructor(public readonly context: CliContext) {}

  get io(): Io {
    return this.context.io;
  }

  get now(): Date {
    return (this.context.now ?? (() => new Date()))();
  }

  get targetDescription(): string | undefined {
    return this.current?.description;
  }

  async target(options: GlobalOptions): Promise<Target> {
    this.current ??= await (this.context.resolveTarget ?? resolveTarget)({
      stateDir: options.stateDir,
      ...(this.kind === 'local' ? {} : { target: this.kind }),
      ...(options.stack === undefined ? {} : { stack: options.stack }),
      ...(options.region === undefined ? {} : { region: options.region }),
      ...(options.profile === undefined ? {} : { profile: options.profile }),
    });
    return this.current;
  }

  /** The result: JSON for --json, the rendered text otherwise. */
  print(options: GlobalOptions, value: unknown, text: () => string): void {
    this.io.out(options.json ? renderJson(value) : text());
  }

  close(): void {
    this.current?.close();
    this.current = undefined;
  }
}

function buildProgram(session: Session): Command {
  const program = new Command('mlops')
    .description(
      'Operate the serverless MLOps stack: upload datasets, follow runs, inspect, approve and deploy models.',
    )
    .option('--json', 'machine-readable output: one JSON document on stdout')
    .option(
      '--state-dir <dir>',
      'the local runtime state directory (default: the project folder’s .mlops-local)',
    )
    .option('--stack <name>', `with --target aws: the stack’s name or ARN (default: ${DEFAULT_STACK_NAME})`)
    .option('--region <region>', 'with --target aws: the stack’s region (default: AWS_REGION, the profile’s)')
    .option('--profile <name>', 'with --target aws: the AWS profile for credentials (default: AWS_PROFILE)')
    .configureHelp({
      showGlobalOptions: true,
      visibleOptions(cmd) {
        const options = Help.prototype.visibleOptions.call(this, cmd);
        return cmd.parent === null ? withTargetOption(options) : options;
      },
      visibleGlobalOptions(cmd) {
        const options = Help.prototype.visibleGlobalOptions.call(this, cmd);
        // A command with a --target of its own (init, drift compare) takes the global one only before its name.
        const own = cmd.parent === null || cmd.options.some((option) => option.long === '--target');
        return own ? options : withTargetOption(options);
      },
    })
    .configureOutput({
      writeOut: (text) => session.io.out(text),
      writeErr: (text) => session.io.err(text),
    })
    // Throw instead of exiting, so runCli decides the exit code and closes the clients.
    .exitOverride();
  addInitCommand(program, session);
  addValidateCommand(program, session);
  addUploadCommand(program, session);
  addRunsCommands(program, session);
  addArtifactsCommand(program, session);
  addModelsCommands(program, session);
  addDecisionCommand(program, session, 'approve');
  addDecisionCommand(program, session, 'reject');
  addDeployCommands(program, session);
  addDeploymentsCommands(program, session);
  addPredictCommand(program, session);
  addDriftCommands(program, session);
  return program;
}

function addUploadCommand(program: Command, session: Session): void {
  program
    .command('upload')
    .description('upload a dataset to datasets/<model>/<file> in the data bucket (a .csv starts a run)')
    .argument('<file>', 'a .csv file, or the model’s schema.json')
    .requiredOption('--model <name>', 'the model the dataset is for')
    .option('--wait', 'follow the run the upload starts; exit 0 when it succeeds, 1 when it fails')
    .option('--timeout <seconds>', 'give up waiting after this long', String(DEFAULT_TIMEOUT_SECONDS))
    .action(async (file: string, options: UploadOptions, command: Command) => {
      const globals = command.optsWithGlobals() as GlobalOptions;
      const wait = options.wait === true;
      const timeoutMs = parseSeconds(options.timeout, '--timeout') * 1000;
      // Checked before the target is even looked up: nothing is sent for a bad name or a missing file.
      prepareUpload(file, options.model, wait);
      const target = await session.target(globals);
      const deps = { s3: target.s3, dataBucket: target.resources.dataBucket, now: () => session.now };
      const upload = await uploadDataset(deps, file, options.model);
      if (!wait || upload.runId === undefined) {
        return session.print(globals, { upload }, () => renderUpload(upload));
      }
      session.io.err(`${renderUpload(upload).split('\n')[0]}; waiting for run ${upload.runId}...\n`);
      await followRun(session, globals, target, upload.runId, upload.uri, timeoutMs, { upload });
    });
}

/**
 * --wait: progress on stderr, the outcome on stdout; a failed or timed-out run is an error.
 *
 * @param what - what starts the run, for a timeout message
 * @param extra - fields the --json document starts with (e.g. the upload)
 */
async function followRun(
  session: Session,
  globals: GlobalOptions,
  target: Target,
  runId: string,
  what: string,
  timeoutMs: number,
  extra: Record<string, unknown>,
): Promise<void> {
  const { context } = session;
  const result = await waitForRun(target.registry, runId, {
    timeoutMs,
    pollIntervalMs: context.pollIntervalMs,
    onProgress: (progress) => session.io.err(renderProgress(progress)),
  });
  if (globals.json) session.io.out(renderJson({ ...extra, ...result }));
  else if (result.outcome === 'Succeeded') session.io.out(renderSucceeded(result));
  if (result.outcome !== 'Succeeded') throw new CliError(waitFailure(result, runId, what, timeoutMs));
}

function addRunsCommands(program: Command, session: Session): void {
  const runs = program.command('runs').description('training pipeline runs');
  runs
    .command('list')
    .description('runs, newest first')
    .option('--model <name>', 'only this model’s runs')
    .option('--status <status>', `only runs in this status: ${RUN_STATUSES.join(', ')}`)
    .option('--limit <n>', 'at most this many runs (1-1000)', String(DEFAULT_RUN_LIMIT))
    .option('--cost', 'each run’s cost and the sums per model')
    .action(
      async (
        options: { model?: string; status?: string; limit: string; cost?: boolean },
        command: Command,
      ) => {
        const globals = command.optsWithGlobals() as GlobalOptions;
        const filters = {
          ...(options.model === undefined ? {} : { model: parseModelName(options.model) }),
          ...(options.status === undefined ? {} : { status: parseRunStatus(options.status) }),
          limit: parseInteger(options.limit, '--limit', 1, 1000),
        };
        const target = await session.target(globals);
        const list = await listRuns(target.registry, filters);
        if (options.cost) {
          const costs = await target.costs.get(list.map((run) => run.runId));
          const json = { runs: list, costs: Object.fromEntries(costs), byModel: costsByModel(list, costs) };
          session.print(globals, json, () => renderRunsWithCost(list, costs, session.now));
          return;
        }
        session.print(globals, { runs: list }, () => renderRunsTable(list, session.now));
      },
    );
  runs
    .command('show')
    .description('one run: status, step, dataset, error and cause, version')
    .argument('<runId>', 'the run id, e.g. churn-1a2b3c4d5e6f7a8b')
    .action(async (runId: string, _options: unknown, command: Command) => {
      const globals = command.optsWithGlobals() as GlobalOptions;
      const target = await session.target(globals);
      const run = await showRun(target.registry, runId);
      const cost = (await target.costs.get([runId])).get(runId);
      session.print(globals, cost === undefined ? { run } : { run, cost }, () =>
        renderRun(run, session.now, cost),
      );
    });
  runs
    .command('retry')
    .description(
      'run an ended run’s dataset version again, as a new run linked to it (trained even if trained before)',
    )
    .argument('<runId>', 'the run to retry (Failed or Succeeded)')
    .option('--reason <text>', 'why, recorded in the audit trail')
    .option('--wait', 'follow the new run; exit 0 when it succeeds, 1 when it fails')
    .option('--timeout <seconds>', 'give up waiting after this long', String(DEFAULT_TIMEOUT_SECONDS))
    .action(
      async (
        runId: string,
        options: { reason?: string; wait?: boolean; timeout: string },
        command: Command,
      ) => {
        const globals = command.optsWithGlobals() as GlobalOptions;
        const timeoutMs = parseSeconds(options.timeout, '--timeout') * 1000;
        const target = await session.target(globals);
        const { context } = session;
        const request = await requestRetry(
          { registry: target.registry, events: target.events, eventBus: target.resources.eventBus },
          runId,
          { reason: options.reason, requestedBy: context.operator, requestId: context.newRequestId?.() },
        );
        if (options.wait !== true)
          return session.print(globals, { retry: request }, () => renderRetry(request));
        session.io.err(`${renderRetry(request).split('\n')[0]} Waiting for it...\n`);
        await followRun(
          session,
          globals,
          target,
          request.runId,
          `the retry of ${request.retryOf}`,
          timeoutMs,
          {
            retry: request,
          },
        );
      },
    );
}

function addInitCommand(program: Command, session: Session): void {
  program
    .command('init')
    .description(
      'infer a model’s data contract from a local CSV with the pipeline’s validator, print it, and upload it as datasets/<model>/schema.json',
    )
    .argument('<file>', 'a CSV file with a header row, like the datasets the model will get')
    .requiredOption('--model <name>', 'the model the contract is for')
    .requiredOption('--target <column>', 'the label column')
    .option('--problem-type <type>', 'binary, multiclass or regression (default: inferred from the label)')
    .option('--out <file>', 'write the contract to this file instead of uploading it')
    .option('--force', 'replace an existing schema.json (or --out file)')
    .action(
      async (
        file: string,
        options: { model: string; target: string; problemType?: string; out?: string; force?: boolean },
        command: Command,
      ) => {
        const globals = command.optsWithGlobals() as GlobalOptions;
        const model = parseModelName(options.model);
        checkDatasetName(file, 'init');
        const problemType =
          options.problemType === undefined ? undefined : parseProblemType(options.problemType);
        const result = await inferContract(file, {
          model,
          target: options.target,
          ...(problemType === undefined ? {} : { problemType }),
        });
        if (result.contract === undefined) {
          session.print(globals, result, () => renderValidation(result));
          throw new CliError(`${file} was rejected: no contract was written (the problems are listed above)`);
        }
        const force = options.force === true;
        let writtenTo: string;
        if (options.out !== undefined) {
          writeContractFile(options.out, result.contract, force);
          writtenTo = options.out;
        } else {
          const target = await session.target(globals);
          writtenTo = await uploadContract(
            target.s3,
            target.resources.dataBucket,
            model,
            result.contract,
            force,
          );
        }
        const done = { ...result, writtenTo };
        session.print(globals, done, () => renderInit(done));
      },
    );
}

function addValidateCommand(program: Command, session: Session): void {
  program
    .command('validate')
    .description(
      'check a local CSV with the pipeline’s validator against a model’s contract (--model) or a schema file (--schema); nothing is uploaded',
    )
    .argument('<file>', 'the CSV file to check')
    .option('--model <name>', 'check against this model’s contract in the runtime')
    .option('--schema <file>', 'check against this schema.json')
    .action(async (file: string, options: { model?: string; schema?: string }, command: Command) => {
      const globals = command.optsWithGlobals() as GlobalOptions;
      if ((options.model === undefined) === (options.schema === undefined)) {
        throw new UsageError('validate needs exactly one of --model <name> or --schema <file>');
      }
      checkDatasetName(file, 'validate');
      let validation: FileValidation;
      if (options.schema !== undefined) {
        const found = readContractFile(options.schema);
        const result = await validateFile(file, found.guide);
        validation = fileValidation(file, result, found.source, found.guide);
      } else {
        const model = parseModelName(options.model ?? '');
        const target = await session.target(globals);
        const found = await modelContract(target.s3, target.resources, model);
        const result = await validateFile(file, found.guide);
        validation = fileValidation(file, result, found.source, found.guide);
      }
      session.print(globals, validation, () => renderValidation(validation));
      if (validation.status === 'rejected') {
        throw new CliError(
          `${file} was rejected: ${validation.report.problemCount} problem${validation.report.problemCount === 1 ? '' : 's'}`,
          EXIT_FAILURE,
        );
      }
    });
}

function addArtifactsCommand(program: Command, session: Session): void {
  const names = ARTIFACT_NAMES.map((name) => `  ${name.padEnd(10)}${ARTIFACT_DESCRIPTIONS[name]}`).join('\n');
  program
    .command('artifacts')
    .description('list a run’s artifacts, print one, or save one with --out')
    .argument('<runId>', 'the run id')
    .argument('[artifact]', `one of ${ARTIFACT_NAMES.join(', ')}`)
    .option('--out <file>', 'save the artifact to this file (needed for model)')
    .addHelpText('after', `\nArtifacts:\n${names}\n`)
    .action(
      async (runId: string, artifact: string | undefined, options: { out?: string }, command: Command) => {
        const globals = command.optsWithGlobals() as GlobalOptions;
        const name = artifact === undefined ? undefined : parseArtifactName(artifact);
        if (name === 'model' && options.out === undefined) {
          throw new UsageError('model.tar.gz is binary: save it with --out <file>');
        }
        if (name === undefined && options.out !== undefined) {
          throw new UsageError(`--out needs an artifact: one of ${ARTIFACT_NAMES.join(', ')}`);
        }
        const target = await session.target(globals);
        const deps = { s3: target.s3, registry: target.registry, resources: target.resources };
        if (name === undefined) {
          const artifacts = await listArtifacts(deps, runId);
          return session.print(globals, { runId, artifacts }, () => renderArtifacts(runId, artifacts));
        }
        const { location } = await findArtifact(deps, runId, name);
        // On stderr: stdout stays the artifact itself (a JSON document for a pipe).
        if (location.note !== undefined) session.io.err(`note: ${location.note}\n`);
        if (options.out === undefined)
          return session.io.out(ensureNewline(await readArtifact(target.s3, location)));
        await downloadArtifact(target.s3, location, options.out);
        const saved = { artifact: location, file: options.out };
        session.print(
          globals,
          saved,
          () => `Saved ${location.uri} (${formatBytes(location.size ?? 0)}) to ${options.out}\n`,
        );
      },
    );
}

function ensureNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}

function addModelsCommands(program: Command, session: Session): void {
  const models = program.command('models').description('models and their versions');
  models
    .command('list')
    .description('every model with its latest version and aliases')
    .action(async (_options: unknown, command: Command) => {
      const globals = command.optsWithGlobals() as GlobalOptions;
      const list = await listModels((await session.target(globals)).registry);
      session.print(globals, { models: list }, () => renderModelsTable(list));
    });
  models
    .command('show')
    .description('a model’s aliases and versions, or with --version one version’s full record')
    .argument('<model>', 'the model name')
    .option('--version <n>', 'show this version: status, reason, lineage, metrics')
    .action(async (model: string, options: { version?: string }, command: Command) => {
      const globals = command.optsWithGlobals() as GlobalOptions;
      const name = parseModelName(model);
      const number = options.version === undefined ? undefined : parseVersion(options.version, '--version');
      const { registry } = await session.target(globals);
      if (number === undefined) {
        const details = await showModel(registry, name);
        return session.print(globals, details, () => renderModel(details));
      }
      const details = await showVersion(registry, name, number);
      session.print(globals, details, () => renderVersion(details));
    });
}

const DECISIONS = {
  approve: {
    description:
      'approve a version the pipeline left PendingApproval: recorded in the registry, then a ModelApproved event',
  },
  reject: {
    description:
      'reject a version the pipeline left PendingApproval (final): recorded in the registry, then a ModelRejected event',
  },
} as const satisfies Record<DecisionKind, { description: string }>;

function addDecisionCommand(program: Command, session: Session, kind: DecisionKind): void {
  program
    .command(kind)
    .description(DECISIONS[kind].description)
    .argument('<model>', 'the model name')
    .argument('<version>', 'the version number, e.g. 3 or v3')
    .option('--reason <text>', 'why, recorded in the audit trail and sent with the event')
    .action(async (model: string, version: string, options: { reason?: string }, command: Command) => {
      const globals = command.optsWithGlobals() as GlobalOptions;
      // Checked before the target is looked up: nothing is sent for a bad name or number.
      const name = parseModelName(model);
      const number = parseVersion(version, 'version');
      const target = await session.target(globals);
      const decision = await decide(
        { registry: target.registry, events: target.events, eventBus: target.resources.eventBus },
        kind,
        name,
        number,
        { reason: options.reason, actor: session.context.operator },
      );
      session.print(globals, { decision }, () => renderDecision(decision));
    });
}

interface DeployOptions {
  readonly reason?: string;
  readonly wait?: boolean;
  readonly timeout: string;
}

function addDeployCommands(program: Command, session: Session): void {
  const waitHelp = 'follow the deployment; exit 0 when it is Promoted, 1 when it fails or rolls back';
  const timeoutHelp = 'give up waiting after this long';
  program
    .command('deploy')
    .description(
      'deploy a version to the model’s endpoint (blue/green): an Approved version, or one that served or failed before',
    )
    .argument('<model>', 'the model name')
    .argument('<version>', 'the version number, e.g. 3 or v3')
    .option('--reason <text>', 'why, recorded in the audit trail')
    .option('--wait', waitHelp)
    .option('--timeout <seconds>', timeoutHelp, String(DEFAULT_DEPLOY_TIMEOUT_SECONDS))
    .action(async (model: string, version: string, options: DeployOptions, command: Command) => {
      const globals = command.optsWithGlobals() as GlobalOptions;
      // Checked before the target is looked up: nothing is sent for a bad name, number or timeout.
      const name = parseModelName(model);
      const number = parseVersion(version, 'version');
      const timeoutMs = parseSeconds(options.timeout, '--timeout') * 1000;
      const target = await session.target(globals);
      const request = await requestDeployment(deploymentDeps(target), name, number, {
        reason: options.reason,
        requestedBy: session.context.operator,
        requestId: session.context.newRequestId?.(),
      });
      await afterRequest(session, globals, target, request, options.wait === true, timeoutMs);
    });
  program
    .command('rollback')
    .description(
      'put back the version that served before the current production one (or --to <version>), through the deployment workflow',
    )
    .argument('<model>', 'the model name')
    .option('--to <version>', 'the version to return to; it must have served (been Deployed) before')
    .option('--reason <text>', 'why, recorded in the audit trail')
    .option('--wait', waitHelp)
    .option('--timeout <seconds>', timeoutHelp, String(DEFAULT_DEPLOY_TIMEOUT_SECONDS))
    .action(async (model: string, options: DeployOptions & { to?: string }, command: Command) => {
      const globals = command.optsWithGlobals() as GlobalOptions;
      const name = parseModelName(model);
      const to = options.to === undefined ? undefined : parseVersion(options.to, '--to');
      const timeoutMs = parseSeconds(options.timeout, '--timeout') * 1000;
      const target = await session.target(globals);
      const request = await requestRollback(deploymentDeps(target), name, {
        to,
        reason: options.reason,
        requestedBy: session.context.operator,
        requestId: session.context.newRequestId?.(),
      });
      await afterRequest(session, globals, target, request, options.wait === true, timeoutMs);
    });
}

function deploymentDeps(target: Target) {
  return {
    registry: target.registry,
    s3: target.s3,
    events: target.events,
    eventBus: target.resources.eventBus,
  };
}

/** Prints the request; with --wait, follows it: progress on stderr, the outcome on stdout. */
async function afterRequest(
  session: Session,
  globals: GlobalOptions,
  target: Target,
  request: DeploymentRequest,
  wait: boolean,
  timeoutMs: number,
): Promise<void> {
  if (!wait) return session.print(globals, { request }, () => renderRequest(request));
  session.io.err(`${renderRequest(request).split('\n')[0]} Waiting for it...\n`);
  const result = await waitForDeployment(target.registry, request.deploymentId, {
    timeoutMs,
    pollIntervalMs: session.context.pollIntervalMs,
    onProgress: (progress) => session.io.err(renderDeploymentProgress(progress)),
  });
  if (globals.json) session.io.out(renderJson({ request, ...result }));
  else if (result.outcome === 'Promoted' && result.deployment !== null) {
    const details = await showDeployment(target.registry, request.deploymentId);
    session.io.out(renderDeployment(details, session.now));
  }
  if (result.outcome !== 'Promoted') throw new CliError(deploymentWaitFailure(result, request, timeoutMs));
}

function addDeploymentsCommands(program: Command, session: Session): void {
  const deployments = program.command('deployments').description('deployments of models to their endpoints');
  deployments
    .command('list')
    .description('a model’s deployments, newest first: version, kind, status, start, duration, outcome')
    .argument('<model>', 'the model name')
    .option('--limit <n>', 'at most this many deployments (1-1000)', String(DEFAULT_DEPLOYMENT_LIMIT))
    .action(async (model: string, options: { limit: string }, command: Command) => {
      const globals = command.optsWithGlobals() as GlobalOptions;
      const name = parseModelName(model);
      const limit = parseInteger(options.limit, '--limit', 1, 1000);
      const listing = await listDeploymentsOf((await session.target(globals)).registry, name, limit);
      session.print(globals, listing, () => renderDeploymentsTable(listing, session.now));
    });
  deployments
    .command('show')
    .description(
      'one deployment: stages with times, traffic routing, alarms, reasons, endpoint and endpoint config',
    )
    .argument('<deploymentId>', 'the deployment id `mlops deploy` printed, e.g. churn-v3-1a2b3c4d5e6f7a8b')
    .action(async (deploymentId: string, _options: unknown, command: Command) => {
      const globals = command.optsWithGlobals() as GlobalOptions;
      const details = await showDeployment((await session.target(globals)).registry, deploymentId);
      session.print(globals, details, () => renderDeployment(details, session.now));
    });
}

function addPredictCommand(program: Command, session: Session): void {
  program
    .command('predict')
    .description(
      'predict rows with the model’s endpoint: CSV of the features (no label; a header naming them is skipped)',
    )
    .argument('<model>', 'the model name')
    .argument('<file>', 'a CSV file, or - for standard input')
    .option(
      '--version <v>',
      'the version you expect to serve; refused, naming the one that does, if another serves',
    )
    .action(async (model: string, file: string, options: { version?: string }, command: Command) => {
      const globals = command.optsWithGlobals() as GlobalOptions;
      const name = parseModelName(model);
      const version = options.version === undefined ? undefined : parseVersion(options.version, '--version');
      const csv = file === '-' ? await (session.context.stdin ?? readStdin)() : readInput(file);
      const target = await session.target(globals);
      if (target.sagemakerRuntime === undefined) {
        throw new CliError(
          `${target.description} serves no endpoints (its runtime.json has no endpoints.sagemakerRuntime): restart it (npm start) with this checkout`,
        );
      }
      const result = await predict(
        {
          registry: target.registry,
          s3: target.s3,
          artifactsBucket: target.resources.artifactsBucket,
          runtime: target.sagemakerRuntime,
        },
        { model: name, csv, source: file === '-' ? 'stdin' : file, version },
      );
      if (!globals.json) session.io.err(describePrediction(result));
      session.print(globals, result, () => renderPredictions(result));
    });
}

interface CompareOptions {
  readonly schema?: string;
  readonly target?: string;
  readonly minSamples?: string;
  readonly driftShare?: string;
  readonly critical?: string;
  readonly correction?: string;
}

function addDriftCommands(program: Command, session: Session): void {
  const drift = program.command('drift').description('drift verdicts and reports');
  const windowHelp = `the window: ${LATEST_WINDOW} or its id, as \`mlops drift show <model>\` lists them`;
  drift
    .command('show')
    .description(
      'the drift windows the scheduled check recorded, newest first; with --window one window: verdict, reasons, capture read, a line per feature',
    )
    .argument('<model>', 'the model name')
    .option('--window <id>', windowHelp)
    .option('--limit <n>', 'at most this many windows (1-1000)', String(DEFAULT_WINDOW_LIMIT))
    .action(async (model: string, options: { window?: string; limit: string }, command: Command) => {
      const globals = command.optsWithGlobals() as GlobalOptions;
      const name = parseModelName(model);
      const limit = parseInteger(options.limit, '--limit', 1, 1000);
      const deps = windowDeps(await session.target(globals));
      if (options.window === undefined) {
        const listing = await listDriftWindows(deps, name, limit);
        return session.print(globals, listing, () => renderWindowListing(listing));
      }
      const details = await showDriftWindow(deps, name, options.window);
      session.print(globals, details, () => renderWindowDetails(details));
    });
  drift
    .command('report')
    .description(
      'save a drift window’s HTML report (self-contained: histograms as inline SVG, the statistics table, verdict and reasons)',
    )
    .argument('<model>', 'the model name')
    .option('--window <id>', `${windowHelp} (default: ${LATEST_WINDOW})`)
    .requiredOption('--out <file>', 'the file to write, e.g. report.html')
    .action(async (model: string, options: { window?: string; out: string }, command: Command) => {
      const globals = command.optsWithGlobals() as GlobalOptions;
      const name = parseModelName(model);
      const saved = await saveDriftReport(
        windowDeps(await session.target(globals)),
        name,
        options.window,
        options.out,
      );
      session.print(globals, saved, () => renderSavedReport(saved));
    });
  drift
    .command('compare')
    .description(
      'offline: the drift check of a current CSV against a reference CSV, the baseline built from the reference as training builds it',
    )
    .argument('<reference>', 'a CSV like a training dataset (header, label column)')
    .argument('<current>', 'a CSV with the same features under a header (a label column is ignored)')
    .option(
      '--schema <file>',
      'the model’s schema.json (columns, types, label); default: inferred from the reference',
    )
    .option(
      '--target <column>',
      'the reference’s label column (default: the one column the current file lacks)',
    )
    .option('--min-samples <n>', 'fewest rows for a verdict', String(DEFAULT_DRIFT_SETTINGS.minSamples))
    .option(
      '--drift-share <share>',
      'share of drifted features that is dataset drift',
      String(DEFAULT_DRIFT_SETTINGS.driftShare),
    )
    .option('--critical <features>', 'comma-separated features whose drift alone is dataset drift')
    .option(
      '--correction <method>',
      'p-value correction: benjamini-hochberg (bh) or bonferroni',
      DEFAULT_DRIFT_SETTINGS.correction,
    )
    .action(async (reference: string, current: string, options: CompareOptions, command: Command) => {
      const globals = command.optsWithGlobals() as GlobalOptions;
      const settings = {
        ...(options.minSamples === undefined
          ? {}
          : { minSamples: parseInteger(options.minSamples, '--min-samples', 1, Number.MAX_SAFE_INTEGER) }),
        ...(options.driftShare === undefined
          ? {}
          : { driftShare: parseShare(options.driftShare, '--drift-share') }),
        ...(options.critical === undefined
          ? {}
          : {
              criticalFeatures: options.critical
                .split(',')
                .map((name) => name.trim())
                .filter((name) => name !== ''),
            }),
        ...(options.correction === undefined ? {} : { correction: parseCorrection(options.correction) }),
      };
      const contract = options.schema === undefined ? undefined : readContractFile(options.schema);
      const comparison = await compareFiles({
        reference,
        current,
        contract,
        target: options.target,
        settings,
      });
      session.print(globals, comparisonJson(comparison), () => renderComparison(comparison));
    });
}

function windowDeps(target: Target) {
  return {
    registry: target.registry,
    windows: target.windows,
    s3: target.s3,
    artifactsBucket: target.resources.artifactsBucket,
  };
}

function readInput(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      code === 'ENOENT' ? `${file} does not exist` : `cannot read ${file}: ${(error as Error).message}`,
    );
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `3` or `v3`. */
function parseVersion(value: string, what: string): number {
  const number = /^v?\d+$/i.test(value.trim()) ? Number(value.trim().replace(/^v/i, '')) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < 1) {
    throw new UsageError(`Invalid ${what} "${value}": expected a version number, e.g. 3 or v3`);
  }
  return number;
}

/**
 * A `--target` after the name of a command without one of its own is the global option misplaced: say so,
 * rather than commander's "unknown option '--target'" (and its suggestion of --target).
 */
function refuseMisplacedTarget(program: Command, argv: readonly string[]): void {
  if (!argv.some((arg) => arg === '--target' || arg.startsWith('--target='))) return;
  let command = program;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    const sub = command.commands.find((each) => each.name() === arg);
    if (sub !== undefined) command = sub;
    else if ((GLOBAL_VALUE_OPTIONS as readonly string[]).includes(arg)) i += 1;
    else if (!arg.startsWith('-')) break;
  }
  if (command.options.some((option) => option.long === '--target')) return;
  throw new UsageError("--target goes before the command's name, e.g. `mlops --target aws runs list`");
}

/** The options listed with --target after --json (the order of `mlops --help`). */
function withTargetOption(options: Option[]): Option[] {
  const json = options.findIndex((option) => option.long === '--json');
  return [...options.slice(0, json + 1), TARGET_OPTION, ...options.slice(json + 1)];
}
