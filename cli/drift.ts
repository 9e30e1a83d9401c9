/**
 * `mlops drift …`:
 * - `show <model> [--window …]`: the drift windows the scheduled check (lambdas/check-drift) recorded in the
 *   registry, or one window with its report (report.json in `monitoring/<model>/<windowId>/`);
 * - `report <model> [--window …] --out report.html`: saves a window's self-contained HTML report;
 * - `compare <reference.csv> <current.csv>`: the drift check, offline. The baseline is built from the
 * reference by the training validator itself (lambdas/shared/drift `baselineFromRows`: exactly the baseline
 * training writes, exact reference samples up to 10,000 rows), the current file is streamed row by row into
 * the accumulator the scheduled check uses, and the verdict comes from the same rules (`driftReport`).
 */
import { createReadStream, statSync, writeFileSync } from 'node:fs';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type Options, parse } from 'csv-parse';
import {
  type BaselineStatistics,
  type Correction,
  DEFAULT_DRIFT_SETTINGS,
  DEFAULT_EFFECT_THRESHOLDS,
  DriftAccumulator,
  type DriftReport,
  type DriftSettings,
  driftReport,
  type FeatureDrift,
  type FeatureDriftStatistics,
} from '../lambdas/shared/drift';
import type { DriftWindowReport } from '../lambdas/shared/monitoring';
import { type MonitoringWindow, type MonitoringWindows, parseWindowId } from '../lambdas/shared/registry';
import { s3Uri } from '../lambdas/shared/s3-layout';
import { baselineFromRows, ReferenceRejectedError } from '../lambdas/validate-dataset/drift-baseline';
import type { ContractGuide, ContractSource } from './contract';
import { CliError, NotFoundError, UsageError } from './errors';
import { type ModelReader, requireModel } from './models';
import { formatBytes, formatTime, NONE, oneLine, renderFields, renderTable } from './output';

/** What `drift compare` is given. */
export interface CompareRequest {
  readonly reference: string;
  readonly current: string;
  /** A schema.json (full or partial) and where it was read; without it the contract is inferred. */
  readonly contract?: { readonly guide: ContractGuide; readonly source: ContractSource } | undefined;
  /** Without a full contract: the reference's label column (else the one column the current file lacks). */
  readonly target?: string | undefined;
  /** Verdict settings; {@link DEFAULT_DRIFT_SETTINGS} for those not given. */
  readonly settings?: Partial<DriftSettings> | undefined;
}

/** The reference side of a comparison. */
export interface ReferenceFacts {
  readonly file: string;
  readonly rows: number;
  /** The label column (not compared). */
  readonly label: string;
  /** Where the columns' types came from: a schema file, a partial one (types inferred), or inferred. */
  readonly contract: 'file' | 'partial file' | 'inferred';
  /** How the label was found: the schema, --target, or the one reference column the current file lacks. */
  readonly labelFrom: 'schema' | 'option' | 'current header';
  /** Every numeric value is in the reference samples (the reference has at most `sampleSize` rows). */
  readonly exact: boolean;
  readonly sampleSize: number;
}

/** `drift compare`'s result. */
export interface DriftComparison {
  readonly reference: ReferenceFacts;
  readonly current: { readonly file: string; readonly rows: number };
  readonly settings: DriftSettings;
  readonly report: DriftReport;
}

/**
 * Builds the baseline from the reference as training does and checks the current file against it.
 *
 * @throws CliError for a missing file, a reference the validator rejects, a current file without a feature
 *   column, a row with another number of fields or a numeric feature that is not a number (naming row and
 *   column); UsageError when the label cannot be told
 */
