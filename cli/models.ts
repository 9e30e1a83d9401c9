/**
 * `mlops models list` and `mlops models show`: models, their aliases and versions as the registry records them.
 */
import { distance } from 'fastest-levenshtein';
import {
  ALIAS_NAMES,
  type Alias,
  type AliasName,
  type ModelRegistryClient,
  type ModelSummary,
  type ModelVersion,
} from '../lambdas/shared/registry';
import { parseInteger, parseModelName } from './arguments';
import { NotFoundError } from './errors';
import { formatMetricValue, formatTime, NONE, renderFields, renderTable } from './output';
import { collect } from './paging';

/** What the model commands read. */
export type ModelReader = Pick<
  ModelRegistryClient,
  'getAlias' | 'getModel' | 'getVersion' | 'listModels' | 'listVersions'
>;

/** Where each alias points: the alias record, or null when it was never set. */
export type AliasMap = Record<AliasName, Alias | null>;

/** A `models list` entry: the model's summary and the versions its aliases point at. */
export interface ModelListing extends ModelSummary {
  readonly aliases: Partial<Record<AliasName, number>>;
}

/** `models show <model>`. */
export interface ModelDetails {
  readonly model: ModelSummary;
  readonly aliases: AliasMap;
  /** Newest first. */
  readonly versions: ModelVersion[];
}

/** `models show <model> --version N`: the version's record and the aliases pointing at it. */
export interface VersionDetails {
  readonly version: ModelVersion;
  readonly aliases: AliasName[];
}

/** The metric a version was judged on, and its value. */
export interface Objective {
  readonly metric: string;
  readonly value: number;
}

/** Every model, by name, with its aliases. */
export async function listModels(registry: ModelReader): Promise<ModelListing[]> {
  const models = await collect((page) => registry.listModels(page));
  return Promise.all(
    models.map(async (summary) => {
      const aliases = await readAliases(registry, summary.model);
      const pointers = Object.fromEntries(
        ALIAS_NAMES.flatMap((name) => {
          const alias = aliases[name];
          return alias === null ? [] : [[name, alias.version]];
        }),
      );
      return { ...summary, aliases: pointers };
    }),
  );
}

/**
 * A model's summary, aliases and versions (newest first).
 *
 * @throws UsageError for an invalid model name; NotFoundError when the model has no version
 */
export async function showModel(registry: ModelReader, model: string): Promise<ModelDetails> {
  const summary = await requireModel(registry, model);
  const [aliases, versions] = await Promise.all([
    readAliases(registry, summary.model),
    collect((page) => registry.listVersions(summary.model, page)),
  ]);
  return { model: summary, aliases, versions };
}

/**
 * One version's full record and the aliases pointing at it.
 *
 * @throws UsageError for an invalid model name or version number; NotFoundError naming what is missing
 */
export async function showVersion(
  registry: ModelReader,
  model: string,
  version: number,
): Promise<VersionDetails> {
  const number = parseInteger(String(version), 'version', 1, Number.MAX_SAFE_INTEGER);
  const summary = await requireModel(registry, model);
  const [record, aliases] = await Promise.all([
    registry.getVersion(summary.model, number),
    readAliases(registry, summary.model),
  ]);
  if (record === undefined) {
    const range = summary.latestVersion === 1 ? 'v1' : `v1 to v${summary.latestVersion}`;
    throw new NotFoundError(`${summary.model} v${number} does not exist (${summary.model} has ${range})`);
  }
  const pointing = ALIAS_NAMES.filter((name) => aliases[name]?.version === number);
  return { version: record, aliases: pointing };
}

/**
 * The version's objective metric. The record does not name it, so it is read the way the pipeline sets it
 * up: the built-in XGBoost's `eval_metric` hyperparameter is the objective `validation:<eval_metric>`;
 * otherwise a version with a single (validation) metric was judged on that one.
 */
export function objectiveOf(version: ModelVersion): Objective | undefined {
  const { metrics, hyperparameters } = version.lineage;
  const named = (hyperparameters.eval_metric ?? '').split(',').map((name) => `validation:${name.trim()}`);
  const entries = Object.entries(metrics);
  const validation = entries.filter(([metric]) => metric.startsWith('validation:'));
  const found =
    entries.find(([metric]) => named.includes(metric)) ??
    (entries.length === 1 ? entries[0] : undefined) ??
    (validation.length === 1 ? validation[0] : undefined);
  return found === undefined ? undefined : { metric: found[0], value: found[1] };
}

/** `validation:auc 0.9100`, or every metric when the objective is unknown. */
export function formatObjective(version: ModelVersion): string {
  const objective = objectiveOf(version);
  if (objective !== undefined) return `${objective.metric} ${formatMetricValue(objective.value)}`;
  const all = sortedEntries(version.lineage.metrics).map(
    ([name, value]) => `${name} ${formatMetricValue(value)}`,
  );
  return all.length === 0 ? NONE : all.join(', ');
}

