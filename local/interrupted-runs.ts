/**
 * Runs a previous local runtime left Running: their executions ran in that process and died with it (the
 * local Step Functions marks such executions ABORTED on restart), so nothing will ever end them. On start the
 * runtime ends them Failed, through the registry's lifecycle-checked, audited updateRun, so that they read
 * as what happened and `mlops runs retry` accepts them.
 */
import { type ModelRegistryClient, type Run, RunStatusConflictError } from '../lambdas/shared/registry';

/** The error a run closed this way is recorded with. */
export const LOCAL_RUNTIME_STOPPED = 'LocalRuntimeStopped';

/** Who the audit trail says closed the run. */
const ACTOR = 'local-runtime';

export interface CloseInterruptedRunsOptions {
  /** `npm run -s mlops --` (with the runtime's --state-dir): how the cause tells people to retry. */
  readonly mlops: string;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

/**
 * Ends every run still Running as Failed with {@link LOCAL_RUNTIME_STOPPED}. Call it before this runtime
 * starts any execution: every Running run then belongs to a runtime that is gone.
 *
 * @returns the runs it closed, as recorded
 */
export async function closeInterruptedRuns(
  registry: Pick<ModelRegistryClient, 'listRunsByStatus' | 'updateRun'>,
  options: CloseInterruptedRunsOptions,
): Promise<Run[]> {
  const running: Run[] = [];
  let nextToken: string | undefined;
  do {
    const page = await registry.listRunsByStatus('Running', { nextToken });
    running.push(...page.items);
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  const closed: Run[] = [];
  for (const run of running) {
    const where = run.step === undefined ? '' : ` in ${run.step}`;
    const cause =
      `The local runtime stopped while this run was${where}, and its execution with it; ` +
      `\`${options.mlops} runs retry ${run.runId}\` runs it again`;
    try {
      closed.push(
        await registry.updateRun(
          run.runId,
          {
            status: 'Failed',
            error: LOCAL_RUNTIME_STOPPED,
            cause,
            endedAt: (options.now ?? (() => new Date()))(),
          },
          { expectedStatus: 'Running', actor: ACTOR, reasons: [`${LOCAL_RUNTIME_STOPPED}: ${cause}`] },
        ),
      );
    } catch (error) {
      // It ended meanwhile: nothing to close.
      if (!(error instanceof RunStatusConflictError)) throw error;
    }
  }
  return closed;
}