export async function compareFiles(request: CompareRequest): Promise<DriftComparison> {
  const settings: DriftSettings = { ...DEFAULT_DRIFT_SETTINGS, ...request.settings };
  const referenceHeader = await readHeader(request.reference);
  const currentHeader = await readHeader(request.current);
  const guide = request.contract?.guide;
  const label = chooseLabel(request, guide, referenceHeader, currentHeader);
  let statistics: BaselineStatistics;
  try {
    ({ statistics } = await baselineFromRows({
      open: () => createReadStream(request.reference),
      contract: guide?.contract,
      targetColumn: guide?.contract === undefined ? label.column : undefined,
      problemType: guide?.problemType,
      labels: guide?.labels,
    }));
  } catch (error) {
    if (!(error instanceof ReferenceRejectedError)) throw error;
    const schema = request.contract === undefined ? '' : ` --schema ${request.contract.source.location}`;
    const check =
      schema === ''
        ? `mlops init ${request.reference} --model <name> --target ${label.column} --out schema.json`
        : `mlops validate ${request.reference}${schema}`;
    throw new CliError(
      `${request.reference} cannot be a baseline: ${error.message} (every problem: \`${check}\`)`,
    );
  }
  const accumulator = new DriftAccumulator(statistics);
  const rows = await feedCurrent(request.current, statistics, accumulator);
  const kind = request.contract?.source.kind;
  return {
    reference: {
      file: request.reference,
      rows: statistics.rows,
      label: statistics.label.name,
      contract: kind === undefined ? 'inferred' : kind === 'file' ? 'file' : 'partial file',
      labelFrom: label.from,
      exact: statistics.rows <= statistics.sampleSize,
      sampleSize: statistics.sampleSize,
    },
    current: { file: request.current, rows },
    settings,
    report: driftReport(accumulator, settings),
  };
}

/** The label: the schema's, --target, or the one column of the reference that the current file lacks. */
function chooseLabel(
  request: CompareRequest,
  guide: ContractGuide | undefined,
  referenceHeader: readonly string[],
  currentHeader: readonly string[],
): { readonly column: string; readonly from: ReferenceFacts['labelFrom'] } {
  const declared = guide?.contract?.target ?? guide?.targetColumn;
  if (declared !== undefined) {
    if (request.target !== undefined && request.target !== declared) {
      throw new UsageError(`--target ${request.target} disagrees with the schema's target ${declared}`);
    }
    return { column: declared, from: 'schema' };
  }
  if (request.target !== undefined) return { column: request.target, from: 'option' };
  const missing = referenceHeader.filter((column) => !currentHeader.includes(column));
  if (missing.length === 1) return { column: missing[0] as string, from: 'current header' };
  const why =
    missing.length === 0
      ? `${request.current} has every column of ${request.reference}`
      : `${request.current} lacks ${missing.length} of its columns (${missing.join(', ')})`;
  throw new UsageError(
    `Which column of ${request.reference} is the label? ${why}: name it with --target <column> or give the model's --schema <schema.json>`,
  );
}

const CSV_OPTIONS: Options = { bom: true, relax_column_count: true, skip_empty_lines: true, info: true };

interface CsvRow {
  readonly record: string[];
  readonly info: { readonly lines: number };
}

/** A CSV file's records, streamed; a file that cannot be opened is a CliError. */
async function* records(path: string, options: Options = {}): AsyncGenerator<CsvRow> {
  checkFile(path);
  const parser = createReadStream(path).pipe(parse({ ...CSV_OPTIONS, ...options }));
  try {
    for await (const row of parser) yield row as CsvRow;
  } catch (error) {
    throw new CliError(`${path} is not valid CSV: ${(error as Error).message}`);
  }
}

function checkFile(path: string): void {
  try {
    if (!statSync(path).isFile()) throw new CliError(`${path} is not a file`);
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(code === 'ENOENT' ? `File not found: ${path}` : `Cannot read ${path} (${code})`);
  }
}

async function readHeader(path: string): Promise<string[]> {
  for await (const { record } of records(path, { to_line: 1 })) return record;
  throw new CliError(`${path} is empty: expected a header row naming the columns`);
}

/**
 * Streams the current file into the accumulator: the baseline's features by header name (the label and
 * other columns are ignored), empty fields as missing, numeric fields parsed.
 *
 * @returns the data rows counted
 */
