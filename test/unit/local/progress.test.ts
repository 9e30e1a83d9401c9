/** What `npm start` and `npm run demo` print: state lines, the summary, and the demo's last lines. */
import { describe, expect, it } from 'vitest';
import { ARTIFACT_NAMES } from '../../../cli/artifacts';
import type { LocalApp } from '../../../local/app';
import { commandHints, ProgressPrinter } from '../../../local/progress';
import type { EventLog, ExecutionResult } from '../../../local/stepfunctions/executor';

function printer(): { print: ProgressPrinter; lines: string[] } {
  const lines: string[] = [];
  return { print: new ProgressPrinter((line) => lines.push(line)), lines };
}

const state = (name: string) => ({ name, type: 'Task', input: {} });
const at = (type: string, name: string, timestamp: number, extra: object = {}) =>
  ({ type, timestamp, state: state(name), ...extra }) as unknown as EventLog;

const APP = {
  resources: {
    dataBucket: 'data-bucket',
    artifactsBucket: 'artifacts-bucket',
    registryTable: 'registry',
    trainingStateMachine: 'arn:aws:states:us-east-1:000000000000:stateMachine:Training',
  },
  // No production version: nothing served before.
  registry: { getAlias: async () => undefined },
} as unknown as LocalApp;

function succeeded(output: unknown): ExecutionResult {
  return { status: 'SUCCEEDED', output, events: [], stateTransitions: 5 };
}

/** A training execution that started and ended with `output`. */
function trained(print: ProgressPrinter, id: string, output: unknown): void {
  print.executionStarted({ id, stateMachine: 'TrainingStateMachineEAE34FB3' });
  print.executionFinished(id, succeeded(output));
}

const REGISTERED = {
  run: { runId: 'penguins-1', model: 'penguins', duplicate: false },
  evaluation: { metric: 'validation:merror', value: 0.02, reasons: ['r'] },
  registered: { version: 1, status: 'Approved' },
};

/** An app whose registry knows one deployment. */
function appWith(deployment: object): LocalApp {
  return { ...APP, registry: { getDeployment: async () => deployment } } as unknown as LocalApp;
}

const DEPLOYMENT_ARN = 'arn:aws:states:us-east-1:000000000000:execution:Deployment-deploy:penguins-v1-abc';

describe('ProgressPrinter state lines', () => {
  it('prints a caught failure once, with ✖ and the error, and no ✓ for the same state', () => {
    // Prepare
    const { print, lines } = printer();

    // Act
    print.executionEvent('e1', at('StateEntered', 'ValidateDataset', 1000));
    print.executionEvent('e1', at('StateFailed', 'ValidateDataset', 1500, { Error: 'DatasetRejected' }));
    print.executionEvent('e1', at('StateCaught', 'ValidateDataset', 1500));
    print.executionEvent('e1', at('StateExited', 'ValidateDataset', 1500));

    // Assess
    const shown = lines.filter((line) => line.includes('ValidateDataset'));
    expect(shown).toHaveLength(1);
    expect(shown[0]).toMatch(/ValidateDataset\.+\s+0\.50 s ✖ DatasetRejected$/);
  });

  it('prints a retried state as failed, retried, then ✓', () => {
    // Prepare
    const { print, lines } = printer();
    const retry = { retry: { retrier: {}, attempt: 1 } };

    // Act
    print.executionEvent('e1', at('StateEntered', 'StartRun', 0));
    print.executionEvent(
      'e1',
      at('StateFailed', 'StartRun', 100, { Error: 'Lambda.TooManyRequestsException' }),
    );
    print.executionEvent('e1', at('StateRetried', 'StartRun', 1100, retry));
    print.executionEvent('e1', at('StateExited', 'StartRun', 1300));

    // Assess
    expect(lines).toEqual([
      expect.stringMatching(/StartRun\.+\s+0\.10 s ✖ Lambda\.TooManyRequestsException$/),
      expect.stringMatching(/StartRun\.+ retry 1$/),
      expect.stringMatching(/StartRun\.+\s+0\.20 s ✓$/),
    ]);
  });
});

