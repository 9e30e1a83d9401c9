/** `mlops predict`: ../predict.ts, wired to commander. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseModelName, parseVersion } from '../arguments';
import { CliError } from '../errors';
import { describePrediction, predict, renderPredictions } from '../predict';
import type { GlobalOptions, Session } from '../session';

export function addPredictCommand(program: Command, session: Session): void {
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
      const csv = file === '-' ? await session.readStdin() : readInput(file);
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
