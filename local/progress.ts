/** What `npm start` prints: each step as it happens, states with durations, training metrics, a summary. */
import type { EvaluationDecision, RunContext } from '../lambdas/shared/pipeline';
import type { LocalApp, LocalAppObserver } from './app';
import type { EventLog, ExecutionResult } from './stepfunctions/executor';

const dim = (text: string) => (process.stdout.isTTY ? `\x1b[2m${text}\x1b[22m` : text);
const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

/** Prints progress for people; every line goes to stdout as it happens. */
export class ProgressPrinter implements LocalAppObserver {
  private readonly entered = new Map<string, number>();
  private lastResult: ExecutionResult | undefined;

  constructor(private readonly write: (line: string) => void = (line) => console.log(line)) {}

  step<T>(title: string, run: () => T): T {
    const started = Date.now();
    this.write(`▶ ${title} …`);
    const result = run();
    this.write(`  done in ${seconds(Date.now() - started)}`);
    return result;
  }

  async stepAsync<T>(title: string, run: () => Promise<T>): Promise<T> {
    const started = Date.now();
    this.write(`▶ ${title} …`);
    const result = await run();
    this.write(`  ready in ${seconds(Date.now() - started)}`);
    return result;
  }

  info(message: string): void {
    this.write(`▶ ${message}`);
  }

  resources(resources: Record<string, string>, stateDir: string): void {
    for (const [name, value] of Object.entries(resources)) this.write(dim(`  ${name.padEnd(22)} ${value}`));
    this.write(dim(`  state kept in          ${stateDir} (npm start -- --reset to start over)`));
  }

  executionStarted(execution: { id: string; stateMachine: string }): void {
    this.write(`▶ Execution of ${execution.stateMachine} started`);
  }

  executionEvent(executionId: string, event: EventLog): void {
    if (event.type !== 'StateEntered' && event.type !== 'StateExited' && event.type !== 'StateFailed') return;
    const { name } = event.state;
    const key = `${executionId}/${name}`;
    if (event.type === 'StateEntered') {
      this.entered.set(key, event.timestamp);
      if (name === 'TrainModel') this.write(`  ${name.padEnd(24, '.')} started`);
      return;
    }
    const started = this.entered.get(key) ?? event.timestamp;
    const mark = event.type === 'StateFailed' ? '✖' : '✓';
    this.write(`  ${name.padEnd(24, '.')} ${seconds(event.timestamp - started).padStart(8)} ${mark}`);
  }

  executionFinished(_executionId: string, result: ExecutionResult): void {
    this.lastResult = result;
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

  /** The outcome of the last run, and how to go on; 0 when a version was registered. */
  async summary(app: LocalApp, model: string): Promise<number> {
    const result = this.lastResult;
    if (!result) {
      this.write(`✖ No run started for ${model} (was the upload routed? check the rules in the template)`);
      return 1;
    }
    const output = (result.output ?? {}) as {
      run?: RunContext;
      evaluation?: EvaluationDecision;
      registered?: { version: number; status: string };
    };
    if (result.status !== 'SUCCEEDED') {
      this.write(`✖ The run failed: ${result.error}`);
      this.write(`  ${result.cause ?? ''}`);
      return 1;
    }
    if (!output.registered || !output.evaluation || !output.run) {
      this.write('✔ Nothing to do: this object version was already trained on.');
      return 0;
    }
    const { run, evaluation, registered } = output;
    const { artifactsBucket, dataBucket } = app.resources;
    this.write('');
    this.write(`✔ ${model} v${registered.version} registered: ${registered.status}`);
    this.write(`  run        ${run.runId}`);
    this.write(`  metric     ${evaluation.metric} = ${evaluation.value.toFixed(5)}`);
    for (const reason of evaluation.reasons) this.write(`  why        ${reason}`);
    this.write(`  artifacts  s3://${artifactsBucket}/runs/${run.runId}/ (report, splits, baseline, model)`);
    this.write('');
    this.write(
      '  Your own data: any CSV with a header row, uploaded under datasets/<model>/, trains <model>:',
    );
    this.write('    npx mlops upload my-data.csv --model my-model --wait');
    this.write(`  (or put it in s3://${dataBucket}/datasets/my-model/ with any S3 client)`);
    this.write(`    npx mlops runs list   |   npx mlops models show ${model}`);
    return 0;
  }

  ready(): void {
    this.write('');
    this.write('Local runtime is up. Press Ctrl-C to stop it.');
  }
}
