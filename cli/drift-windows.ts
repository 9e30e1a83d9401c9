/**
 * `mlops drift show <model> [--window …]`: the drift windows the scheduled check (lambdas/check-drift) recorded
 * in the registry, or one window with its report (report.json in `monitoring/<model>/<windowId>/`); and
 * `mlops drift report <model> [--window …] --out report.html`: saves a window's self-contained HTML report.
 */
import { writeFileSync } from 'node:fs';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DriftWindowReport } from '../lambdas/shared/monitoring';
import { type MonitoringWindow, type MonitoringWindows, parseWindowId } from '../lambdas/shared/registry';
import { s3Uri } from '../lambdas/shared/s3-layout';
import { featureTable, percent } from './drift';
import { NotFoundError, UsageError } from './errors';
import { type ModelReader, requireModel } from './models';
import { formatBytes, formatTime, NONE, oneLine, renderFields, renderTable } from './output';

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
      nextToken,
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

/** `drift report --out` for people. */
export function renderSavedReport(saved: SavedReport): string {
  return `Saved ${saved.report} (${formatBytes(saved.bytes)}) to ${saved.file}: ${saved.window.model} window ${saved.window.windowId}, ${saved.window.verdict}\n`;
}
