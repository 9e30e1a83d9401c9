/**
 * `mlops init` and `mlops validate`: the pipeline's own validator (lambdas/validate-dataset) run on a local
 * file, so what passes here passes ValidateDataset, and the contract `init` writes is the one the pipeline
 * would infer. Nothing here trains or starts a run.
 */
import { createReadStream, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  type ColumnType,
  type DatasetContract,
  type PartialContract,
  type ProblemType,
  parseDatasetContractJson,
} from '../lambdas/shared/dataset-contract';
import { PROBLEM_TYPES } from '../lambdas/shared/metrics';
import {
  DATASET_EXTENSION,
  datasetKey,
  datasetKeyProblem,
  declaredContractKey,
  s3Uri,
  storedContractKey,
} from '../lambdas/shared/s3-layout';
import {
  type ContractBuckets,
  ContractProblem,
  findModelContract,
} from '../lambdas/validate-dataset/contract-lookup';
import {
  type ArtifactSink,
  type BaselineStatistics,
  type ColumnStatistics,
  type ValidateDatasetInput,
  type ValidateDatasetResult,
  type ValidationReport,
  validateDataset,
} from '../lambdas/validate-dataset/index';
import { getOptionalText } from '../lambdas/validate-dataset/s3-io';
import { parseModelName } from './arguments';
import { CliError, EXIT_USAGE, NotFoundError, UsageError } from './errors';
import { formatBytes, NONE, renderFields, renderTable } from './output';

/** Where a contract came from, for people. */
export interface ContractSource {
  /**
   * `declared`: the model's schema.json; `stored`: inferred from its first accepted dataset (completing a
   * partial schema.json, if any); `partial`: a schema.json with only the target (problem type, labels), the
   * columns inferred from the file; `file`/`partial file`: a local schema file.
   */
  readonly kind: 'declared' | 'stored' | 'partial' | 'file' | 'partial file';
  /** s3:// URI or local path. */
  readonly location: string;
}

/** What the validator is told about the contract: the contract, or what to infer one with. */
export type ContractGuide = Pick<
  ValidateDatasetInput,
  'contract' | 'targetColumn' | 'problemType' | 'labels'
>;

/** A contract (or a partial one) and where it was read. */
export interface FoundContract {
  readonly guide: ContractGuide;
  readonly source: ContractSource;
}

/** A parsed schema.json: a full contract, or a partial one (no columns). */
export type ParsedContract =
  | { readonly contract: DatasetContract; readonly partial?: undefined }
  | { readonly partial: PartialContract; readonly contract?: undefined };

function guideOf(parsed: ParsedContract): ContractGuide {
  if (parsed.contract !== undefined) return { contract: parsed.contract };
  const { target, problemType, labels } = parsed.partial;
  return { targetColumn: target, problemType, labels };
}

/**
 * The validator's report, with `contractSource` saying where the contract came from as `validate` knows it
 * (`declared`, `stored`, `partial`, `file`, `partial file`), or `inferred` from this file.
 */
export type FileReport = Omit<ValidationReport, 'contractSource'> & {
  readonly contractSource: ContractSource['kind'] | 'inferred';
};

/** A column of a rejected file's header, as far as the validator got. */
export interface HeaderColumn {
  readonly name: string;
  /** As the contract declares it or the validator inferred it; undefined when neither is known. */
  readonly type?: ColumnType;
  /** `ignored`: not in the contract, so not checked (nor trained on). */
  readonly role: 'target' | 'feature' | 'ignored';
}

/** What `validate` and `init` report: the validator's result for one local file. */
export interface FileValidation {
  readonly file: string;
  readonly status: 'accepted' | 'rejected';
  readonly report: FileReport;
  /** Where the contract came from; absent when it was inferred from this file. */
  readonly contractSource?: ContractSource;
  /** Rejected only, when the header was read: its columns with their types. */
  readonly header?: readonly HeaderColumn[];
  /** Accepted only: the contract checked against, or the one inferred from the file. */
  readonly contract?: DatasetContract;
  /** Accepted only. */
  readonly statistics?: BaselineStatistics;
}

