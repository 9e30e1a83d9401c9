/** GET /api/models and /api/models/:model: one registry page of models, a model's versions and audit trail. */
import { objectiveOf, requireModel } from '../../../cli/models';
import type { Target } from '../../../cli/target';
import { ALIAS_NAMES, type AuditEvent, type ModelVersion } from '../../../lambdas/shared/registry';

/** Models per page of the list. */
export const MODELS_PAGE = 50;
/** Versions (and audit events) per page of a model. */
export const VERSIONS_PAGE = 50;

export interface ModelRow {
  readonly name: string;
  readonly production?: { readonly version: number } | undefined;
  readonly latest?:
    | {
        readonly version: number;
        readonly status: string;
        readonly metricName?: string | undefined;
        readonly metricValue?: number | undefined;
      }
    | undefined;
}

/** One page of models, each with its production alias and latest version. */
export async function modelsPage(
  target: Target,
  cursor: string | undefined,
): Promise<{ models: ModelRow[]; next?: string | undefined }> {
  const { registry } = target;
  const page = await registry.listModels({ limit: MODELS_PAGE, nextToken: cursor });
  const models = await Promise.all(
    page.items.map(async (summary): Promise<ModelRow> => {
      const [production, latest] = await Promise.all([
        registry.getAlias(summary.model, 'production'),
        registry.getVersion(summary.model, summary.latestVersion),
      ]);
      return {
        name: summary.model,
        production: production && { version: production.version },
        latest: latest && { version: latest.version, ...statusAndMetric(latest) },
      };
    }),
  );
  return { models, next: page.nextToken };
}

function statusAndMetric(version: ModelVersion): {
  status: string;
  metricName?: string | undefined;
  metricValue?: number | undefined;
} {
  const objective = objectiveOf(version);
  return {
    status: version.status,
    metricName: objective?.metric,
    metricValue: objective?.value,
  };
}

/** The audit event types that change a version's status (its timeline). */
const STATUS_EVENTS = new Set(['VersionRegistered', 'StatusChanged']);

/**
 * A model's aliases, one page of versions (newest first) with their status history, and the audit trail of
 * the same page. The cursor pages both: versions and events are read a page at a time.
 *
 * @throws NotFoundError for an unknown model; UsageError for an invalid name
 */
export async function modelDetail(target: Target, model: string, cursor: string | undefined) {
  const { registry } = target;
  const summary = await requireModel(registry, model);
  const name = summary.model;
  const [aliasList, versionsPage, eventsPage] = await Promise.all([
    Promise.all(ALIAS_NAMES.map((alias) => registry.getAlias(name, alias))),
    registry.listVersions(name, { limit: VERSIONS_PAGE, nextToken: pageToken(cursor, 'v') }),
    registry.listEvents(name, { limit: VERSIONS_PAGE, nextToken: pageToken(cursor, 'e') }),
  ]);
  const aliases: Record<string, number> = {};
  for (const alias of aliasList) if (alias !== undefined) aliases[alias.alias] = alias.version;
  const history = (version: number) =>
    eventsPage.items
      .filter((event) => event.version === version && STATUS_EVENTS.has(event.type))
      .map((event) => ({
        status: String(event.details.to ?? event.details.status ?? 'Registered'),
        at: event.at,
        actor: event.actor,
        ...(event.reasons.length === 0 ? {} : { reason: event.reasons.join('; ') }),
      }))
      .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const versions = versionsPage.items.map((version) => {
    const { status, ...metric } = statusAndMetric(version);
    const changes = history(version.version);
    return {
      version: version.version,
      status,
      ...metric,
      createdAt: version.createdAt,
      runId: version.lineage.runId,
      // The record's last change stands for the history when the audit page does not reach it.
      history:
        changes.length > 0
          ? changes
          : [
              {
                status: version.status,
                at: version.statusChangedAt,
                actor: version.statusChangedBy,
                reason: version.statusReason,
              },
            ],
    };
  });
  const audit = eventsPage.items.map(auditRow);
  const next = joinTokens(versionsPage.nextToken, eventsPage.nextToken);
  return { name, aliases, versions, audit, next };
}

function auditRow(event: AuditEvent) {
  return {
    type: event.type,
    at: event.at,
    actor: event.actor,
    ...(event.reasons.length === 0 ? {} : { reason: event.reasons.join('; ') }),
    version: event.version,
    runId: event.runId,
  };
}

/** Two registry tokens in one cursor (versions `v`, audit events `e`); a listing that ended has none. */
function joinTokens(versions: string | undefined, events: string | undefined): string | undefined {
  if (versions === undefined && events === undefined) return undefined;
  return Buffer.from(JSON.stringify({ v: versions ?? null, e: events ?? null })).toString('base64url');
}

function pageToken(cursor: string | undefined, which: 'v' | 'e'): string | undefined {
  if (cursor === undefined) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    const token = parsed[which];
    return typeof token === 'string' ? token : undefined;
  } catch {
    return undefined;
  }
}
