/**
 * The `mlops` command line: parses arguments with commander, runs a command against the target and turns
 * every failure into one line on stderr and an exit code (see errors.ts). bin/mlops.ts only wires it to
 * the process; tests call {@link runCli} directly.
 */
import { Command, CommanderError } from 'commander';
import { RUN_STATUSES } from '../lambdas/shared/registry';
import { parseInteger, parseModelName, parseRunStatus, parseSeconds } from './arguments';
import { CliError, describeError, EXIT_OK, EXIT_USAGE } from './errors';
import { listModels, renderModel, renderModelsTable, renderVersion, showModel, showVersion } from './models';
import { type Io, renderJson } from './output';
import { DEFAULT_RUN_LIMIT, listRuns, renderRun, renderRunsTable, showRun } from './runs';
import { resolveTarget, type Target, type TargetResolver } from './target';
import {
  DEFAULT_TIMEOUT_SECONDS,
  prepareUpload,
  renderProgress,
  renderSucceeded,
  renderUpload,
  type UploadResult,
  uploadDataset,
  waitFailure,
  waitForRun,
} from './upload';

/** What the CLI runs with; everything but `io` has a production default. */
export interface CliContext {
  readonly io: Io;
  /** @default resolveTarget (the local runtime of --state-dir) */
  readonly resolveTarget?: TargetResolver;
  /** How often --wait polls the registry. @default DEFAULT_POLL_INTERVAL_MS */
  readonly pollIntervalMs?: number;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

interface UploadOptions {
  readonly model: string;
  readonly wait?: boolean;
  readonly timeout: string;
}

/** Options every command accepts (before or after the command's name). */
interface GlobalOptions {
  readonly json?: boolean;
  readonly stateDir?: string;
}

/**
 * Runs one `mlops` command line.
 *
 * @param argv - the arguments after the program name, e.g. `['runs', 'list', '--json']`
 * @returns the exit code: 0 done, 1 failed, 2 usage error
 */
export async function runCli(argv: readonly string[], context: CliContext): Promise<number> {
  const session = new Session(context);
  try {
    await buildProgram(session).parseAsync([...argv], { from: 'user' });
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

  target(options: GlobalOptions): Target {
    this.current ??= (this.context.resolveTarget ?? resolveTarget)(
      options.stateDir === undefined ? {} : { stateDir: options.stateDir },
    );
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
    .description('Operate the serverless MLOps stack: upload datasets, follow runs, inspect models.')
    .option('--json', 'machine-readable output: one JSON document on stdout')
    .option(
      '--state-dir <dir>',
      'the local runtime state directory (default: the project folder’s .mlops-local)',
    )
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({
      writeOut: (text) => session.io.out(text),
      writeErr: (text) => session.io.err(text),
    })
    // Throw instead of exiting, so runCli decides the exit code and closes the clients.
    .exitOverride();
  addUploadCommand(program, session);
  addRunsCommands(program, session);
  addModelsCommands(program, session);
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
      const target = session.target(globals);
      const deps = { s3: target.s3, dataBucket: target.resources.dataBucket, now: () => session.now };
      const upload = await uploadDataset(deps, file, options.model);
      if (!wait) return session.print(globals, { upload }, () => renderUpload(upload));
      await followRun(session, globals, target, upload, timeoutMs);
    });
}

/** upload --wait: progress on stderr, the outcome on stdout; a failed or timed-out run is an error. */
async function followRun(
  session: Session,
  globals: GlobalOptions,
  target: Target,
  upload: UploadResult,
  timeoutMs: number,
): Promise<void> {
  const { io, context } = session;
  io.err(`${renderUpload(upload).split('\n')[0]}; waiting for its run...\n`);
  const result = await waitForRun(target.registry, upload, {
    timeoutMs,
    ...(context.pollIntervalMs === undefined ? {} : { pollIntervalMs: context.pollIntervalMs }),
    onProgress: (progress) => io.err(renderProgress(progress)),
  });
  if (globals.json) io.out(renderJson({ upload, ...result }));
  else if (result.outcome === 'Succeeded') io.out(renderSucceeded(result, upload));
  if (result.outcome !== 'Succeeded') throw new CliError(waitFailure(result, upload, timeoutMs));
}

function addRunsCommands(program: Command, session: Session): void {
  const runs = program.command('runs').description('training pipeline runs');
  runs
    .command('list')
    .description('runs, newest first')
    .option('--model <name>', 'only this model’s runs')
    .option('--status <status>', `only runs in this status: ${RUN_STATUSES.join(', ')}`)
    .option('--limit <n>', 'at most this many runs (1-1000)', String(DEFAULT_RUN_LIMIT))
    .action(async (options: { model?: string; status?: string; limit: string }, command: Command) => {
      const globals = command.optsWithGlobals() as GlobalOptions;
      const filters = {
        ...(options.model === undefined ? {} : { model: parseModelName(options.model) }),
        ...(options.status === undefined ? {} : { status: parseRunStatus(options.status) }),
        limit: parseInteger(options.limit, '--limit', 1, 1000),
      };
      const list = await listRuns(session.target(globals).registry, filters);
      session.print(globals, { runs: list }, () => renderRunsTable(list, session.now));
    });
  runs
    .command('show')
    .description('one run: status, step, dataset, error and cause, version')
    .argument('<runId>', 'the run id, e.g. churn-1a2b3c4d5e6f7a8b')
    .action(async (runId: string, _options: unknown, command: Command) => {
      const globals = command.optsWithGlobals() as GlobalOptions;
      const run = await showRun(session.target(globals).registry, runId);
      session.print(globals, { run }, () => renderRun(run, session.now));
    });
}

function addModelsCommands(program: Command, session: Session): void {
  const models = program.command('models').description('models and their versions');
  models
    .command('list')
    .description('every model with its latest version and aliases')
    .action(async (_options: unknown, command: Command) => {
      const globals = command.optsWithGlobals() as GlobalOptions;
      const list = await listModels(session.target(globals).registry);
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
      const number = options.version === undefined ? undefined : parseVersion(options.version);
      const { registry } = session.target(globals);
      if (number === undefined) {
        const details = await showModel(registry, name);
        return session.print(globals, details, () => renderModel(details));
      }
      const details = await showVersion(registry, name, number);
      session.print(globals, details, () => renderVersion(details));
    });
}

/** `3` or `v3`. */
function parseVersion(value: string): number {
  return parseInteger(value.replace(/^v/i, ''), '--version', 1, Number.MAX_SAFE_INTEGER);
}
