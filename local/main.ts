/**
 * `npm start` / `npm run demo`: synthesize the stack, boot it on this machine, run the sample dataset through
 * the training pipeline, and (start) stay up for exploration until Ctrl-C, or (demo) exit with the outcome.
 */
import { readFileSync, rmSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { resolveConfig } from '../lib/config';
import { LocalApp } from './app';
import { localS3ClientConfig } from './aws/s3-client';
import {
  DEFAULT_STATE_DIR,
  type RuntimeDiscovery,
  readDiscovery,
  removeDiscovery,
  writeDiscovery,
} from './discovery';
import { ProgressPrinter } from './progress';
import { LOCAL_CREDENTIALS } from './runtime';
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

async function main(): Promise<number> {
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
  const templateFile = print.step('Synthesizing the stack (cdk synth)', () =>
    synthesize(join(stateDir, 'cdk.out')),
  );
  const app = await print.stepAsync('Starting local AWS (DynamoDB Local, S3, EventBridge, SageMaker)', () =>
    LocalApp.start({
      template: readTemplate(templateFile),
      stateDir,
      observer: print,
      timeScale,
      trainers,
      environment: { POWERTOOLS_LOG_LEVEL: 'WARN' },
    }),
  );
  const resources = app.resources;
  writeDiscovery(stateDir, {
    formatVersion: 1,
    pid: process.pid,
    startedAt: new Date().toISOString(),
    region: LOCAL_ENV.CDK_DEFAULT_REGION,
    credentials: LOCAL_CREDENTIALS,
    endpoints: {
      s3: app.runtime.s3.endpoint,
      dynamodb: app.runtime.dynamodb.endpoint,
      eventbridge: app.runtime.events.endpoint,
      sagemaker: app.sagemaker.endpoint,
    },
    resources,
  });
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      removeDiscovery(stateDir);
      await app.stop();
    })();
    return stopping;
  };
  process.once('SIGINT', () => void stop().then(() => process.exit(130)));
  process.once('SIGTERM', () => void stop().then(() => process.exit(143)));
  // A closed terminal (or tmux kill-session) sends SIGHUP: stop as cleanly as on Ctrl-C.
  process.once('SIGHUP', () => void stop().then(() => process.exit(129)));
  print.resources(
    { ...resources, scheduledRules: `${app.scheduledRules} (time scale ${timeScale})` },
    stateDir,
  );

  try {
    let outcome = 0;
    if (!values['no-sample']) {
      const key = `datasets/${SAMPLE.model}/${basename(SAMPLE.file)}`;
      print.info(
        `Uploading the sample dataset (Palmer penguins, CC0) to s3://${resources.dataBucket}/${key}`,
      );
      await upload(app, resources.dataBucket, key, SAMPLE.file);
      await waitForRuns(app);
      outcome = await print.summary(app, SAMPLE.model);
    }
    if (values.demo) return outcome;
    print.ready();
    await new Promise<never>(() => undefined);
    return 0;
  } finally {
    await stop();
  }
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

main().then(
  (code) => {
    // Servers and SDK keep-alive sockets are stopped; exit now rather than wait on stray timers.
    process.exit(code);
  },
  (error: unknown) => {
    console.error(`\n✖ ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
