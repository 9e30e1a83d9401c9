/// <reference lib="dom" />
/** Runs: the list (paged, optionally one model's) and a run's steps, reports, learning curve and artifacts. */
import { apiPath, get, type RunDetail, type RunSummary } from '../api';
import { lineChart, type Series } from '../charts';
import { badge, empty, facts, h, link, section, table } from '../dom';
import { between, duration, num, usd, when } from '../format';
import { more, type Page } from '../page';
import { jsonView } from './generic';

type RunList = { runs: RunSummary[]; next?: string };

function runRow(run: RunSummary): HTMLTableRowElement {
  return h(
    'tr',
    {},
    h('td', {}, link(run.runId, 'runs', run.runId)),
    h('td', {}, link(run.model, 'models', run.model)),
    h('td', {}, badge(run.status)),
    h('td', {}, run.step ?? ''),
    h('td', {}, h('time', { datetime: run.startedAt }, when(run.startedAt))),
    h(
      'td',
      {},
      run.durationMs === undefined ? between(run.startedAt, run.endedAt) : duration(run.durationMs),
    ),
    h('td', {}, usd(run.costUsd)),
    h('td', {}, run.version === undefined ? '' : `v${run.version}`),
  );
}

/** The runs list, newest first, one registry page at a time; `model` narrows it to one model's runs. */
export function runsPage(model: string | undefined): Page {
  return {
    title: model ? `Runs of ${model}` : 'Runs',
    kinds: ['runs'],
    async render(signal) {
      const first = await get<RunList>(apiPath(['runs'], { model }), signal);
      const title = model ? `Runs of ${model}` : 'Runs';
      if (first.runs.length === 0) return section(title, empty('No runs yet.'));
      const body = h('tbody', {}, ...first.runs.map(runRow));
      const load = async (cursor: string) => {
        const page = await get<RunList>(apiPath(['runs'], { model, cursor }));
        return { rows: page.runs.map(runRow), ...(page.next ? { next: page.next } : {}) };
      };
      return section(
        title,
        model ? h('p', {}, h('a', { href: '#/runs' }, 'All runs')) : undefined,
        h(
          'div',
          { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': title },
          h(
            'table',
            {},
            h('caption', {}, `${title}, newest first`),
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ...['Run', 'Model', 'Status', 'Step', 'Started', 'Duration', 'Cost', 'Version'].map((t) =>
                  h('th', { scope: 'col' }, t),
                ),
              ),
            ),
            body,
          ),
        ),
        more(first.next, load, body),
      );
    },
  };
}

function learningCurve(detail: RunDetail): HTMLElement | undefined {
  const rounds = detail.training?.rounds ?? [];
  if (rounds.length === 0) return undefined;
  const byMetric = new Map<string, [number, number][]>();
  for (const { round, metrics } of rounds) {
    for (const [name, value] of Object.entries(metrics)) {
      if (typeof value === 'number') byMetric.set(name, [...(byMetric.get(name) ?? []), [round, value]]);
    }
  }
  const series: Series[] = [...byMetric].map(([name, points]) => ({ name, points }));
  return section(
    'Training',
    lineChart(series, { title: `Learning curve of ${detail.run.runId}`, xLabel: 'round', yLabel: 'metric' }),
  );
}

/** The dataset's object as an s3:// URI (the pointer the run records). */
function datasetText(dataset: unknown): string | undefined {
  if (typeof dataset === 'string') return dataset;
  if (dataset === null || typeof dataset !== 'object') return undefined;
  const { bucket, key } = dataset as { bucket?: unknown; key?: unknown };
  return typeof bucket === 'string' && typeof key === 'string' ? `s3://${bucket}/${key}` : undefined;
}

function artifactHref(runId: string, artifact: { name: string; href: string }): string {
  // Only this console's API serves artifacts; anything else is rebuilt from the name.
  return artifact.href.startsWith('/api/')
    ? artifact.href
    : apiPath(['runs', runId, 'artifacts', artifact.name]);
}

