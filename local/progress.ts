/** What `npm start` prints: each step as it happens, states with durations, training metrics, a summary. */
import { ARTIFACT_NAMES } from '../cli/artifacts';
import type { EvaluationDecision, RunContext } from '../lambdas/shared/pipeline';
import type { Deployment } from '../lambdas/shared/registry';
import { datasetsPrefix, runPrefix, s3Uri } from '../lambdas/shared/s3-layout';
import type { LocalApp, LocalAppObserver } from './app';
import type { SnsMessage } from './aws/sns';
import type { EventLog, ExecutionResult } from './stepfunctions/executor';

/** Which workflow a state machine (logical id) is, for the summary. */
function workflowKind(stateMachine: string): 'training' | 'deployment' | 'other' {
  if (stateMachine.startsWith('Training')) return 'training';
  if (stateMachine.startsWith('Deployment')) return 'deployment';
  return 'other';
}

const dim = (text: string) => (process.stdout.isTTY ? `\x1b[2m${text}\x1b[22m` : text);
const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

/**
 * How the summaries tell people to run the CLI (docs/cli.md): through npm in the project folder, which needs no
 * set-up step; never `npx mlops`, which outside the project would fetch a foreign package of that name.
 */
export const MLOPS_COMMAND = 'npm run -s mlops --';

/** How the hints name the commands: `npm start` and the CLI, each with `--state-dir` when it is not the default. */
export interface CommandHints {
  /** `npm start` (with `-- --state-dir <dir>`). */
  readonly start: string;
  /** `npm run -s mlops --` (with `--state-dir <dir>`), followed by the command's arguments. */
  readonly mlops: string;
}

/**
 * The commands that reach the runtime of a state directory.
 *
 * @param stateDir - as `--state-dir` should name it (see stateDirOption); undefined for the default
 */
export function commandHints(stateDir?: string): CommandHints {
  if (stateDir === undefined) return { start: 'npm start', mlops: MLOPS_COMMAND };
  return { start: `npm start -- --state-dir ${stateDir}`, mlops: `${MLOPS_COMMAND} --state-dir ${stateDir}` };
}

/** The parts of a training execution's output the summary reads. */
interface TrainingOutput {
  readonly run?: RunContext;
  readonly evaluation?: EvaluationDecision;
  readonly registered?: { readonly version: number; readonly status: string };
  /** ValidateDataset's plan; `duplicateOf` when these bytes were trained before (AlreadyTrained). */
  readonly plan?: { readonly duplicateOf?: { readonly runId: string; readonly version: number } };
}

/** Prints progress for people; every line goes to stdout as it happens. */
export class ProgressPrinter implements LocalAppObserver {
  private readonly entered = new Map<string, number>();
  /** States whose failure was printed: their StateExited (after a Catch) is not a success. */
  private readonly failed = new Set<string>();
  /** The state machine of each execution, by id. */
  private readonly machines = new Map<string, string>();
  /** The last result of each kind of workflow: `training`, `deployment`, `other`. */
  private readonly lastResults = new Map<string, { readonly id: string; readonly result: ExecutionResult }>();

  /**
   * What the summary of a runtime that has exited (the demo) would have suggested: commands that work again
   * once `npm start` serves the state; printed by {@link stopped}.
   */
  private readonly later: string[] = [];

  constructor(
    private readonly write: (line: string) => void = (line) => console.log(line),
    /** How the hints name `npm start` and the CLI (with a custom `--state-dir`). */
    public readonly commands: CommandHints = commandHints(),
  ) {}

  step<T>(title: string, run: () => T): T {
    const started = Date.now();
    this.write(`▶ ${title} …`);
    const result = run();
    this.write(`  done in ${seconds(Date.now() - started)}`);
    return result;
  }

  async stepAsync<T>(title: string, run: () => Promise<T>, done = 'ready'): Promise<T> {
    const started = Date.now();
    this.write(`▶ ${title} …`);
    const result = await run();
    this.write(`  ${done} in ${seconds(Date.now() - started)}`);
    return result;
  }

  info(message: string): void {
    this.write(`▶ ${message}`);
  }

  /** A run a previous runtime left Running, now recorded Failed (local/interrupted-runs.ts). */
  interruptedRun(run: { readonly runId: string; readonly step?: string | undefined }): void {
    const where = run.step === undefined ? '' : ` in ${run.step}`;
    this.write(
      `✖ Run ${run.runId} was Running${where} when the last local runtime stopped: recorded Failed ` +
        `(LocalRuntimeStopped); \`${this.commands.mlops} runs retry ${run.runId}\` runs it again`,
    );
  }

  /** An indented detail line under the last step. */
  detail(message: string): void {
    this.write(`  ${message}`);
  }