async function feedCurrent(
  path: string,
  baseline: BaselineStatistics,
  accumulator: DriftAccumulator,
): Promise<number> {
  let header: string[] | undefined;
  let positions: number[] = [];
  let rows = 0;
  const values: (number | string | null)[] = [];
  for await (const { record, info } of records(path)) {
    if (header === undefined) {
      header = record;
      const known = header;
      const missing = baseline.features.filter((feature) => !known.includes(feature.name));
      if (missing.length > 0) {
        throw new CliError(
          `${path} has no column ${missing.map((feature) => JSON.stringify(feature.name)).join(', ')}: its header must name every feature of the reference (${baseline.features.map((feature) => feature.name).join(', ')})`,
        );
      }
      positions = baseline.features.map((feature) => known.indexOf(feature.name));
      continue;
    }
    rows++;
    const where = `${path}, row ${rows} (line ${info.lines})`;
    if (record.length !== header.length) {
      throw new CliError(`${where}: ${record.length} fields (expected ${header.length}, as in the header)`);
    }
    values.length = 0;
    for (const [i, feature] of baseline.features.entries()) {
      const field = record[positions[i] as number] ?? '';
      if (field === '') values.push(null);
      else if (feature.type === 'categorical') values.push(field);
      else {
        const number = Number(field.trim());
        if (field.trim() === '' || !Number.isFinite(number)) {
          throw new CliError(
            `${where}, column ${JSON.stringify(feature.name)}: ${JSON.stringify(field)} is not a number (the feature is numeric in the reference)`,
          );
        }
        values.push(number);
      }
    }
    accumulator.addRow(values);
  }
  if (header === undefined) throw new CliError(`${path} is empty: expected a header row naming the columns`);
  return rows;
}

/** The statistics `--json` shows per feature (the ones that apply to its type). */
export type ComparisonFeature = Pick<FeatureDrift, 'name' | 'type' | 'drifted' | 'method' | 'score'> & {
  readonly statistics: FeatureDriftStatistics;
};

/** `drift compare --json`: issue 10 §6's shape. */
export interface ComparisonJson {
  readonly verdict: DriftReport['verdict'];
  readonly driftShare: number;
  readonly rows: { readonly reference: number; readonly current: number };
  readonly features: readonly ComparisonFeature[];
}

/** The `--json` document: verdict, drift share, rows and per feature its decision and statistics. */
export function comparisonJson(comparison: DriftComparison): ComparisonJson {
  const { report } = comparison;
  return {
    verdict: report.verdict,
    driftShare: report.driftShare,
    rows: { reference: report.rows.reference, current: report.rows.current },
    features: report.features.map(({ name, type, drifted, method, score, statistics }) => ({
      name,
      type,
      drifted,
      method,
      score,
      statistics,
    })),
  };
}

/** The comparison for people: what was compared, the verdict with its reasons, a line per feature. */
export function renderComparison(comparison: DriftComparison): string {
  const { reference, current, report, settings } = comparison;
  const labelFrom = {
    schema: 'the schema’s target',
    option: '--target',
    'current header': `the column ${current.file} lacks`,
  }[reference.labelFrom];
  const contract = {
    file: 'types from the schema',
    'partial file': 'types inferred',
    inferred: 'types inferred',
  }[reference.contract];
  const samples = reference.exact
    ? 'every value in the reference samples'
    : `reference samples of ${reference.sampleSize.toLocaleString('en-US')} seeded rows`;
  const tested = report.features.filter((feature) => feature.statistics.adjustedPValue !== undefined);
  const drifted = report.features.filter((feature) => feature.drifted);
  const nullRateThreshold = settings.thresholds?.nullRateChange ?? DEFAULT_EFFECT_THRESHOLDS.nullRateChange;
  const fields = renderFields([
    [
      'Reference',
      `${reference.file}: ${reference.rows} rows; label ${reference.label} (${labelFrom}), ${contract}, ${samples}`,
    ],
    ['Current', `${current.file}: ${current.rows} rows`],
    ['Verdict', report.verdict],
    [
      'Drift share',
      `${percent(report.driftShare)} (${drifted.length} of ${tested.length} tested features drifted)`,
    ],
    [
      'Rules',
      `Drift when at least ${percent(settings.driftShare)} of the tested features drift${settings.criticalFeatures.length > 0 ? ` or one of ${settings.criticalFeatures.join(', ')} does` : ''}; a feature drifts when its ${settings.correction} corrected p-value is below ${settings.alpha} and its score reaches its threshold, or when its null rate moves by ${Math.round(nullRateThreshold * 100)} points or more, significantly; no verdict under ${settings.minSamples} rows`,
    ],
  ]);
  const reasons = report.reasons.map((reason) => `  ${reason}\n`).join('');
  const table = renderTable(
    ['FEATURE', 'TYPE', 'DRIFTED', 'SCORE', 'TEST', 'P-VALUE', 'ADJUSTED P', 'PSI', 'REASON'],
    report.features.map((feature) => featureRow(feature)),
  );
  return `${fields}Reasons\n${reasons}\n${table}`;
}

