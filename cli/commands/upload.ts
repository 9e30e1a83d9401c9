/** `mlops upload` (../upload.ts), and following a run with --wait, which `runs retry` shares. */
import type { Command } from 'commander';
import { parseSeconds } from '../arguments';
import { CliError } from '../errors';
import { renderJson } from '../output';
import type { GlobalOptions, Session } from '../session';
import type { Target } from '../target';
import {
  DEFAULT_TIMEOUT_SECONDS,
  prepareUpload,
  renderProgress,
  renderSucceeded,
  renderUpload,
  uploadDataset,
  waitFailure,
  waitForRun,
} from '../upload';

interface UploadOptions {
  readonly model: string;
  readonly wait?: boolean;
  readonly timeout: string;
}

export function addUploadCommand(program: Command, session: Session): void {
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
export async function followRun(
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