  /** Where the web console is, and the token its actions need. */
  console(url: string, token: string, portTaken?: number): void {
    const taken = portTaken === undefined ? '' : ` (port ${portTaken} was taken; --console-port N to choose)`;
    this.write(`Console: ${url} (token ${token})${taken}`);
  }

  resources(resources: Record<string, string>, stateDir: string): void {
    for (const [name, value] of Object.entries(resources)) this.write(dim(`  ${name.padEnd(22)} ${value}`));
    this.write(dim(`  state kept in          ${stateDir} (${this.resetCommand()} to start over)`));
  }

  executionStarted(execution: { id: string; stateMachine: string }): void {
    this.machines.set(execution.id, execution.stateMachine);
    const kind = workflowKind(execution.stateMachine);
    if (kind === 'deployment') {
      const name = execution.id.split(':').pop() ?? execution.id;
      this.write(`▶ Deployment ${name} started (${execution.stateMachine})`);
      return;
    }
    this.write(`▶ Execution of ${execution.stateMachine} started`);
  }

  /**
   * The events of the local services, one line each: the endpoint's status, each stage of a blue/green update
   * with the traffic on the new fleet, and alarms going into or out of ALARM.
   */
  serviceEvent(event: Readonly<Record<string, unknown>>): void {
    const detail = (event.detail ?? {}) as Record<string, unknown>;
    switch (event['detail-type']) {
      case 'SageMaker Endpoint State Change': {
        const reason = typeof detail.FailureReason === 'string' ? ` (${detail.FailureReason})` : '';
        this.write(
          `  endpoint ${String(detail.EndpointName)}: ${String(detail.EndpointStatus)} on ${String(detail.EndpointConfigName)}${reason}`,
        );
        return;
      }
      case 'SageMaker Endpoint Deployment State Change': {
        const pending = (detail.PendingDeploymentSummary ?? {}) as {
          EndpointConfigName?: string;
          ProductionVariants?: {
            CurrentWeight?: number;
            DesiredWeight?: number;
            VariantStatus?: { Status?: string; StatusMessage?: string }[];
          }[];
        };
        const variants = pending.ProductionVariants ?? [];
        const current = variants.reduce((sum, v) => sum + (v.CurrentWeight ?? 0), 0);
        const desired = variants.reduce((sum, v) => sum + (v.DesiredWeight ?? 0), 0);
        const share = desired > 0 ? Math.round((100 * current) / desired) : 0;
        const status = variants[0]?.VariantStatus?.[0];
        this.write(
          `  blue/green ${String(pending.EndpointConfigName)}: ${status?.Status ?? '?'}, ${share}% of traffic` +
            (status?.StatusMessage ? ` — ${status.StatusMessage}` : ''),
        );
        return;
      }
      case 'CloudWatch Alarm State Change': {
        const state = (detail.state ?? {}) as { value?: string; reason?: string };
        const previous = (detail.previousState ?? {}) as { value?: string };
        // Alarms start OK on an idle endpoint; only ALARM and the way back out of it are news.
        if (state.value !== 'ALARM' && previous.value !== 'ALARM') return;
        this.write(
          `  alarm ${String(detail.alarmName)}: ${previous.value ?? '?'} → ${state.value ?? '?'} (${state.reason ?? ''})`,
        );
        return;
      }
    }
  }

  /**
   * One line per state: ✓ when it exits, ✖ once when it fails (a caught failure's StateExited that follows
   * is not printed as a success), a note when a Retry runs it again.
   */
  executionEvent(executionId: string, event: EventLog): void {
    if (
      event.type !== 'StateEntered' &&
      event.type !== 'StateExited' &&
      event.type !== 'StateFailed' &&
      event.type !== 'StateRetried'
    )
      return;
    const { name } = event.state;
    const key = `${executionId}/${name}`;
    const label = `  ${name.padEnd(30, '.')}`;
    const elapsed = () => seconds(event.timestamp - (this.entered.get(key) ?? event.timestamp)).padStart(8);
    switch (event.type) {
      case 'StateEntered':
        this.entered.set(key, event.timestamp);
        this.failed.delete(key);
        if (name === 'TrainModel') this.write(`${label} started`);
        return;
      case 'StateFailed':
        this.failed.add(key);
        this.write(`${label} ${elapsed()} ✖ ${event.Error}`);
        return;
      case 'StateRetried':
        // The retry runs the same state again: its outcome gets its own line.
        this.failed.delete(key);
        this.entered.set(key, event.timestamp);
        this.write(dim(`${label} retry ${event.retry.attempt}`));
        return;
      case 'StateExited':
        if (this.failed.delete(key)) return;
        this.write(`${label} ${elapsed()} ✓`);
    }
  }