function featureRow(feature: FeatureDrift): string[] {
  const s = feature.statistics;
  const numeric = feature.type === 'numeric';
  // Below 1e-9 an effect size is floating-point noise (identical samples), not a shift.
  const score = `${scoreName(feature.method)} ${formatNumber(Math.abs(feature.score) < 1e-9 ? 0 : feature.score)}`;
  const test = numeric
    ? s.ksStatistic === undefined
      ? NONE
      : `KS D ${formatNumber(s.ksStatistic)}`
    : s.chiSquare === undefined
      ? NONE
      : `χ² ${formatNumber(s.chiSquare)}, df ${s.degreesOfFreedom ?? NONE}`;
  const p = numeric ? s.ksPValue : s.chiSquarePValue;
  return [
    feature.name,
    feature.type,
    feature.drifted ? 'yes' : 'no',
    score,
    test,
    p === undefined ? NONE : formatNumber(p),
    s.adjustedPValue === undefined ? NONE : formatNumber(s.adjustedPValue),
    s.psi === undefined ? NONE : formatNumber(s.psi),
    feature.reason,
  ];
}

function scoreName(method: string): string {
  if (method.endsWith('wasserstein')) return 'W/σ';
  if (method === 'ks') return 'KS D';
  return 'JS';
}

/** Three decimals; small values (p-values) in scientific notation; 0 as 0. */
export function formatNumber(x: number): string {
  if (x === 0) return '0';
  return Math.abs(x) < 1e-3 ? x.toExponential(2) : x.toFixed(3);
}

function percent(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}

/** `--correction`: `benjamini-hochberg` (or `bh`) or `bonferroni`. */
export function parseCorrection(value: string): Correction {
  const normalized = value.trim().toLowerCase();
  if (normalized === 'bh' || normalized === 'benjamini-hochberg') return 'benjamini-hochberg';
  if (normalized === 'bonferroni') return 'bonferroni';
  throw new UsageError(`Invalid --correction "${value}": expected benjamini-hochberg (bh) or bonferroni`);
}

/** `--drift-share`: a share in (0, 1]. */
export function parseShare(value: string, what: string): number {
  const share = /^\d*\.?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!(share > 0 && share <= 1)) {
    throw new UsageError(`Invalid ${what} "${value}": expected a share from 0 (excluded) to 1, e.g. 0.5`);
  }
  return share;
}

// `drift show` and `drift report`: the windows the scheduled check recorded, and their reports.

/** What `drift show` and `drift report` read. */
export interface WindowDependencies {
  readonly registry: ModelReader;
  readonly windows: Pick<MonitoringWindows, 'listWindows' | 'findWindow' | 'lastWindow'>;
  readonly s3: Pick<S3Client, 'send'>;
  readonly artifactsBucket: string;
}

/** `drift show <model>`: the model's drift windows, newest first. */
export interface WindowListing {
  readonly model: string;
  readonly windows: readonly MonitoringWindow[];
  /** More windows are recorded than shown (raise --limit). */
  readonly more: boolean;
}

/** Most windows `drift show` lists by default. */
export const DEFAULT_WINDOW_LIMIT = 20;

/**
 * The model's drift windows, newest first.
 *
 * @throws NotFoundError for an unknown model
 */
export async function listDriftWindows(
  deps: WindowDependencies,
  model: string,
  limit = DEFAULT_WINDOW_LIMIT,
): Promise<WindowListing> {
  const { model: name } = await requireModel(deps.registry, model);
  const windows: MonitoringWindow[] = [];
  let nextToken: string | undefined;
  do {
    const page = await deps.windows.listWindows(name, 'drift', {
      limit: Math.min(100, limit - windows.length + 1),
      ...(nextToken === undefined ? {} : { nextToken }),
    });
    windows.push(...page.items);
    nextToken = page.nextToken;
  } while (nextToken !== undefined && windows.length <= limit);
  return { model: name, windows: windows.slice(0, limit), more: windows.length > limit };
}

/** `latest`, or a window id as `drift show` lists them. */
export const LATEST_WINDOW = 'latest';

/**
 * One recorded window: `latest` (the default) or its id.
 *
 * @throws NotFoundError for an unknown model, a model without windows or an unknown window id;
 *   UsageError for something that is not a window id
 */