/** `init`: the inferred contract, and where it went. */
export interface InitResult extends FileValidation {
  readonly model: string;
  /** `s3://…/datasets/<model>/schema.json`, or the --out path. */
  readonly writtenTo?: string;
}

/** @throws UsageError unless `value` is one of the problem types */
export function parseProblemType(value: string): ProblemType {
  const type = PROBLEM_TYPES.find((candidate) => candidate === value.toLowerCase());
  if (type === undefined) {
    throw new UsageError(`Invalid --problem-type "${value}": expected one of ${PROBLEM_TYPES.join(', ')}`);
  }
  return type;
}

/** A sink that counts nothing and keeps nothing: a local check needs no splits. */
const discard: ArtifactSink = {
  write: () => undefined,
  close: async () => undefined,
  abort: async () => undefined,
};

/**
 * Runs the pipeline's validator on a local file, with the pipeline's default options.
 *
 * @throws CliError when the file is missing or not a file
 */
export async function validateFile(path: string, input: ContractGuide): Promise<ValidateDatasetResult> {
  const size = fileSize(path);
  return validateDataset({
    open: () => createReadStream(path),
    openSink: () => discard,
    contentLength: size,
    ...input,
  });
}

function fileSize(path: string): number {
  try {
    const stats = statSync(path);
    if (!stats.isFile()) throw new CliError(`${path} is not a file`);
    return stats.size;
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(code === 'ENOENT' ? `File not found: ${path}` : `Cannot read ${path} (${code})`);
  }
}

/**
 * Reads and checks a local schema.json with the pipeline's parser.
 *
 * @throws CliError (exit code 2) listing every field error; CliError when the file cannot be read
 */
export function readContractFile(path: string): FoundContract {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(code === 'ENOENT' ? `File not found: ${path}` : `Cannot read ${path} (${code})`);
  }
  const parsed = checkContract(text, path);
  return {
    guide: guideOf(parsed),
    source: { kind: parsed.contract ? 'file' : 'partial file', location: path },
  };
}

/**
 * The pipeline's parser decides; every error is listed, one per line, naming its field.
 *
 * @param where - the file or URI, for the message
 * @param consequence - what did not happen because of it
 */
export function checkContract(text: string, where: string, consequence?: string): ParsedContract {
  const parsed = parseDatasetContractJson(text);
  if (parsed.ok)
    return parsed.contract === undefined ? { partial: parsed.partial } : { contract: parsed.contract };
  const count = parsed.errors.length === 1 ? '1 error' : `${parsed.errors.length} errors`;
  const lines = parsed.errors.map((error) => `  ${error}`).join('\n');
  const then = consequence === undefined ? '' : `; ${consequence}`;
  throw new CliError(
    `${where} is not a valid data contract (${count})${then} (see docs/data-contract.md):\n${lines}`,
    EXIT_USAGE,
  );
}

/**
 * The model's contract as ValidateDataset finds it (lambdas/validate-dataset/validate-run.ts): a full
 * `datasets/<model>/schema.json` in the data bucket wins; else the contract stored from the model's first
 * accepted dataset in the artifacts bucket (which must agree with a partial schema.json); else a partial
 * schema.json guides an inference from the file.
 *
 * @throws NotFoundError when the model has neither; CliError when one is invalid or they disagree
 */
export async function modelContract(
  s3: S3Client,
  buckets: ContractBuckets,
  model: string,
): Promise<FoundContract> {
  const name = parseModelName(model);
  const found = await findModelContract(s3, buckets, name).catch((error: unknown) => {
    throw error instanceof ContractProblem ? new CliError(error.message) : error;
  });
  if (found.source === 'none') {
    const declaredUri = s3Uri(buckets.dataBucket, declaredContractKey(name));
    const storedUri = s3Uri(buckets.artifactsBucket, storedContractKey(name));
    throw new NotFoundError(
      `Model ${name} has no contract yet (neither ${declaredUri} nor ${storedUri} exists): create one with ` +
        `\`mlops init <file.csv> --model ${name} --target <column>\`, or check the file against a local ` +
        'schema with `mlops validate <file.csv> --schema <schema.json>`',
    );
  }
  const source = { kind: found.source, location: found.location };
  if (found.source === 'partial') return { guide: guideOf({ partial: found.partial }), source };
  return { guide: { contract: found.contract }, source };
}

