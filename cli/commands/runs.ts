/** `mlops runs list|show|retry`: ../runs.ts and ../retry.ts, wired to commander. */
import type { Command } from 'commander';
import { RUN_STATUSES } from '../../lambdas/shared/registry';
import { parseInteger, parseModelName, parseRunStatus, parseSeconds } from '../arguments';
import { renderRetry, requestRetry } from '../retry';
import {
  costsByModel,
  DEFAULT_RUN_LIMIT,
  listRuns,
  renderRun,
  renderRunsTable,
  renderRunsWithCost,
  showRun,
} from '../runs';
import type { GlobalOptions, Session } from '../session';
import { DEFAULT_TIMEOUT_SECONDS } from '../upload';
import { followRun } from './upload';

export function addRunsCommands(program: Command, session: Session): void {
  const runs = program.command('runs').description('training pipeline runs');
  runs
    .command('list')
    .description('runs, newest first')
    .option('--model <name>', 'only this model’s runs')
    .option('--status <status>', `only runs in this status: ${RUN_STATUSES.join(', ')}`)
    .option('--limit <n>', 'at most this many runs (1-1000)', String(DEFAULT_RUN_LIMIT))
    .option('--cost', 'each run’s cost and the sums per model')
    .action(
      async (
        options: { model?: string; status?: string; limit: string; cost?: boolean },
        command: Command,
      ) => {
        const globals = command.optsWithGlobals() as GlobalOptions;
        const filters = {
          ...(options.model === undefined ? {} : { model: parseModelName(options.model) }),
          ...(options.status === undefined ? {} : { status: parseRunStatus(options.status) }),
          limit: parseInteger(options.limit, '--limit', 1, 1000),
        };
        const target = await session.target(globals);
        const list = await listRuns(target.registry, filters);
        if (options.cost) {
          const costs = await target.costs.get(list.map((run) => run.runId));
          const json = { runs: list, costs: Object.fromEntries(costs), byModel: costsByModel(list, costs) };
          session.print(globals, json, () => renderRunsWithCost(list, costs, session.now));
          return;
        }
        session.print(globals, { runs: list }, () => renderRunsTable(list, session.now));
      },
    );
  runs
    .command('show')
    .description('one run: status, step, dataset, error and cause, version')
    .argument('<runId>', 'the run id, e.g. churn-1a2b3c4d5e6f7a8b')
    .action(async (runId: string, _options: unknown, command: Command) => {
      const globals = command.optsWithGlobals() as GlobalOptions;
      const target = await session.target(globals);
      const run = await showRun(target.registry, runId);
      const cost = (await target.costs.get([runId])).get(runId);
      session.print(globals, cost === undefined ? { run } : { run, cost }, () =>
        renderRun(run, session.now, cost),
      );
    });
  runs
    .command('retry')
    .description(
      'run an ended run’s dataset version again, as a new run linked to it (trained even if trained before)',
    )
    .argument('<runId>', 'the run to retry (Failed or Succeeded)')
    .option('--reason <text>', 'why, recorded in the audit trail')
    .option('--wait', 'follow the new run; exit 0 when it succeeds, 1 when it fails')
    .option('--timeout <seconds>', 'give up waiting after this long', String(DEFAULT_TIMEOUT_SECONDS))
    .action(
      async (
        runId: string,
        options: { reason?: string; wait?: boolean; timeout: string },
        command: Command,
      ) => {
        const globals = command.optsWithGlobals() as GlobalOptions;
        const timeoutMs = parseSeconds(options.timeout, '--timeout') * 1000;
        const target = await session.target(globals);
        const { context } = session;
        const request = await requestRetry(
          { registry: target.registry, events: target.events, eventBus: target.resources.eventBus },
          runId,
          { reason: options.reason, requestedBy: context.operator, requestId: context.newRequestId?.() },
        );
        if (options.wait !== true)
          return session.print(globals, { retry: request }, () => renderRetry(request));
        session.io.err(`${renderRetry(request).split('\n')[0]} Waiting for it...\n`);
        await followRun(
          session,
          globals,
          target,
          request.runId,
          `the retry of ${request.retryOf}`,
          timeoutMs,
          {
            retry: request,
          },
        );
      },
    );
}