/**
 * The model's summary.
 *
 * @throws UsageError for an invalid name; NotFoundError naming near misses (or the known models)
 */
export async function requireModel(registry: ModelReader, model: string): Promise<ModelSummary> {
  const name = parseModelName(model);
  const summary = await registry.getModel(name);
  if (summary !== undefined) return summary;
  const known = (await collect((page) => registry.listModels(page))).map((each) => each.model);
  throw new NotFoundError(`Model ${name} does not exist${suggestion(name, known)}`);
}

/** ` (did you mean churn?)` for a near miss, else the known models, so a typo is one look away. */
function suggestion(name: string, known: readonly string[]): string {
  const near = known.filter((each) => distance(each, name) <= 2);
  if (near.length > 0) return ` (did you mean ${near.join(' or ')}?)`;
  return known.length === 0 ? ' (no model has a version yet)' : ` (models: ${known.join(', ')})`;
}

async function readAliases(registry: ModelReader, model: string): Promise<AliasMap> {
  const [production, staging] = await Promise.all([
    registry.getAlias(model, 'production'),
    registry.getAlias(model, 'staging'),
  ]);
  return { production: production ?? null, staging: staging ?? null };
}

/** `models list` as a table. */
export function renderModelsTable(models: readonly ModelListing[]): string {
  if (models.length === 0)
    return 'No models yet: upload a dataset with `mlops upload <file> --model <name>`.\n';
  const pointer = (version: number | undefined) => (version === undefined ? NONE : `v${version}`);
  const rows = models.map((model) => [
    model.model,
    `v${model.latestVersion}`,
    pointer(model.aliases.production),
    pointer(model.aliases.staging),
    formatTime(model.updatedAt),
  ]);
  return renderTable(['MODEL', 'LATEST', 'PRODUCTION', 'STAGING', 'UPDATED'], rows);
}

/** `models show <model>` as a summary, the aliases and a table of versions. */
export function renderModel(details: ModelDetails): string {
  const { model, aliases, versions } = details;
  const summary = renderFields([
    ['Model', model.model],
    ['Latest', `v${model.latestVersion}`],
    ['Created', formatTime(model.createdAt)],
    ['Updated', formatTime(model.updatedAt)],
  ]);
  const aliasRows = ALIAS_NAMES.map((name) => {
    const alias = aliases[name];
    if (alias === null) return [name, NONE, NONE, NONE];
    return [name, `v${alias.version}`, formatTime(alias.updatedAt), alias.reason ?? NONE];
  });
  const versionRows = versions.map((version) => [
    `v${version.version}`,
    version.status,
    formatObjective(version),
    formatTime(version.createdAt),
    version.lineage.runId,
  ]);
  return [
    summary,
    renderTable(['ALIAS', 'VERSION', 'UPDATED', 'REASON'], aliasRows),
    renderTable(['VERSION', 'STATUS', 'OBJECTIVE', 'CREATED', 'RUN'], versionRows),
  ].join('\n');
}

/** `models show <model> --version N`: status, reason, lineage and metrics. */
export function renderVersion(details: VersionDetails): string {
  const { version, aliases } = details;
  const { lineage } = version;
  const { dataset } = lineage;
  // Sorted: DynamoDB does not keep a map's order, and a stable order is what people compare.
  const hyperparameters = sortedEntries(lineage.hyperparameters).map(([key, value]) => `${key}=${value}`);
  const fields = renderFields([
    ['Version', `${version.model} v${version.version}`],
    ['Status', version.status],
    ['Reason', version.statusReason],
    ['Changed', `${formatTime(version.statusChangedAt)} by ${version.statusChangedBy}`],
    ['Created', formatTime(version.createdAt)],
    ['Aliases', aliases.length === 0 ? undefined : aliases.join(', ')],
    ['Objective', formatObjective(version)],
    ['Dataset', `s3://${dataset.bucket}/${dataset.key} (version ${dataset.versionId})`],
    ['SHA-256', dataset.sha256],
    ['Rows', dataset.rowCount],
    ['Run', lineage.runId],
    ['Execution', lineage.executionArn],
    ['Training job', lineage.trainingJobName],
    ['Image', lineage.image],
    ['Hyperparameters', hyperparameters.length === 0 ? undefined : hyperparameters.join(' ')],
    ['Artifact', lineage.artifactUri],
  ]);
  const metrics = sortedEntries(lineage.metrics).map(([name, value]) => [name, formatMetricValue(value)]);
  return metrics.length === 0 ? fields : `${fields}\n${renderTable(['METRIC', 'VALUE'], metrics)}`;
}

function sortedEntries<T>(record: Readonly<Record<string, T>>): [string, T][] {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