  executionFinished(executionId: string, result: ExecutionResult): void {
    this.lastResults.set(workflowKind(this.machines.get(executionId) ?? ''), { id: executionId, result });
    const outcome = result.status === 'SUCCEEDED' ? '✔ succeeded' : `✖ failed: ${result.error}`;
    this.write(`  execution ${outcome} (${result.stateTransitions} state transitions)`);
  }

  trainingLog(jobName: string, line: string): void {
    const round = /^\[(\d+)\]\s+(.*)$/.exec(line);
    if (!round) {
      this.write(dim(`    ${jobName} | ${line}`));
      return;
    }
    // Every 10th round keeps long trainings readable; the final metrics come with the summary.
    if (Number(round[1]) % 10 === 0)
      this.write(`    round ${round[1]?.padStart(4)}  ${(round[2] ?? '').replace(/\t/g, '  ')}`);
  }

  error(message: string): void {
    this.write(`✖ ${message}`);
  }

  /**
   * A message on the stack's topic, as its subscribers would read it: the subject, the text indented, and
   * where it would go ("would email …"). An alarm's notification (CloudWatch's JSON) shows its description;
   * an alarm's first OK (from INSUFFICIENT_DATA, as every new alarm does) is not news and is not printed.
   */
  notification(message: SnsMessage): void {
    const alarm = alarmNotification(message.Message);
    if (alarm && alarm.NewStateValue === 'OK' && alarm.OldStateValue !== 'ALARM') return;
    const to = message.deliveries.length > 0 ? message.deliveries.join(', ') : 'no subscription';
    this.write(`✉ ${message.Subject ?? '(no subject)'} → ${to}`);
    const text = alarm
      ? [alarm.AlarmDescription ?? '', `Reason: ${alarm.NewStateReason ?? ''}`]
          .join('\n')
          .replace(/ (What to do:|Runbook:) /g, '\n$1 ')
      : message.Message;
    for (const line of text.split('\n')) this.write(line === '' ? '' : `    ${line}`);
  }

  /**
   * The outcome of the last run, and how to go on; 0 when the model has a version from these data (registered
   * now, or earlier by the run this one duplicates) and the deployment that followed, if any, was promoted.
   * `live`: the runtime stays up (npm start) rather than exiting (demo), which decides what the hints may
   * promise; `predictFile`: rows to suggest for `mlops predict`.
   */
  async summary(app: LocalApp, model: string, live = true, predictFile?: string): Promise<number> {
    const result = this.lastResults.get('training')?.result;
    if (!result) {
      this.write(`✖ No run started for ${model} (was the upload routed? check the rules in the template)`);
      return 1;
    }
    const output = (result.output ?? {}) as TrainingOutput;
    if (result.status !== 'SUCCEEDED') {
      this.write(`✖ The run failed: ${result.error}`);
      this.write(`  ${result.cause ?? ''}`);
      return 1;
    }
    const { artifactsBucket, dataBucket } = app.resources;
    const mlops = this.commands.mlops;
    const artifacts = (runId: string) => {
      this.write(`  artifacts  ${s3Uri(artifactsBucket, runPrefix(runId))}`);
      const command = `${mlops} artifacts ${runId} [${ARTIFACT_NAMES.join('|')}]`;
      if (live) this.write(`             ${command}`);
      else this.remember(command);
    };
    const duplicateOf = output.plan?.duplicateOf;
    if (duplicateOf) {
      this.write('');
      this.write(
        `✔ ${model}: these data were already trained as v${duplicateOf.version} by run ${duplicateOf.runId}; ` +
          'not trained again.',
      );
      if (output.run) this.write(`  run        ${output.run.runId} (recorded as a duplicate)`);
      artifacts(duplicateOf.runId);
    } else if (!output.registered || !output.evaluation || !output.run) {
      this.write('✔ Nothing to do: this object version was already trained on.');
    } else {
      const { run, evaluation, registered } = output;
      this.write('');
      this.write(`✔ ${model} v${registered.version} registered: ${registered.status}`);
      this.write(`  run        ${run.runId}`);
      this.write(`  metric     ${evaluation.metric} = ${evaluation.value.toFixed(5)}`);
      for (const reason of evaluation.reasons) this.write(`  why        ${reason}`);
      artifacts(run.runId);
    }
    const deployed = await this.deploymentSummary(app, model, live, predictFile);
    if (!live) return deployed;
    this.write('');
    this.write(`  Your own data: a CSV with a header row, as model "my-model" (docs/cli.md):`);
    this.write(`    ${mlops} init my-data.csv --model my-model --target <column>`);
    this.write(`    ${mlops} upload my-data.csv --model my-model --wait`);
    this.write(`    ${mlops} runs list`);
    this.write(`  (\`npm link\` once makes it \`mlops …\` from any folder; any S3 client may upload to`);
    this.write(`  ${s3Uri(dataBucket, datasetsPrefix('my-model'))} too)`);
    return 0;
  }