export async function findDriftWindow(
  deps: WindowDependencies,
  model: string,
  window: string = LATEST_WINDOW,
): Promise<MonitoringWindow> {
  const { model: name } = await requireModel(deps.registry, model);
  if (window === LATEST_WINDOW) {
    const last = await deps.windows.lastWindow(name, 'drift');
    if (last === undefined) throw new NotFoundError(noWindows(name));
    return last;
  }
  if (parseWindowId(window) === undefined) {
    throw new UsageError(
      `Invalid --window "${window}": expected ${LATEST_WINDOW} or a window id as \`mlops drift show ${name}\` lists them, e.g. 20261130T140000.000Z_20261130T150000.000Z`,
    );
  }
  const found = await deps.windows.findWindow(name, 'drift', window);
  if (found === undefined) {
    throw new NotFoundError(
      `${name} has no drift window ${window} (list them with \`mlops drift show ${name}\`)`,
    );
  }
  return found;
}

function noWindows(model: string): string {
  return `${model} has no drift window yet: the scheduled check records one per period of its schedule (monitoring.schedule) once a version serves and traffic is captured`;
}

/** `drift show <model> --window …`: the window as recorded and its report. */
export interface WindowDetails {
  readonly window: MonitoringWindow;
  /** report.json; undefined when it cannot be read (the window's record still stands). */
  readonly report?: DriftWindowReport;
  /** Why the report could not be read. */
  readonly reportProblem?: string;
  readonly reports: { readonly json?: string; readonly html?: string };
}

/** The window and its JSON report from the artifacts bucket. */
export async function showDriftWindow(
  deps: WindowDependencies,
  model: string,
  window?: string,
): Promise<WindowDetails> {
  const found = await findDriftWindow(deps, model, window);
  const reports = reportUris(deps.artifactsBucket, found);
  const key = found.reports.json;
  if (key === undefined) return { window: found, reports, reportProblem: 'the window names no JSON report' };
  try {
    const text = await readText(deps.s3, deps.artifactsBucket, key);
    return { window: found, reports, report: JSON.parse(text) as DriftWindowReport };
  } catch (error) {
    return {
      window: found,
      reports,
      reportProblem: `${s3Uri(deps.artifactsBucket, key)} could not be read: ${(error as Error).message}`,
    };
  }
}

function reportUris(bucket: string, window: MonitoringWindow): WindowDetails['reports'] {
  const { json, html } = window.reports;
  return {
    ...(json === undefined ? {} : { json: s3Uri(bucket, json) }),
    ...(html === undefined ? {} : { html: s3Uri(bucket, html) }),
  };
}

async function readText(s3: Pick<S3Client, 'send'>, bucket: string, key: string): Promise<string> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await object.Body?.transformToString('utf8')) ?? '';
}

/** `drift report --out`: what was saved. */
export interface SavedReport {
  readonly window: MonitoringWindow;
  readonly report: string;
  readonly file: string;
  readonly bytes: number;
}

/**
 * Saves the window's HTML report (self-contained: inline SVG, no scripts) to `out`.
 *
 * @throws NotFoundError when the window or its HTML report does not exist
 */
export async function saveDriftReport(
  deps: WindowDependencies,
  model: string,
  window: string | undefined,
  out: string,
): Promise<SavedReport> {
  const found = await findDriftWindow(deps, model, window);
  const key = found.reports.html;
  if (key === undefined)
    throw new NotFoundError(`${found.model} window ${found.windowId} names no HTML report`);
  const uri = s3Uri(deps.artifactsBucket, key);
  let html: string;
  try {
    html = await readText(deps.s3, deps.artifactsBucket, key);
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchKey') throw new NotFoundError(`${uri} does not exist`);
    throw error;
  }
  writeFileSync(out, html);
  return { window: found, report: uri, file: out, bytes: Buffer.byteLength(html) };
}

/** `drift show <model>` for people. */
export function renderWindowListing(listing: WindowListing): string {
  if (listing.windows.length === 0) return `${noWindows(listing.model)}.\n`;
  const rows = listing.windows.map((window) => [
    window.windowId,
    window.version === undefined ? NONE : `v${window.version}`,
    window.verdict,
    String(window.rows),
    shareOf(window),
    driftedOf(window).join(', ') || NONE,
    formatTime(window.checkedAt),
  ]);
  const table = renderTable(
    ['WINDOW', 'VERSION', 'VERDICT', 'ROWS', 'DRIFT SHARE', 'DRIFTED', 'CHECKED'],
    rows,
  );
  const more = listing.more ? `More windows are recorded: raise --limit.\n` : '';
  return `${table}${more}`;
}

