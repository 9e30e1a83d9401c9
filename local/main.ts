/**
 * `npm start` / `npm run demo`: synthesize the stack, boot it on this machine, run the sample dataset through
 * the training pipeline, and (start) stay up for exploration until Ctrl-C, or (demo) exit with the outcome.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { datasetKey, s3Uri } from '../lambdas/shared/s3-layout';
import { resolveConfig } from '../lib/config';
import { LocalApp } from './app';
import { localS3ClientConfig } from './aws/s3-client';
import { ConsoleFeed, observeBoth } from './console/api/feed';
import { type ConsoleServer, DEFAULT_CONSOLE_PORT, startLocalConsole } from './console/server';
import {
  DEFAULT_STATE_DIR,
  type RuntimeDiscovery,
  readDiscovery,
  removeDiscovery,
  runtimeDiscovery,
  stateDirOption,
  writeDiscovery,
} from './discovery';
import { closeInterruptedRuns } from './interrupted-runs';
import { commandHints, ProgressPrinter } from './progress';
import { type ServerMapping, serverMappings } from './sagemaker/runtime';
import { runDriftScenario } from './scenarios/drift';
import { runRollbackScenario, waitForRuns } from './scenarios/rollback';
import { handleStopSignals, type Shutdown } from './shutdown';
import { LOCAL_ENV, synthesize } from './synth';
import { readTemplate } from './template/template';

// The SDK's notice about its future Node requirement would interrupt the progress display; Node 20 is supported.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const ROOT = resolve(__dirname, '..');
const SAMPLE = {
  file: join(ROOT, 'samples', 'penguins', 'penguins.csv'),
  model: 'penguins',
  target: 'species',
};
/** The scenarios `--scenario` runs (demo only). */
const SCENARIOS = ['rollback', 'drift'] as const;
/** A scenario's canary, bake and alarm periods at this speed take seconds (unless --time-scale says otherwise). */
const SCENARIO_TIME_SCALE = 60;
/** The drift scenario waits for several hourly drift checks: at this speed one comes every 10 s. */
const DRIFT_SCENARIO_TIME_SCALE = 360;

const USAGE = `Usage: npm start [-- options]      (or: npm run demo)

  --demo            run the sample dataset once and exit (0 when the model is registered and,
                    if it deploys, serves)
  --scenario NAME   with --demo: "rollback" deploys v1, then a v2 whose fleet fails under the demo's
                    traffic: canary, alarm, auto-rollback, production alias unchanged (fresh state in
                    <state dir>/scenarios/rollback; time scale ${SCENARIO_TIME_SCALE} unless given);
                    "drift" deploys v1, sends baseline-like then shifted traffic: the scheduled drift
                    check's windows, labels uploaded, the retrain, the champion gate and the blue/green
                    deployment of v2 (<state dir>/scenarios/drift; time scale ${DRIFT_SCENARIO_TIME_SCALE} unless given)
  --reset           delete the saved state (${DEFAULT_STATE_DIR}/) first
  --no-sample       do not upload the sample dataset
  --time-scale N    run schedules, endpoint provisioning, canary and baking waits and alarm
                    periods N times faster than real time (default 1)
  --state-dir DIR   where state is kept (default ${DEFAULT_STATE_DIR})
  --console-port N  the web console's port on 127.0.0.1 (default ${DEFAULT_CONSOLE_PORT}, else a free one)
  --help`;