/**
 * The model's contract object, unparsed, in the order ValidateDataset uses them (see {@link modelContract}):
 * a full declared schema.json, else the stored contract, else a partial (or invalid) declared one.
 */
export async function findContractText(
  s3: S3Client,
  buckets: { readonly dataBucket: string; readonly artifactsBucket: string },
  model: string,
): Promise<
  (ContractSource & { readonly bucket: string; readonly key: string; readonly text: string }) | undefined
> {
  const found = (kind: 'declared' | 'stored' | 'partial', bucket: string, key: string, text: string) => ({
    kind,
    bucket,
    key,
    text,
    location: s3Uri(bucket, key),
  });
  const declaredKey = declaredContractKey(model);
  const declared = await getOptionalText(s3, buckets.dataBucket, declaredKey);
  const parsed = declared === undefined ? undefined : parseDatasetContractJson(declared);
  if (declared !== undefined && parsed?.contract !== undefined) {
    return found('declared', buckets.dataBucket, declaredKey, declared);
  }
  const storedKey = storedContractKey(model);
  const stored = await getOptionalText(s3, buckets.artifactsBucket, storedKey);
  if (stored !== undefined) return found('stored', buckets.artifactsBucket, storedKey, stored);
  return declared === undefined ? undefined : found('partial', buckets.dataBucket, declaredKey, declared);
}

/**
 * `validate` and `init` take a dataset as the pipeline does: a `.csv` (any case).
 *
 * @throws UsageError naming the file otherwise, as `upload` does
 */
export function checkDatasetName(path: string, command: string): void {
  const file = basename(path);
  if (datasetKeyProblem(datasetKey('model', file)) === undefined) return;
  throw new UsageError(
    `Cannot ${command} ${file}: only <file>${DATASET_EXTENSION} is a dataset (the pipeline trains on ` +
      `datasets/<model>/<file>${DATASET_EXTENSION}; \`mlops upload\` refuses other names)`,
  );
}

/**
 * The validator's result as `validate` reports it.
 *
 * @param guide - what the validator was given: a full contract names the types of a rejected file's columns
 */
export function fileValidation(
  file: string,
  result: ValidateDatasetResult,
  contractSource?: ContractSource,
  guide?: ContractGuide,
): FileValidation {
  const source = contractSource === undefined ? {} : { contractSource };
  const report: FileReport =
    contractSource === undefined ? result.report : { ...result.report, contractSource: contractSource.kind };
  if (result.status === 'rejected') {
    const header = headerColumns(result, guide);
    return { file, status: 'rejected', report, ...source, ...(header === undefined ? {} : { header }) };
  }
  return {
    file,
    status: 'accepted',
    report,
    ...source,
    contract: result.contract,
    ...(result.status === 'accepted' ? { statistics: result.statistics } : {}),
  };
}

/** The header of a rejected file, typed by the contract, else by what the validator inferred (when it says). */
function headerColumns(
  result: ValidateDatasetResult & { readonly status: 'rejected' },
  guide: ContractGuide | undefined,
): HeaderColumn[] | undefined {
  const names = result.report.columns;
  if (names.length === 0) return undefined;
  const declared = new Map((guide?.contract?.columns ?? []).map((column) => [column.name, column.type]));
  // The validator's own inference, when its result carries the columns it read.
  const inferred = new Map(result.columns.map((column) => [column.name, column.type]));
  const target = result.report.target;
  return names.map((name) => {
    const type = declared.get(name) ?? inferred.get(name);
    const ignored = guide?.contract !== undefined && !declared.has(name);
    const role = name === target ? 'target' : ignored ? 'ignored' : 'feature';
    return { name, ...(type === undefined ? {} : { type }), role };
  });
}

