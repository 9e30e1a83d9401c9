/**
 * The `mlops` command line: parses arguments with commander, runs a command against the target and turns
 * every failure into one line on stderr and an exit code (see errors.ts). bin/mlops.ts only wires it to
 * the process; tests call {@link runCli} directly.
 *
 * This module is the program only: the global options (--json, --state-dir, --stack, --region, --profile,
 * and --target, parsed before commander), the help, the error handling and {@link runCli}. Each command
 * group is wired to commander in cli/commands/<module>.ts, named after the cli/<module>.ts that implements
 * it, which exports one `add…Commands(program, session)`: contract (init, validate), upload, runs (list,
 * show, retry), artifacts, models (list, show), approval (approve, reject), deployments (deploy, rollback,
 * deployments list/show), predict, drift (show, report, compare). The commands get the target, the clock and
 * the output from the invocation's Session (session.ts).
 */
import { Command, CommanderError, Help, Option } from 'commander';
import { addApprovalCommands } from './commands/approval';
import { addArtifactsCommand } from './commands/artifacts';
import { addContractCommands } from './commands/contract';
import { addDeploymentCommands } from './commands/deployments';
import { addDriftCommands } from './commands/drift';
import { addModelsCommands } from './commands/models';
import { addPredictCommand } from './commands/predict';
import { addRunsCommands } from './commands/runs';
import { addUploadCommand } from './commands/upload';
import { describeError, EXIT_OK, EXIT_USAGE, UsageError } from './errors';
import { type CliContext, Session } from './session';
import { DEFAULT_STACK_NAME, parseTargetKind, splitTargetOption } from './target';

export type { CliContext } from './session';

/** The command groups in the order `mlops --help` lists them. */
const COMMAND_GROUPS: readonly ((program: Command, session: Session) => void)[] = [
  addContractCommands,
  addUploadCommand,
  addRunsCommands,
  addArtifactsCommand,
  addModelsCommands,
  addApprovalCommands,
  addDeploymentCommands,
  addPredictCommand,
  addDriftCommands,
];

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
  for (const addGroup of COMMAND_GROUPS) addGroup(program, session);
  return program;
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
