/**
 * `npm run screenshots`: PNGs of the web console's main pages in screenshots/ (gitignored), for reviewers to
 * look at. A fresh local runtime in a temporary folder: the sample trains and deploys, an upload with a hostile
 * column name is rejected, a model with manual approval waits for an operator. The console's browser test
 * (test/e2e/console-browser.test.ts) starts the same runtime with {@link startConsoleScenario}.
 *
 * The browser is the system's Chromium (scripts/ensure-setup.cjs finds it), driven by playwright-core with its
 * executable path: playwright's own browser download is not reachable here.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { type Browser, chromium, type Page } from 'playwright-core';
import { datasetKey } from '../lambdas/shared/s3-layout';
import { LocalApp, type LocalAppObserver } from '../local/app';
import { LOCAL_CREDENTIALS, localS3ClientConfig } from '../local/aws/s3-client';
import { ConsoleFeed, observeBoth } from '../local/console/api/feed';
import { type ConsoleServer, startLocalConsole } from '../local/console/server';
import { validationRows, waitForRuns } from '../local/scenarios/rollback';
import type { CfnTemplate } from '../local/template/template';
import { synthStack } from '../test/support/cdk';

const ROOT = join(__dirname, '..');
const SAMPLE = join(ROOT, 'samples', 'penguins', 'penguins.csv');
const setup = createRequire(__filename)(join(ROOT, 'scripts', 'ensure-setup.cjs')) as {
  chromiumPath(env: NodeJS.ProcessEnv): string | undefined;
  chromiumProblem(env: NodeJS.ProcessEnv): string | undefined;
};

/** A column name that would run script if the console ever put it into HTML. */
export const HOSTILE_COLUMN = '<img src=x onerror=alert(1)>';
/** Trains, registers Approved and deploys by itself. */
export const AUTO_MODEL = 'penguins';
/** Trains and waits for an operator's approval (PendingApproval); never deploys by itself. */
export const MANUAL_MODEL = 'gentoo';
/** The file of the upload that validation rejects (its header repeats the hostile column). */
export const HOSTILE_FILE = 'hostile-columns.csv';

const MODEL = {
  problemType: 'multiclass',
  targetColumn: 'species',
  evaluation: { metric: 'validation:merror', threshold: 0.1 },
  training: { hyperparameters: { num_round: 30 } },
} as const;

/** The stack's configuration: one model of each approval mode, quick all-at-once deployments. */
export const CONSOLE_CONFIG = {
  models: {
    [AUTO_MODEL]: { ...MODEL, approval: 'auto', deployment: { mode: 'auto', dataCapturePercent: 100 } },
    [MANUAL_MODEL]: { ...MODEL, approval: 'manual', deployment: { mode: 'manual' } },
  },
};

/** The sample's first rows with the hostile column twice: validation rejects the repeated name. */
export function hostileCsv(csv: string, rows = 20): string {
  const [header = '', ...body] = csv.trimEnd().split('\n');
  const lines = [
    `${header},${HOSTILE_COLUMN},${HOSTILE_COLUMN}`,
    ...body.slice(0, rows).map((r) => `${r},1,2`),
  ];
  return `${lines.join('\n')}\n`;
}

/** The Chromium to drive, headless. @throws naming what to install when there is none */
export async function launchChromium(): Promise<Browser> {
  const executablePath = setup.chromiumPath(process.env);
  if (executablePath === undefined) throw new Error(setup.chromiumProblem(process.env));
  return chromium.launch({ executablePath, headless: true });
}