export interface InitOptions {
  readonly model: string;
  readonly target: string;
  readonly problemType?: ProblemType;
}

/**
 * Infers the contract of a local file as the pipeline would from a first dataset.
 *
 * @throws UsageError for a bad model name; CliError for a missing file
 */
export async function inferContract(path: string, options: InitOptions): Promise<InitResult> {
  const model = parseModelName(options.model);
  const result = await validateFile(path, {
    targetColumn: options.target,
    problemType: options.problemType,
  });
  return { ...fileValidation(path, result), model };
}

/**
 * Writes the contract to a local file.
 *
 * @throws CliError when the file exists and `force` is not set
 */
export function writeContractFile(path: string, contract: DatasetContract, force: boolean): void {
  if (!force && existsSync(path)) {
    throw new CliError(`${path} already exists (use --force to overwrite it)`);
  }
  writeFileSync(path, contractJson(contract));
}

/**
 * Uploads the contract as the model's declared schema.json.
 *
 * @returns its s3:// URI
 * @throws CliError when the model already declares one and `force` is not set
 */
export async function uploadContract(
  s3: S3Client,
  dataBucket: string,
  model: string,
  contract: DatasetContract,
  force: boolean,
): Promise<string> {
  const key = declaredContractKey(model);
  const uri = s3Uri(dataBucket, key);
  if (!force && (await getOptionalText(s3, dataBucket, key)) !== undefined) {
    throw new CliError(
      `${uri} already exists: ${model} has a declared contract (use --force to replace it, or --out <file> to write this one locally)`,
    );
  }
  await s3.send(
    new PutObjectCommand({
      Bucket: dataBucket,
      Key: key,
      Body: contractJson(contract),
      ContentType: 'application/json',
    }),
  );
  return uri;
}

function contractJson(contract: DatasetContract): string {
  return `${JSON.stringify(contract, null, 2)}\n`;
}

/** How many problems `validate` prints in text; --json has all the report holds. */
const PROBLEMS_SHOWN = 20;

/** The report as text: the verdict, the facts, the columns (when accepted) and the problems. */
export function renderValidation(validation: FileValidation): string {
  const { report, contract, contractSource } = validation;
  const source =
    contractSource === undefined
      ? 'inferred from this file'
      : `${contractSource.kind} (${contractSource.location})${contractSource.kind.startsWith('partial') ? ', columns inferred from this file' : ''}`;
  const target =
    report.target === undefined
      ? undefined
      : `${report.target}${report.problemType === undefined ? '' : ` (${report.problemType})`}`;
  const split =
    report.split === undefined
      ? undefined
      : `${report.split.trainRows} train, ${report.split.validationRows} validation (seed ${report.split.seed})`;
  const fields = renderFields([
    ['File', validation.file],
    ['Status', report.status],
    ['Contract', source],
    ['Rows', rowsRead(report)],
    ['Size', formatBytes(report.bytes)],
    ['SHA-256', report.sha256],
    ['Target', target],
    ['Split', split],
    ['Problems', report.problemCount],
  ]);
  const parts = [fields];
  if (contract !== undefined) parts.push(renderColumns(contract, validation.statistics));
  else if (validation.header !== undefined) {
    // Types come from a contract, or from the validator's inference when it got that far.
    const typed = validation.header.some((column) => column.type !== undefined);
    const rows = validation.header.map((column) =>
      typed ? [column.name, column.type ?? NONE, column.role] : [column.name, column.role],
    );
    parts.push(renderTable(typed ? ['COLUMN', 'TYPE', 'ROLE'] : ['COLUMN', 'ROLE'], rows));
  }
  if (report.problems.length > 0) parts.push(renderProblems(report));
  return parts.join('\n');
}