describe('ProgressPrinter summary', () => {
  it('says a re-uploaded dataset was already trained, by which run and as which version, and counts as success', async () => {
    // Prepare
    const { print, lines } = printer();
    trained(print, 'e1', {
      run: { runId: 'penguins-2', model: 'penguins', duplicate: false },
      plan: { duplicateOf: { runId: 'penguins-1', version: 1 } },
    });

    // Act
    const outcome = await print.summary(APP, 'penguins');

    // Assess
    expect(outcome).toBe(0);
    expect(lines).toContain(
      '✔ penguins: these data were already trained as v1 by run penguins-1; not trained again.',
    );
    expect(lines).toContain('  artifacts  s3://artifacts-bucket/runs/penguins-1/');
    expect(lines.join('\n')).not.toMatch(/registered/);
  });

  it('names the artifacts by the S3 layout, the command that prints them and its artifact names', async () => {
    // Prepare
    const { print, lines } = printer();
    trained(print, 'e1', REGISTERED);

    // Act
    await print.summary(APP, 'penguins');

    // Assess
    expect(lines).toEqual([
      expect.stringMatching(/^▶ Execution of Training/),
      expect.stringMatching(/execution ✔ succeeded/),
      '',
      '✔ penguins v1 registered: Approved',
      '  run        penguins-1',
      '  metric     validation:merror = 0.02000',
      '  why        r',
      '  artifacts  s3://artifacts-bucket/runs/penguins-1/',
      '             npm run -s mlops -- artifacts penguins-1 [report|lineage|baseline|encoding|contract|model]',
      '',
      '  Your own data: a CSV with a header row, as model "my-model" (docs/cli.md):',
      '    npm run -s mlops -- init my-data.csv --model my-model --target <column>',
      '    npm run -s mlops -- upload my-data.csv --model my-model --wait',
      '    npm run -s mlops -- runs list',
      '  (`npm link` once makes it `mlops …` from any folder; any S3 client may upload to',
      '  s3://data-bucket/datasets/my-model/ too)',
    ]);
  });

  it('takes every artifact name the command does', async () => {
    // Prepare
    const { print, lines } = printer();
    trained(print, 'e1', REGISTERED);

    // Act
    await print.summary(APP, 'penguins');

    // Assess
    const names = /artifacts penguins-1 \[(.*)\]$/.exec(
      lines
        .join('\n')
        .split('\n')
        .find((l) => l.includes('-- artifacts')) ?? '',
    );
    expect(names?.[1]?.split('|')).toEqual([...ARTIFACT_NAMES]);
  });

  it('carries a custom --state-dir into every command it suggests', async () => {
    // Prepare
    const lines: string[] = [];
    const print = new ProgressPrinter((line) => lines.push(line), commandHints('tmp/state'));
    trained(print, 'e1', REGISTERED);

    // Act
    print.resources({}, '/work/tmp/state');
    await print.summary(APP, 'penguins');

    // Assess
    const commands = lines.filter((line) => line.includes('npm '));
    expect(commands).toEqual([
      '  state kept in          /work/tmp/state (npm start -- --state-dir tmp/state --reset to start over)',
      '             npm run -s mlops -- --state-dir tmp/state artifacts penguins-1 [report|lineage|baseline|encoding|contract|model]',
      '    npm run -s mlops -- --state-dir tmp/state init my-data.csv --model my-model --target <column>',
      '    npm run -s mlops -- --state-dir tmp/state upload my-data.csv --model my-model --wait',
      '    npm run -s mlops -- --state-dir tmp/state runs list',
      '  (`npm link` once makes it `mlops …` from any folder; any S3 client may upload to',
    ]);
  });
});

describe('ProgressPrinter runs a previous runtime left Running', () => {
  it('prints one line per closed run, with the retry command for its state dir', () => {
    // Prepare
    const lines: string[] = [];
    const print = new ProgressPrinter((line) => lines.push(line), commandHints('tmp/state'));

    // Act
    print.interruptedRun({ runId: 'penguins-1', step: 'TrainModel' });

    // Assess
    expect(lines).toEqual([
      '✖ Run penguins-1 was Running in TrainModel when the last local runtime stopped: recorded Failed ' +
        '(LocalRuntimeStopped); `npm run -s mlops -- --state-dir tmp/state runs retry penguins-1` runs it again',
    ]);
  });
});