/** A run's detail. */
export function runPage(runId: string): Page {
  return {
    title: `Run ${runId}`,
    kinds: ['runs'],
    async render(signal) {
      const detail = await get<RunDetail>(apiPath(['runs', runId]), signal);
      const { run } = detail;
      const validation = detail.validation;
      return h(
        'div',
        {},
        h('h2', {}, `Run ${run.runId}`),
        facts([
          ['Model', link(run.model, 'models', run.model)],
          ['Status', badge(run.status)],
          ['Step', run.step],
          ['Started', when(run.startedAt)],
          ['Ended', when(run.endedAt)],
          [
            'Duration',
            run.durationMs === undefined ? between(run.startedAt, run.endedAt) : duration(run.durationMs),
          ],
          ['Cost', usd(run.costUsd)],
          ['Version', run.version === undefined ? undefined : link(`v${run.version}`, 'models', run.model)],
          ['Dataset', datasetText(run.dataset)],
          ['Error', typeof run.error === 'string' ? run.error : undefined],
          ['Cause', typeof run.cause === 'string' ? run.cause : undefined],
          ['Retry of', typeof run.retryOf === 'string' ? link(run.retryOf, 'runs', run.retryOf) : undefined],
        ]),
        section(
          'Steps',
          detail.steps.length === 0
            ? empty('No steps yet.')
            : table(
                `Steps of ${run.runId}`,
                ['Step', 'Status', 'Started', 'Ended', 'Duration'],
                detail.steps.map((step) => [
                  step.name,
                  badge(step.status),
                  when(step.startedAt),
                  when(step.endedAt),
                  between(step.startedAt, step.endedAt),
                ]),
              ),
        ),
        validation
          ? section(
              'Validation',
              h('p', {}, 'Dataset ', badge(validation.accepted ? 'Accepted' : 'Rejected')),
              facts([
                ['Rows read', validation.rows === undefined ? undefined : String(validation.rows)],
                ['Columns', validation.columns?.join(', ')],
                ['Target', validation.target],
                ['Reading stopped early', validation.stoppedEarly ? 'yes' : undefined],
              ]),
              validation.problems.length === 0
                ? empty('No problems found.')
                : table(
                    'Validation problems',
                    ['Row', 'Column', 'Kind', 'Value', 'Expected', 'Problem'],
                    validation.problems.map((problem) => [
                      problem.row === undefined ? '' : String(problem.row),
                      problem.column ?? '',
                      problem.kind ?? '',
                      problem.value ?? '',
                      problem.expected ?? '',
                      problem.message,
                    ]),
                  ),
              (validation.problemCount ?? 0) > validation.problems.length
                ? h(
                    'p',
                    {},
                    `The first ${validation.problems.length} of ${validation.problemCount} problems are shown.`,
                  )
                : undefined,
            )
          : undefined,
        learningCurve(detail),
        detail.evaluation
          ? section(
              'Evaluation',
              // A decision the API could not read comes as "null": the reasons still say what was decided.
              /^(null|undefined|)$/.test(detail.evaluation.decision)
                ? undefined
                : h('p', {}, 'Decision ', badge(detail.evaluation.decision)),
              facts([
                [detail.evaluation.metric ?? 'Metric', num(detail.evaluation.value)],
                [
                  'Champion',
                  detail.evaluation.champion === undefined ? undefined : jsonView(detail.evaluation.champion),
                ],
              ]),
              detail.evaluation.reasons.length === 0
                ? undefined
                : h(
                    'ul',
                    { class: 'reasons' },
                    ...detail.evaluation.reasons.map((reason) => h('li', {}, reason)),
                  ),
            )
          : undefined,
        section(
          'Artifacts',
          detail.artifacts.length === 0
            ? empty('No artifacts.')
            : h(
                'ul',
                {},
                ...detail.artifacts.map((artifact) =>
                  h(
                    'li',
                    {},
                    h('a', { href: artifactHref(run.runId, artifact), download: '' }, artifact.name),
                  ),
                ),
              ),
        ),
      );
    },
  };
}