/** The rows read, and where reading stopped when it stopped early: `0` alone would read as an empty file. */
function rowsRead(report: FileReport): string | number {
  if (!report.stoppedEarly) return report.rows;
  if (report.rows > 0) return `${report.rows} read, then validation stopped`;
  return report.columns.length > 0
    ? 'none read: validation stopped at the header'
    : 'none read: validation stopped before the header';
}

/** `init`'s output: the contract as a table, and where it went. */
export function renderInit(result: InitResult): string {
  if (result.status === 'rejected' || result.contract === undefined) return renderValidation(result);
  const { contract } = result;
  const labels = contract.labels === undefined ? undefined : contract.labels.join(', ');
  const fields = renderFields([
    ['Model', result.model],
    ['File', result.file],
    ['Rows', result.report.rows],
    ['Target', contract.target],
    ['Problem type', contract.problemType],
    ['Labels', labels],
  ]);
  const written =
    result.writtenTo === undefined
      ? ''
      : `\nWrote the contract to ${result.writtenTo}.${result.writtenTo.startsWith('s3://') ? ` Uploads to datasets/${result.model}/ are checked against it.` : ''}\n`;
  return `${fields}\n${renderColumns(contract, result.statistics)}${written}`;
}

function renderColumns(contract: DatasetContract, statistics: BaselineStatistics | undefined): string {
  const byName = new Map<string, ColumnStatistics>(
    (statistics?.features ?? []).map((column) => [column.name, column]),
  );
  const rows = contract.columns.map((column) => {
    const isTarget = column.name === contract.target;
    const observed = isTarget ? labelSummary(statistics) : byName.get(column.name);
    return [
      column.name,
      column.type,
      column.nullable === true ? 'yes' : 'no',
      isTarget ? 'target' : 'feature',
      typeof observed === 'string' ? observed : columnSummary(observed),
    ];
  });
  return renderTable(['COLUMN', 'TYPE', 'NULLABLE', 'ROLE', 'OBSERVED'], rows);
}

/** How many categories a summary names before `…`. */
const CATEGORIES_SHOWN = 4;

function columnSummary(column: ColumnStatistics | undefined): string {
  if (column === undefined) return NONE;
  const nulls = column.nulls > 0 ? `, ${column.nulls} empty` : '';
  if (column.type === 'numeric') {
    if (column.min === null || column.max === null) return `no values${nulls}`;
    return `${column.min} to ${column.max}, mean ${round(column.mean ?? 0)}${nulls}`;
  }
  const shown = column.frequencies.slice(0, CATEGORIES_SHOWN).map((f) => `${f.value} ${f.count}`);
  const more = column.frequencies.length > CATEGORIES_SHOWN ? ', …' : '';
  const count = column.frequencies.length;
  return `${count} value${count === 1 ? '' : 's'}: ${shown.join(', ')}${more}${nulls}`;
}

function labelSummary(statistics: BaselineStatistics | undefined): string | undefined {
  const label = statistics?.label;
  if (label === undefined) return undefined;
  if (label.classes !== undefined) {
    const shown = label.classes.slice(0, CATEGORIES_SHOWN).map((c) => `${c.value} ${c.count}`);
    const more = label.classes.length > CATEGORIES_SHOWN ? ', …' : '';
    return `${label.classes.length} classes: ${shown.join(', ')}${more}`;
  }
  return label.numeric === undefined ? undefined : columnSummary(label.numeric);
}

function round(value: number): string {
  return Number(value.toPrecision(6)).toString();
}

function renderProblems(report: FileReport): string {
  const shown = report.problems.slice(0, PROBLEMS_SHOWN);
  const rows = shown.map((problem) => [problem.kind, problem.message]);
  const hidden = report.problemCount - shown.length;
  const more =
    hidden > 0 ? `… and ${hidden} more (all kinds: ${kinds(report)}; --json has the details)\n` : '';
  return `${renderTable(['PROBLEM', 'DETAIL'], rows)}${more}`;
}

function kinds(report: FileReport): string {
  return Object.entries(report.countsByKind)
    .map(([kind, count]) => `${kind} ${count}`)
    .join(', ');
}