describe('ProgressPrinter deployment summary', () => {
  it('names the endpoint that serves a promoted version and a mlops predict line to copy', async () => {
    // Prepare
    const { print, lines } = printer();
    trained(print, 'e1', REGISTERED);
    print.executionStarted({ id: DEPLOYMENT_ARN, stateMachine: 'DeploymentStateMachineD161A8DF' });
    print.executionFinished(DEPLOYMENT_ARN, succeeded({}));
    const app = appWith({
      deploymentId: 'penguins-v1-abc',
      version: 1,
      status: 'Promoted',
      endpointName: 'serverlessmlops-penguins',
      endpointConfigName: 'serverlessmlops-penguins-v1-a1',
      stages: [{ name: 'Began' }, { name: 'Promoted' }],
      reasons: [],
    });

    // Act
    const outcome = await print.summary(app, 'penguins', true, '.mlops-local/penguins-rows.csv');

    // Assess
    expect(outcome).toBe(0);
    expect(lines).toContain('✔ penguins v1 deployed: endpoint serverlessmlops-penguins serves it');
    expect(lines).toContain(
      '  predict    npm run -s mlops -- predict penguins .mlops-local/penguins-rows.csv',
    );
    expect(lines).toContain('  details    npm run -s mlops -- deployments show penguins-v1-abc');
  });

  it('names what serves from before when no deployment ran (a restart)', async () => {
    // Prepare
    const { print, lines } = printer();
    trained(print, 'e1', {
      run: { runId: 'penguins-2' },
      plan: { duplicateOf: { runId: 'penguins-1', version: 1 } },
    });
    const app = {
      ...APP,
      registry: {
        getAlias: async () => ({ version: 1 }),
        getVersion: async () => ({ deployment: { endpointName: 'serverlessmlops-penguins' } }),
      },
    } as unknown as LocalApp;

    // Act
    const outcome = await print.summary(app, 'penguins', true, 'rows.csv');

    // Assess
    expect(outcome).toBe(0);
    expect(lines).toContain('✔ penguins v1 serves on endpoint serverlessmlops-penguins (deployed before)');
    expect(lines).toContain('  predict    npm run -s mlops -- predict penguins rows.csv');
  });

  it('says why a deployment was not promoted, and fails the demo', async () => {
    // Prepare
    const { print, lines } = printer();
    trained(print, 'e1', REGISTERED);
    print.executionStarted({ id: DEPLOYMENT_ARN, stateMachine: 'DeploymentStateMachineD161A8DF' });
    print.executionFinished(DEPLOYMENT_ARN, {
      status: 'FAILED',
      error: 'DeploymentNotPromoted',
      events: [],
      stateTransitions: 17,
    });
    const app = appWith({
      deploymentId: 'penguins-v1-abc',
      version: 2,
      status: 'RolledBack',
      stages: [],
      reasons: ['alarm serverlessmlops-penguins-invocation-5xx-errors'],
    });

    // Act
    const outcome = await print.summary(app, 'penguins', false);

    // Assess
    expect(outcome).toBe(1);
    expect(lines).toContain('✖ penguins v2 not deployed: RolledBack');
    expect(lines).toContain('  why        alarm serverlessmlops-penguins-invocation-5xx-errors');
  });
});

describe('ProgressPrinter service events', () => {
  it('prints endpoint status, blue/green stages with their traffic share, and alarms into or out of ALARM', () => {
    // Prepare
    const { print, lines } = printer();
    const stage = (status: string, current: number) => ({
      'detail-type': 'SageMaker Endpoint Deployment State Change',
      detail: {
        PendingDeploymentSummary: {
          EndpointConfigName: 'c-v2',
          ProductionVariants: [
            {
              CurrentWeight: current,
              DesiredWeight: 1,
              VariantStatus: [{ Status: status, StatusMessage: 'm' }],
            },
          ],
        },
      },
    });
    const alarm = (previous: string, value: string) => ({
      'detail-type': 'CloudWatch Alarm State Change',
      detail: { alarmName: 'a-5xx', state: { value, reason: 'why' }, previousState: { value: previous } },
    });

    // Act
    print.serviceEvent({
      'detail-type': 'SageMaker Endpoint State Change',
      detail: { EndpointName: 'e', EndpointStatus: 'UPDATING', EndpointConfigName: 'c-v2' },
    });
    print.serviceEvent(stage('ActivatingTraffic', 0.5));
    print.serviceEvent(alarm('INSUFFICIENT_DATA', 'OK'));
    print.serviceEvent(alarm('OK', 'ALARM'));

    // Assess
    expect(lines).toEqual([
      '  endpoint e: UPDATING on c-v2',
      '  blue/green c-v2: ActivatingTraffic, 50% of traffic — m',
      '  alarm a-5xx: OK → ALARM (why)',
    ]);
  });
});

