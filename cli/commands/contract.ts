/** `mlops init` and `mlops validate`: the data contract commands of ../contract.ts, wired to commander. */
import type { Command } from 'commander';
import { parseModelName } from '../arguments';
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
} from '../contract';
import { CliError, EXIT_FAILURE, UsageError } from '../errors';
import type { GlobalOptions, Session } from '../session';

export function addContractCommands(program: Command, session: Session): void {
  addInitCommand(program, session);
  addValidateCommand(program, session);
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