/** A runtime with the console's story in it, and the console serving it. */
export interface ConsoleScenario {
  readonly app: LocalApp;
  /** `http://127.0.0.1:<port>/`. */
  readonly url: string;
  /** The actions' token (X-Mlops-Token). */
  readonly token: string;
  /** The run validation rejected (the hostile upload). */
  readonly rejectedRun: string;
  /** A run that trained and registered AUTO_MODEL v1. */
  readonly trainedRun: string;
  /** Uploads `body` as a dataset of `model` and waits until the runs it started settled. */
  upload(model: string, file: string, body: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts a runtime in `stateDir` (time scale 60), uploads the sample for both models and the hostile file for
 * AUTO_MODEL and waits until every run settled; the console (on a free port) is up from the start.
 */
export async function startConsoleScenario(
  stateDir: string,
  observer: LocalAppObserver = {},
): Promise<ConsoleScenario> {
  const template = synthStack({ config: CONSOLE_CONFIG }).template.toJSON() as CfnTemplate;
  const feed = new ConsoleFeed();
  const app = await LocalApp.start({
    template,
    stateDir,
    pollIntervalMs: 100,
    timeScale: 60,
    environment: { POWERTOOLS_LOG_LEVEL: 'SILENT' },
    observer: observeBoth(feed.observer, observer),
  });
  const s3 = new S3Client(localS3ClientConfig(app.runtime.s3.endpoint, app.runtime.resources.env.region));
  let server: ConsoleServer | undefined;
  const stop = async () => {
    s3.destroy();
    await server?.stop();
    await app.stop();
  };
  try {
    // Up before the uploads, as npm start has it: pages follow the runs live.
    server = await startLocalConsole({ app, feed, stackName: 'ServerlessMlops', port: 0 });
    const csv = readFileSync(SAMPLE, 'utf8');
    const upload = async (model: string, file: string, body: string) => {
      const key = datasetKey(model, file);
      await s3.send(new PutObjectCommand({ Bucket: app.resources.dataBucket, Key: key, Body: body }));
      await waitForRuns(app);
    };
    await upload(AUTO_MODEL, 'penguins.csv', csv);
    await upload(AUTO_MODEL, HOSTILE_FILE, hostileCsv(csv));
    await upload(MANUAL_MODEL, 'penguins.csv', csv);
    await sendTraffic(app, s3);
    const runs = (await app.registry.listRunsByModel(AUTO_MODEL)).items;
    const rejectedRun = runs.find((run) => run.status === 'Failed')?.runId;
    const trainedRun = runs.find((run) => run.status === 'Succeeded' && run.version === 1)?.runId;
    if (rejectedRun === undefined || trainedRun === undefined) {
      throw new Error(
        `expected a failed and a succeeded run of ${AUTO_MODEL}, found ${JSON.stringify(runs)}`,
      );
    }
    return { app, url: server.url, token: server.token, rejectedRun, trainedRun, upload, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A few predictions from AUTO_MODEL's endpoint (rows of its validation split), so its metrics have points. */
async function sendTraffic(app: LocalApp, s3: S3Client, requests = 5): Promise<void> {
  const endpointName = (await app.registry.getVersion(AUTO_MODEL, 1))?.deployment?.endpointName;
  if (endpointName === undefined) throw new Error(`${AUTO_MODEL} v1 was not deployed`);
  const rows = await validationRows(s3, app.resources.artifactsBucket, AUTO_MODEL, 3);
  const runtime = new SageMakerRuntimeClient({
    region: app.runtime.resources.env.region,
    credentials: LOCAL_CREDENTIALS,
    endpoint: app.endpoints.sagemakerRuntime,
  });
  try {
    for (let i = 0; i < requests; i++) {
      const body = rows.join('\n');
      await runtime.send(
        new InvokeEndpointCommand({ EndpointName: endpointName, ContentType: 'text/csv', Body: body }),
      );
    }
  } finally {
    runtime.destroy();
  }
}

/** The pages reviewers look at: file name and hash route. */
export function consolePages(scenario: ConsoleScenario): readonly (readonly [string, string])[] {
  return [
    ['models', '#/models'],
    ['model', `#/models/${encodeURIComponent(AUTO_MODEL)}`],
    ['model-pending', `#/models/${encodeURIComponent(MANUAL_MODEL)}`],
    ['runs', '#/runs'],
    ['run', `#/runs/${encodeURIComponent(scenario.trainedRun)}`],
    ['run-rejected', `#/runs/${encodeURIComponent(scenario.rejectedRun)}`],
    ['deployments', '#/deployments'],
    ['endpoints', '#/endpoints'],
    ['drift', '#/drift'],
    ['alarms', '#/alarms'],
  ];
}

/** Opens `route` and waits until the console has rendered it (main has content, no request in flight). */
export async function openPage(page: Page, url: string, route: string): Promise<void> {
  await page.goto(new URL(route, url).href);
  await page.waitForLoadState('networkidle');
  await page.locator('main').first().waitFor();
}

/** Writes one PNG per page and width (1280×800 and 420×800) to `outDir`; returns the files. */
export async function takeScreenshots(
  browser: Browser,
  scenario: ConsoleScenario,
  outDir: string,
): Promise<string[]> {
  mkdirSync(outDir, { recursive: true });
  const files: string[] = [];
  for (const [suffix, viewport] of [
    ['', { width: 1280, height: 800 }],
    ['-narrow', { width: 420, height: 800 }],
  ] as const) {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    for (const [name, route] of consolePages(scenario)) {
      await openPage(page, scenario.url, route);
      const file = join(outDir, `${name}${suffix}.png`);
      await page.screenshot({ path: file, fullPage: true });
      files.push(file);
    }
    await context.close();
  }
  return files;
}

async function main(): Promise<number> {
  const outDir = join(ROOT, 'screenshots');
  const stateDir = mkdtempSync(join(tmpdir(), 'mlops-screenshots-'));
  process.env.CDK_OUTDIR ??= join(stateDir, 'cdk.out');
  const browser = await launchChromium();
  let scenario: ConsoleScenario | undefined;
  try {
    process.stdout.write('▶ Starting a local runtime: the sample trains and deploys (about a minute) …\n');
    scenario = await startConsoleScenario(stateDir, {
      error: (message) => process.stderr.write(`  ${message}\n`),
    });
    process.stdout.write(`▶ Console at ${scenario.url}: taking screenshots …\n`);
    const files = await takeScreenshots(browser, scenario, outDir);
    for (const file of files) process.stdout.write(`  ${file}\n`);
    process.stdout.write(`✔ ${files.length} screenshots in ${outDir}\n`);
    return 0;
  } finally {
    await browser.close();
    await scenario?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`✖ ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
