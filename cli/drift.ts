/**
 * `mlops drift compare <reference.csv> <current.csv>`: the drift check, offline. The baseline is built from the
 * reference by the training validator itself (lambdas/shared/drift `baselineFromRows`: exactly the baseline
 * training writes, exact reference samples up to 10,000 rows), the current file is streamed row by row into
 * the accumulator the scheduled check uses, and the verdict comes from the same rules (`driftReport`).
 * Also how drift figures read in every `mlops drift` command (the feature table). `drift show` and
 * `drift report`: cli/drift-windows.ts.
 */
import { createReadStream, statSync } from 'node:fs';
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
import { baselineFromRows, ReferenceRejectedError } from '../lambdas/validate-dataset/drift-baseline';
import type { ContractGuide, ContractSource } from './contract';
import { CliError, UsageError } from './errors';
import { NONE, renderFields, renderTable } from './output';

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
  return `${fields}Reasons\n${reasons}\n${featureTable(report.features)}`;
}

/** A line per feature: its verdict, score, test and p-values (`drift compare`, `drift show --window`). */
export function featureTable(features: readonly FeatureDrift[], first = 'FEATURE'): string {
  return renderTable(
    [first, 'TYPE', 'DRIFTED', 'SCORE', 'TEST', 'P-VALUE', 'ADJUSTED P', 'PSI', 'REASON'],
    features.map((feature) => featureRow(feature)),
  );
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

/** A share as a percentage with one decimal. */
export function percent(share: number): string {
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