describe('the demo', () => {
  const PROMOTED = {
    deploymentId: 'penguins-v1-abc',
    version: 1,
    status: 'Promoted',
    endpointName: 'serverlessmlops-penguins',
    endpointConfigName: 'serverlessmlops-penguins-v1-a1',
    stages: [{ name: 'Began' }, { name: 'Promoted' }],
    reasons: [],
  };

  it('ends with lines that hold for a process that has exited', async () => {
    // Prepare
    const { print, lines } = printer();
    trained(print, 'e1', REGISTERED);
    print.executionStarted({ id: DEPLOYMENT_ARN, stateMachine: 'DeploymentStateMachineD161A8DF' });
    print.executionFinished(DEPLOYMENT_ARN, succeeded({}));

    // Act
    const outcome = await print.summary(
      appWith(PROMOTED),
      'penguins',
      false,
      '.mlops-local/penguins-rows.csv',
    );
    print.stopped('/work/.mlops-local', outcome);

    // Assess
    expect(outcome).toBe(0);
    const text = lines.join('\n');
    expect(text).not.toMatch(
      /still running|another terminal|is up|Ctrl-C to stop|while it runs|with any S3 client|endpoint \S+ serves/i,
    );
    expect(lines.slice(lines.indexOf('✔ penguins v1 registered: Approved'))).toEqual([
      '✔ penguins v1 registered: Approved',
      '  run        penguins-1',
      '  metric     validation:merror = 0.02000',
      '  why        r',
      '  artifacts  s3://artifacts-bucket/runs/penguins-1/',
      '',
      '✔ penguins v1 deployed: endpoint serverlessmlops-penguins served it while the demo ran',
      '  config     serverlessmlops-penguins-v1-a1',
      '  stages     Began → Promoted',
      '',
      'Demo done; the local runtime it started has stopped.',
      '  State (registry, objects, models) is kept in /work/.mlops-local.',
      '  `npm start` serves it again, until Ctrl-C; while that runs:',
      '    npm run -s mlops -- runs list',
      '    npm run -s mlops -- artifacts penguins-1 [report|lineage|baseline|encoding|contract|model]',
      '    npm run -s mlops -- predict penguins .mlops-local/penguins-rows.csv',
      '    npm run -s mlops -- deployments show penguins-v1-abc',
    ]);
  });

  it('names a custom --state-dir in its last lines, for npm start and for the CLI', async () => {
    // Prepare
    const lines: string[] = [];
    const print = new ProgressPrinter((line) => lines.push(line), commandHints('/tmp/demo-state'));
    trained(print, 'e1', REGISTERED);
    print.executionStarted({ id: DEPLOYMENT_ARN, stateMachine: 'DeploymentStateMachineD161A8DF' });
    print.executionFinished(DEPLOYMENT_ARN, {
      status: 'FAILED',
      error: 'DeploymentNotPromoted',
      events: [],
      stateTransitions: 17,
    });

    // Act
    const outcome = await print.summary(
      appWith({ ...PROMOTED, status: 'RolledBack', reasons: ['alarm a-5xx'] }),
      'penguins',
      false,
    );
    print.stopped('/tmp/demo-state', outcome);

    // Assess
    expect(outcome).toBe(1);
    expect(lines.slice(lines.indexOf('✖ penguins v1 not deployed: RolledBack'))).toEqual([
      '✖ penguins v1 not deployed: RolledBack',
      '  why        alarm a-5xx',
      '',
      'Demo failed; the local runtime it started has stopped.',
      '  State (registry, objects, models) is kept in /tmp/demo-state.',
      '  `npm start -- --state-dir /tmp/demo-state` serves it again, until Ctrl-C; while that runs:',
      '    npm run -s mlops -- --state-dir /tmp/demo-state runs list',
      '    npm run -s mlops -- --state-dir /tmp/demo-state artifacts penguins-1 [report|lineage|baseline|encoding|contract|model]',
      '    npm run -s mlops -- --state-dir /tmp/demo-state deployments show penguins-v1-abc',
    ]);
  });

  it('says a version deployed before served while the demo ran', async () => {
    // Prepare
    const { print, lines } = printer();
    trained(print, 'e1', {
      run: { runId: 'penguins-2' },
      plan: { duplicateOf: { runId: 'penguins-1', version: 1 } },
    });
    const app = {
      ...APP,
      registry: {
        getAlias: async () => ({ version: 1 }),
        getVersion: async () => ({ deployment: { endpointName: 'serverlessmlops-penguins' } }),
      },
    } as unknown as LocalApp;

    // Act
    await print.summary(app, 'penguins', false, 'rows.csv');
    print.stopped('/work/.mlops-local', 0);

    // Assess
    expect(lines).toContain(
      '✔ penguins v1 served on endpoint serverlessmlops-penguins (deployed before) while the demo ran',
    );
    expect(lines.slice(-3)).toEqual([
      '    npm run -s mlops -- runs list',
      '    npm run -s mlops -- artifacts penguins-1 [report|lineage|baseline|encoding|contract|model]',
      '    npm run -s mlops -- predict penguins rows.csv',
    ]);
  });
});