  /**
   * The last deployment's outcome from the registry (what `mlops deployments show` reads), with the endpoint
   * and a prediction to try when it serves. 0 when it was promoted, or when none ran (deployment is manual).
   */
  private async deploymentSummary(
    app: LocalApp,
    model: string,
    live: boolean,
    predictFile?: string,
  ): Promise<number> {
    const last = this.lastResults.get('deployment');
    if (!last) return this.servingSummary(app, model, live, predictFile);
    const deploymentId = last.id.split(':').pop() ?? '';
    const deployment: Deployment | undefined = await app.registry.getDeployment(deploymentId);
    this.write('');
    if (!deployment) {
      this.write(
        `✖ Deployment ${deploymentId} left no record: ${last.result.error ?? ''} ${last.result.cause ?? ''}`,
      );
      return 1;
    }
    const endpoint = deployment.endpointName ?? '(no endpoint)';
    const mlops = this.commands.mlops;
    const details = `${mlops} deployments show ${deploymentId}`;
    if (deployment.status === 'Promoted') {
      // The demo's endpoint stopped with it: what it did, not what it does.
      const serves = live ? 'serves it' : 'served it while the demo ran';
      this.write(`✔ ${model} v${deployment.version} deployed: endpoint ${endpoint} ${serves}`);
      this.write(`  config     ${deployment.endpointConfigName ?? ''}`);
      this.write(`  stages     ${deployment.stages.map((stage) => stage.name).join(' → ')}`);
      this.hint(live, 'predict', `${mlops} predict ${model} ${predictFile ?? '<rows.csv>'}`);
      this.hint(live, 'details', details);
      return 0;
    }
    this.write(`✖ ${model} v${deployment.version} not deployed: ${deployment.status}`);
    for (const reason of deployment.reasons) this.write(`  why        ${reason}`);
    this.hint(live, 'details', details);
    return 1;
  }

  /** A command to try: now (the runtime stays up), or in {@link stopped}'s list (the demo has exited). */
  private hint(live: boolean, label: string, command: string): void {
    if (live) this.write(`  ${label.padEnd(10)} ${command}`);
    else this.remember(command);
  }

  private remember(command: string): void {
    if (!this.later.includes(command)) this.later.push(command);
  }

  private resetCommand(): string {
    return this.commands.start === 'npm start' ? 'npm start -- --reset' : `${this.commands.start} --reset`;
  }

  /** No deployment ran now: what serves from before (a restart), if anything, and how to call it. */
  private async servingSummary(
    app: LocalApp,
    model: string,
    live: boolean,
    predictFile?: string,
  ): Promise<number> {
    const alias = await app.registry.getAlias(model, 'production');
    if (!alias) return 0;
    const served = (await app.registry.getVersion(model, alias.version))?.deployment;
    if (!served) return 0;
    this.write('');
    const serves = live
      ? `serves on endpoint ${served.endpointName} (deployed before)`
      : `served on endpoint ${served.endpointName} (deployed before) while the demo ran`;
    this.write(`✔ ${model} v${alias.version} ${serves}`);
    this.hint(live, 'predict', `${this.commands.mlops} predict ${model} ${predictFile ?? '<rows.csv>'}`);
    return 0;
  }

  ready(): void {
    this.write('');
    this.write('Local runtime is up. Press Ctrl-C to stop it.');
  }

  /**
   * The last lines of `npm run demo`, printed once everything it started has stopped: where the state is, and
   * the commands of the summary, which work again while `npm start` serves that state.
   */
  stopped(stateDir: string, outcome: number): void {
    this.write('');
    this.write(`Demo ${outcome === 0 ? 'done' : 'failed'}; the local runtime it started has stopped.`);
    this.write(`  State (registry, objects, models) is kept in ${stateDir}.`);
    this.write(`  \`${this.commands.start}\` serves it again, until Ctrl-C; while that runs:`);
    for (const command of [`${this.commands.mlops} runs list`, ...this.later]) this.write(`    ${command}`);
  }
}

/** CloudWatch's alarm notification (the JSON it publishes to SNS), or undefined for any other message. */
function alarmNotification(
  text: string,
):
  | { NewStateValue?: string; OldStateValue?: string; AlarmDescription?: string; NewStateReason?: string }
  | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    return typeof parsed.AlarmName === 'string' ? (parsed as never) : undefined;
  } catch {
    return undefined;
  }
}