async function main(shutdown: Shutdown, stopRuntime: StopHook): Promise<number> {
  const { values } = parseArgs({
    options: {
      demo: { type: 'boolean', default: false },
      reset: { type: 'boolean', default: false },
      'no-sample': { type: 'boolean', default: false },
      scenario: { type: 'string' },
      'time-scale': { type: 'string' },
      'state-dir': { type: 'string', default: DEFAULT_STATE_DIR },
      'console-port': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const scenario = values.scenario;
  if (scenario !== undefined && !SCENARIOS.includes(scenario as (typeof SCENARIOS)[number]))
    throw new Error(`--scenario: "${scenario}" is not one of ${SCENARIOS.join(', ')}`);
  if (scenario !== undefined && !values.demo)
    throw new Error('--scenario runs with --demo (npm run demo -- --scenario …)');
  // A scenario starts from scratch in its own folder, so that it tells the same story every time.
  const stateDir =
    scenario === undefined
      ? resolve(ROOT, values['state-dir'])
      : resolve(ROOT, values['state-dir'], 'scenarios', scenario);
  const timeScale = Number(
    values['time-scale'] ??
      (scenario === undefined ? 1 : scenario === 'drift' ? DRIFT_SCENARIO_TIME_SCALE : SCENARIO_TIME_SCALE),
  );
  if (!(timeScale > 0)) throw new Error(`--time-scale: "${values['time-scale']}" is not a positive number`);
  const running = runningDiscovery(stateDir);
  if (running) {
    throw new Error(
      `A local runtime is already running from ${stateDir} (pid ${running.pid}); stop it first (Ctrl-C in its terminal).`,
    );
  }
  if (values.reset || scenario !== undefined) rmSync(stateDir, { recursive: true, force: true });
  // Every command the summaries suggest reaches this state directory (a scenario's too).
  const print = new ProgressPrinter(undefined, commandHints(stateDirOption(stateDir)));
  const consolePort = parseConsolePort(values['console-port']);
  const consoleFeed = new ConsoleFeed();

  const { trainers, servers } = localTrainers();
  const templateFile = await print.stepAsync(
    'Synthesizing the stack (cdk synth)',
    () => synthesize(join(stateDir, 'cdk.out'), { signal: shutdown.signal }),
    'done',
  );
  if (shutdown.stopping) return pending();
  const starting = LocalApp.start({
    template: readTemplate(templateFile),
    stateDir,
    observer: observeBoth(print, consoleFeed.observer),
    timeScale,
    trainers,
    servers,
    // Verdicts (WARN) are in the progress display and its summary already; errors still show.
    environment: { POWERTOOLS_LOG_LEVEL: 'ERROR' },
  });
  // From here on a signal stops the app, once it has started.
  let webConsole: Promise<ConsoleServer | undefined> | undefined;
  stopRuntime.set(async () => {
    removeDiscovery(stateDir);
    await (await webConsole?.catch(() => undefined))?.stop();
    const app = await starting.catch(() => undefined);
    await app?.stop();
  });
  const app = await print.stepAsync(
    'Starting local AWS (DynamoDB Local, S3, EventBridge, Step Functions, SageMaker and its Runtime, CloudWatch, Application Auto Scaling)',
    () => starting,
  );
  if (shutdown.stopping) return pending();
  const resources = app.resources;
  writeDiscovery(
    stateDir,
    runtimeDiscovery({
      pid: process.pid,
      region: LOCAL_ENV.CDK_DEFAULT_REGION,
      endpoints: app.endpoints,
      resources,
    }),
  );
  print.resources(
    { ...resources, scheduledRules: `${app.scheduledRules} (time scale ${timeScale})` },
    stateDir,
  );
  // Before anything starts an execution here: a run still Running was a previous runtime's, and died with it.
  for (const run of await closeInterruptedRuns(app.registry, { mlops: print.commands.mlops }))
    print.interruptedRun(run);
  webConsole = startLocalConsole({
    app,
    feed: consoleFeed,
    stackName: app.runtime.resources.env.stackName,
    port: consolePort,
  });
  const served = await webConsole;
  if (served) printConsole(print, served, consolePort);

  try {
    let outcome = 0;
    if (scenario === 'rollback') {
      outcome = await runRollbackScenario(app, print, {
        sampleFile: SAMPLE.file,
        model: SAMPLE.model,
        target: SAMPLE.target,
      });
    } else if (scenario === 'drift') {
      outcome = await runDriftScenario(app, print, {
        sampleFile: SAMPLE.file,
        model: SAMPLE.model,
        target: SAMPLE.target,
      });
    } else if (!values['no-sample']) {
      const key = datasetKey(SAMPLE.model, basename(SAMPLE.file));
      print.info(
        `Uploading the sample dataset (Palmer penguins, CC0) to ${s3Uri(resources.dataBucket, key)}`,
      );
      await upload(app, resources.dataBucket, key, SAMPLE.file);
      await waitForRuns(app);
      if (shutdown.stopping) return pending();
      const rows = writePredictRows(stateDir, SAMPLE.file, SAMPLE.target, SAMPLE.model);
      const shown = relative(process.cwd(), rows);
      outcome = await print.summary(app, SAMPLE.model, !values.demo, shown.startsWith('..') ? rows : shown);
    }
    if (values.demo) {
      await stopRuntime.run();
      print.stopped(stateDir, outcome);
      return outcome;
    }
    // Again below the sample's summary, where it is seen (the first line scrolled away).
    if (served && !values['no-sample']) printConsole(print, served, consolePort);
    print.ready();
    return await pending();
  } finally {
    // On a signal the handler stops the app (and ends the process by that signal); this is the same stop.
    if (!shutdown.stopping) await stopRuntime.run();
  }
}

/** --console-port: 0 to 65535 (0: any free port). */
function parseConsolePort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--console-port: "${value}" is not a port number (0 to 65535)`);
  return port;
}

function printConsole(print: ProgressPrinter, served: ConsoleServer, asked: number | undefined): void {
  print.console(served.url, served.token, served.portFallback ? (asked ?? DEFAULT_CONSOLE_PORT) : undefined);
}

/** Never settles: the process ends by the signal handler. */
function pending(): Promise<never> {
  return new Promise<never>(() => undefined);
}

/** What a signal stops: set once there is something to stop. */
interface StopHook {
  set(stop: () => Promise<void>): void;
  run(): Promise<void>;
}

function stopHook(): StopHook {
  let stop: (() => Promise<void>) | undefined;
  let running: Promise<void> | undefined;
  return {
    set: (fn) => {
      stop = fn;
    },
    // Once: a signal during the normal end must not stop the app a second time.
    run: () => {
      running ??= stop?.() ?? Promise.resolve();
      return running;
    },
  };
}

/** `mlops.local.trainers` from cdk.json, validated like the rest of the configuration: trainers and servers. */
function localTrainers(): { trainers: { image: string; command: string[] }[]; servers: ServerMapping[] } {
  const cdkJson = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as {
    context?: { mlops?: unknown };
  };
  const config = resolveConfig(cdkJson.context?.mlops ?? {}, { region: LOCAL_ENV.CDK_DEFAULT_REGION });
  return {
    trainers: config.local.trainers.map(({ image, command }) => ({
      image,
      command: command.map((part) => (part.startsWith('./') ? join(ROOT, part) : part)),
    })),
    servers: serverMappings(
      config.local.trainers.map(({ image, serve }) => ({ image, ...(serve ? { serve } : {}) })),
      ROOT,
    ),
  };
}

/**
 * A few rows of the sample without its target column, header included, for the summary's `mlops predict`
 * line: `<stateDir>/<model>-rows.csv`.
 */
function writePredictRows(stateDir: string, sampleFile: string, target: string, model: string): string {
  const [header = '', ...rows] = readFileSync(sampleFile, 'utf8').trimEnd().split('\n');
  const column = header.split(',').indexOf(target);
  const drop = (line: string) =>
    line
      .split(',')
      .filter((_, index) => index !== column)
      .join(',');
  const file = join(stateDir, `${model}-rows.csv`);
  mkdirSync(stateDir, { recursive: true });
  // Rows from across the file: the sample is sorted by species.
  const picked = [0, 1, 2, 3, 4].map((i) => rows[Math.floor((i * rows.length) / 5)] ?? '');
  writeFileSync(file, `${[drop(header), ...picked.map(drop)].join('\n')}\n`);
  return file;
}

/** The runtime already serving this state directory, if any (two would fight over the same files). */
function runningDiscovery(stateDir: string): RuntimeDiscovery | undefined {
  try {
    return readDiscovery(stateDir);
  } catch {
    return undefined;
  }
}

async function upload(app: LocalApp, bucket: string, key: string, file: string): Promise<void> {
  const s3 = new S3Client(localS3ClientConfig(app.runtime.s3.endpoint, app.runtime.resources.env.region));
  try {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: readFileSync(file) }));
  } finally {
    s3.destroy();
  }
}

const stopRuntime = stopHook();
const shutdown = handleStopSignals({ stop: () => stopRuntime.run() });
main(shutdown, stopRuntime).then(
  (code) => {
    shutdown.dispose();
    // Servers and SDK keep-alive sockets are stopped; exit now rather than wait on stray timers.
    process.exit(code);
  },
  (error: unknown) => {
    if (shutdown.stopping) return; // a step that failed because a signal stopped it
    shutdown.dispose();
    console.error(`\n✖ ${error instanceof Error ? error.message : String(error)}`);
    void stopRuntime.run().finally(() => process.exit(1));
  },
);
