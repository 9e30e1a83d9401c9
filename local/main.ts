/**
 * `npm start` / `npm run demo`: synthesize the stack, boot it on this machine, run the sample dataset through
 * the training pipeline, and (start) stay up for exploration until Ctrl-C, or (demo) exit with the outcome.
 */
import { readFileSync, rmSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { datasetKey, s3Uri } from '../lambdas/shared/s3-layout';
import { resolveConfig } from '../lib/config';
import { LocalApp } from './app';
import { localS3ClientConfig } from './aws/s3-client';
import {
  DEFAULT_STATE_DIR,
  type RuntimeDiscovery,
  readDiscovery,
  removeDiscovery,
  runtimeDiscovery,
  writeDiscovery,
} from './discovery';
import { ProgressPrinter } from './progress';
import { handleStopSignals, type Shutdown } from './shutdown';
import { LOCAL_ENV, synthesize } from './synth';
import { readTemplate } from './template/template';

// The SDK's notice about its future Node requirement would interrupt the progress display; Node 20 is supported.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const ROOT = resolve(__dirname, '..');
const SAMPLE = { file: join(ROOT, 'samples', 'penguins', 'penguins.csv'), model: 'penguins' };

const USAGE = `Usage: npm start [-- options]      (or: npm run demo)

  --demo            run the sample dataset once and exit (0 when the model is registered)
  --reset           delete the saved state (${DEFAULT_STATE_DIR}/) first
  --no-sample       do not upload the sample dataset
  --time-scale N    run scheduled rules N times faster than real time (default 1)
  --state-dir DIR   where state is kept (default ${DEFAULT_STATE_DIR})
  --help`;

async function main(shutdown: Shutdown, stopRuntime: StopHook): Promise<number> {
  const { values } = parseArgs({
    options: {
      demo: { type: 'boolean', default: false },
      reset: { type: 'boolean', default: false },
      'no-sample': { type: 'boolean', default: false },
      'time-scale': { type: 'string', default: '1' },
      'state-dir': { type: 'string', default: DEFAULT_STATE_DIR },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const stateDir = resolve(ROOT, values['state-dir']);
  const timeScale = Number(values['time-scale']);
  if (!(timeScale > 0)) throw new Error(`--time-scale: "${values['time-scale']}" is not a positive number`);
  const running = runningDiscovery(stateDir);
  if (running) {
    throw new Error(
      `A local runtime is already running from ${stateDir} (pid ${running.pid}); stop it first (Ctrl-C in its terminal).`,
    );
  }
  if (values.reset) rmSync(stateDir, { recursive: true, force: true });
  const print = new ProgressPrinter();

  const trainers = localTrainers();
  const templateFile = await print.stepAsync(
    'Synthesizing the stack (cdk synth)',
    () => synthesize(join(stateDir, 'cdk.out'), { signal: shutdown.signal }),
    'done',
  );
  if (shutdown.stopping) return pending();
  const starting = LocalApp.start({
    template: readTemplate(templateFile),
    stateDir,
    observer: print,
    timeScale,
    trainers,
    // Verdicts (WARN) are in the progress display and its summary already; errors still show.
    environment: { POWERTOOLS_LOG_LEVEL: 'ERROR' },
  });
  // From here on a signal stops the app, once it has started.
  stopRuntime.set(async () => {
    removeDiscovery(stateDir);
    const app = await starting.catch(() => undefined);
    await app?.stop();
  });
  const app = await print.stepAsync(
    'Starting local AWS (DynamoDB Local, S3, EventBridge, SageMaker)',
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

  try {
    let outcome = 0;
    if (!values['no-sample']) {
      const key = datasetKey(SAMPLE.model, basename(SAMPLE.file));
      print.info(
        `Uploading the sample dataset (Palmer penguins, CC0) to ${s3Uri(resources.dataBucket, key)}`,
      );
      await upload(app, resources.dataBucket, key, SAMPLE.file);
      await waitForRuns(app);
      if (shutdown.stopping) return pending();
      outcome = await print.summary(app, SAMPLE.model, !values.demo);
    }
    if (values.demo) {
      await stopRuntime.run();
      print.stopped(stateDir, outcome);
      return outcome;
    }
    print.ready();
    return await pending();
  } finally {
    // On a signal the handler stops the app (and ends the process by that signal); this is the same stop.
    if (!shutdown.stopping) await stopRuntime.run();
  }
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

/** `mlops.local.trainers` from cdk.json, validated like the rest of the configuration. */
function localTrainers(): { image: string; command: string[] }[] {
  const cdkJson = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as {
    context?: { mlops?: unknown };
  };
  const config = resolveConfig(cdkJson.context?.mlops ?? {}, { region: LOCAL_ENV.CDK_DEFAULT_REGION });
  return config.local.trainers.map(({ image, command }) => ({
    image,
    command: command.map((part) => (part.startsWith('./') ? join(ROOT, part) : part)),
  }));
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

/** The upload's notification arrives asynchronously; wait for the execution it starts, then for idle. */
async function waitForRuns(app: LocalApp): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!app.busy && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await app.idle();
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