function shareOf(window: MonitoringWindow): string {
  const share = window.summary.driftShare;
  return typeof share === 'number' ? percent(share) : NONE;
}

function driftedOf(window: MonitoringWindow): string[] {
  const drifted = window.summary.driftedFeatures;
  return Array.isArray(drifted) ? drifted.filter((name): name is string => typeof name === 'string') : [];
}

/** `drift show <model> --window …` for people: the window, its verdict and reasons, a line per feature. */
export function renderWindowDetails(details: WindowDetails): string {
  const { window, report } = details;
  const capture = report?.capture;
  const fields = renderFields([
    ['Model', window.model],
    ['Window', window.windowId],
    ['From', `${formatTime(window.from)} (exclusive)`],
    ['Until', formatTime(window.until)],
    ['Checked', formatTime(window.checkedAt)],
    ['Version', window.version === undefined ? undefined : `v${window.version}`],
    ['Baseline', report === undefined ? undefined : `run ${report.runId}`],
    ['Verdict', window.verdict],
    ['Drift share', shareOf(window)],
    ['Rows', window.rows],
    [
      'Capture',
      capture === undefined
        ? undefined
        : `${capture.files} files, ${capture.records} records, ${capture.rows} rows read of ${capture.requestRows}, ${capture.predictions} predictions${capture.predictionBaseline ? '' : ' (no prediction baseline)'}${capture.internalRecords ? `; ${capture.internalRecords} records of the stack's own requests skipped` : ''}`,
    ],
    ['Problems', capture === undefined ? undefined : problemsOf(capture.problems)],
    [
      'Settings',
      report === undefined
        ? undefined
        : `driftShare ${percent(report.settings.driftShare)}, minSamples ${report.settings.minSamples}, ${report.settings.correction} at alpha ${report.settings.alpha}${report.settings.criticalFeatures.length > 0 ? `, critical ${report.settings.criticalFeatures.join(', ')}` : ''}`,
    ],
    ['JSON report', details.reports.json],
    ['HTML report', details.reports.html],
  ]);
  const reasons = window.reasons.map((reason) => `  ${reason}\n`).join('');
  let text = `${fields}Reasons\n${reasons}`;
  if (details.reportProblem !== undefined) text += `\nThe report: ${details.reportProblem}\n`;
  if (report !== undefined) {
    text += `\n${featureTable(report.drift.features)}`;
    const prediction = report.drift.prediction;
    if (prediction !== undefined && prediction.length > 0) text += `\n${featureTable(prediction, 'OUTPUT')}`;
    const examples = report.capture.problems.examples;
    if (examples.length > 0) {
      text += `\nProblems in the capture (first ${examples.length}):\n`;
      text += renderTable(
        ['KIND', 'WHERE', 'WHAT'],
        examples.map((example) => [
          example.kind,
          `${example.file ?? NONE}${example.line === undefined ? '' : `:${example.line}`}`,
          oneLine(example.message),
        ]),
      )
        .split('\n')
        .map((line) => (line === '' ? line : `  ${line}`))
        .join('\n');
    }
  }
  return text;
}

function problemsOf(problems: DriftWindowReport['capture']['problems']): string {
  if (problems.total === 0) return 'none';
  const kinds = Object.entries(problems.counts)
    .map(([kind, count]) => `${kind} ${count}`)
    .join(', ');
  return `${problems.total} (${kinds})`;
}

function featureTable(features: readonly FeatureDrift[], first = 'FEATURE'): string {
  return renderTable(
    [first, 'TYPE', 'DRIFTED', 'SCORE', 'TEST', 'P-VALUE', 'ADJUSTED P', 'PSI', 'REASON'],
    features.map((feature) => featureRow(feature)),
  );
}

/** `drift report --out` for people. */
export function renderSavedReport(saved: SavedReport): string {
  return `Saved ${saved.report} (${formatBytes(saved.bytes)}) to ${saved.file}: ${saved.window.model} window ${saved.window.windowId}, ${saved.window.verdict}\n`;
}
