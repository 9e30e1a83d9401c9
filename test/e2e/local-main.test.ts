/**
 * `npm start` as people run it: a real `npm` process (npm -> node local/main.ts -> DynamoDB Local's JVM,
 * trainers), stopped by a signal the way a terminal, a shell or a process manager sends it. It must exit
 * within 5 s, remove runtime.json and leave no process behind. And `npm run demo` then `npm start` on the same
 * state: the demo's last lines, and the second upload of the sample recognised as a duplicate.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTrainingJobCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../cli/program';
import type { RuntimeDiscovery } from '../../local/discovery';

const ROOT = join(__dirname, '..', '..');
const STOP_WITHIN_MS = 5000;

interface Started {
  readonly shell: ChildProcess;
  /** npm's pid. */
  readonly npm: number;
  readonly stateDir: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * `npm start -- --no-sample` as a background job of a non-interactive bash (`npm start &`), which starts it
 * with SIGINT and SIGQUIT ignored, in a process group of its own (so the test can also signal the group, as
 * a terminal's Ctrl-C or hang-up does).
 */
async function startInBackground(
  phase: 'up' | 'synth' | 'summary' = 'up',
  stateDir = mkdtempSync(join(tmpdir(), 'mlops-main-')),
): Promise<Started> {
  // `summary`: with the sample, up to the line that ends the summary.
  const sample = phase === 'summary' ? '' : '--no-sample ';
  const shell = spawn(
    'bash',
    ['-c', `npm start -- ${sample}--state-dir "$1" >"$1.log" 2>&1 & echo $!; wait $!`, 'bash', stateDir],
    { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    shell.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const npm = await new Promise<number>((resolve, reject) => {
    shell.stdout?.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    shell.once('exit', () => reject(new Error('bash exited before starting npm')));
  });
  const started = { shell, npm, stateDir, exited };
  if (phase === 'synth') {
    // The synth child (bin/app.ts) is running: the first phase, which takes seconds.
    await until(() => descendants(shell.pid).some((p) => p.args.includes('bin/app.ts')), started);
  } else if (phase === 'summary') {
    await until(() => readFileSync(`${stateDir}.log`, 'utf8').includes('Local runtime is up.'), started);
  } else {
    await until(() => existsSync(join(stateDir, 'runtime.json')), started);
  }
  return started;
}

describe('npm start, as a process', () => {
  it('stops within 5 s on SIGINT sent to npm (a background job), trainer included, and leaves nothing running', async () => {
    // Prepare: a training job that would run for many minutes
    const started = await startInBackground();
    try {
      await startLongTraining(readDiscovery(started.stateDir));
      await until(
        () => descendants(started.shell.pid).some((p) => p.args.includes('xgboost/main.ts')),
        started,
      );
      const before = descendants(started.shell.pid);
      expect(before.map((p) => p.args).join('\n')).toMatch(/java .*DynamoDBLocal\.jar/);

      // Act
      const stoppedIn = await signalAndWait(started, before, () => process.kill(started.npm, 'SIGINT'));

      // Assess
      expect(stoppedIn.ms).toBeLessThan(STOP_WITHIN_MS);
      expect(stoppedIn.exit).toEqual({ code: 130, signal: null }); // bash: npm ended by SIGINT
      expect(stillRunning(before)).toEqual([]);
      expect(existsSync(join(started.stateDir, 'runtime.json'))).toBe(false);
    } finally {
      cleanUp(started);
    }
  });

  it('stops within 5 s on SIGTERM during synth, the synth process included', async () => {
    // Prepare
    const started = await startInBackground('synth');
    try {
      const before = descendants(started.shell.pid);

      // Act
      const stoppedIn = await signalAndWait(started, before, () => process.kill(started.npm, 'SIGTERM'));

      // Assess
      expect(stoppedIn.ms).toBeLessThan(STOP_WITHIN_MS);
      expect(stoppedIn.exit).toEqual({ code: 143, signal: null });
      expect(stillRunning(before)).toEqual([]);
      expect(existsSync(join(started.stateDir, 'runtime.json'))).toBe(false);
    } finally {
      cleanUp(started);
    }
  });

  it.each([
    ['SIGTERM sent to npm (kill, a process manager)', 'SIGTERM', 'npm', 143],
    ['Ctrl-C: SIGINT to the whole process group', 'SIGINT', 'group', 130],
    ['a closed terminal: SIGHUP to the whole process group', 'SIGHUP', 'group', 129],
  ] as const)('stops within 5 s on %s and leaves nothing running', async (_name, signal, target, code) => {
    // Prepare
    const started = await startInBackground();
    try {
      const before = descendants(started.shell.pid);

      // Act
      const stoppedIn = await signalAndWait(started, before, () =>
        process.kill(target === 'npm' ? started.npm : -(started.shell.pid as number), signal),
      );

      // Assess
      expect(stoppedIn.ms).toBeLessThan(STOP_WITHIN_MS);
      // bash reports its job's status; hung up itself, it ends by the signal.
      if (stoppedIn.exit.signal === null) expect(stoppedIn.exit.code).toBe(code);
      else expect(stoppedIn.exit.signal).toBe(signal);
      expect(stillRunning(before)).toEqual([]);
      expect(existsSync(join(started.stateDir, 'runtime.json'))).toBe(false);
    } finally {
      cleanUp(started);
    }
  });
});

describe('npm run demo, then npm start on the same state', () => {
  it('the demo ends with its last lines and 0; npm start then records the same sample as a duplicate, no new version', async () => {
    // Prepare
    const stateDir = mkdtempSync(join(tmpdir(), 'mlops-demo-'));
    let started: Started | undefined;
    try {
      // Act: the demo, to its end
      const demo = spawnSync('npm', ['run', 'demo', '--', '--state-dir', stateDir], {
        cwd: ROOT,
        encoding: 'utf8',
      });
      // Act: npm start on the state the demo left, up to its summary
      started = await startInBackground('summary', stateDir);
      const log = readFileSync(`${stateDir}.log`, 'utf8');
      const runs = await mlops(['runs', 'list', '--model', 'penguins', '--json', '--state-dir', stateDir]);
      const model = await mlops(['models', 'show', 'penguins', '--json', '--state-dir', stateDir]);

      // Assess: the demo says what is true once it has exited, and names the state dir everywhere
      expect(demo.status, demo.stdout + demo.stderr).toBe(0);
      const first = /✔ penguins v1 registered: Approved\n {2}run {8}(penguins-[0-9a-f]{16})\n/.exec(
        demo.stdout,
      )?.[1];
      expect(first, demo.stdout).toBeDefined();
      const deployment = /deployments show (\S+)/.exec(demo.stdout)?.[1];
      expect(demo.stdout).toMatch(
        /✔ penguins v1 deployed: endpoint serverlessmlops-penguins served it while the demo ran\n/,
      );
      expect(demo.stdout).not.toMatch(/\n {2}(predict|details) /);
      expect(demo.stdout.trimEnd().split('\n').slice(-7)).toEqual([
        'Demo done; the local runtime it started has stopped.',
        `  State (registry, objects, models) is kept in ${stateDir}.`,
        `  \`npm start -- --state-dir ${stateDir}\` serves it again, until Ctrl-C; while that runs:`,
        `    npm run -s mlops -- --state-dir ${stateDir} runs list`,
        `    npm run -s mlops -- --state-dir ${stateDir} artifacts ${first} [report|lineage|baseline|encoding|contract|model]`,
        `    npm run -s mlops -- --state-dir ${stateDir} predict penguins ${join(stateDir, 'penguins-rows.csv')}`,
        `    npm run -s mlops -- --state-dir ${stateDir} deployments show ${deployment}`,
      ]);
      // Assess: the second start trained nothing and registered nothing
      expect(log).toContain(
        `✔ penguins: these data were already trained as v1 by run ${first}; not trained again.`,
      );
      expect(log).toContain('✔ penguins v1 serves on endpoint serverlessmlops-penguins (deployed before)');
      expect(runs.code, runs.stderr).toBe(0);
      const listed = (
        JSON.parse(runs.stdout) as { runs: { runId: string; status: string; duplicateOf?: string }[] }
      ).runs;
      expect(listed.map(({ status, duplicateOf }) => ({ status, duplicateOf }))).toEqual([
        { status: 'Succeeded', duplicateOf: first },
        { status: 'Succeeded', duplicateOf: undefined },
      ]);
      expect(model.code, model.stderr).toBe(0);
      expect(
        (JSON.parse(model.stdout) as { versions: { version: number }[] }).versions.map((v) => v.version),
      ).toEqual([1]);
    } finally {
      if (started) {
        const before = descendants(started.shell.pid);
        await signalAndWait(started, before, () => process.kill(started?.npm as number, 'SIGINT'));
        cleanUp(started);
      }
      rmSync(stateDir, { recursive: true, force: true });
      rmSync(`${stateDir}.log`, { force: true });
    }
  }, 240_000);
});

/** The CLI in-process: stdout, stderr and the exit code. */
async function mlops(argv: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { io: { out: (text) => out.push(text), err: (text) => err.push(text) } });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** Sends the signal and waits until every process of `before` has ended (wherever it was re-parented). */
async function signalAndWait(
  started: Started,
  before: readonly ProcessInfo[],
  send: () => void,
): Promise<{ ms: number; exit: { code: number | null; signal: NodeJS.Signals | null } }> {
  const at = Date.now();
  send();
  const exit = await Promise.race([
    started.exited,
    sleep(STOP_WITHIN_MS * 3).then(() => ({ code: -1, signal: null })),
  ]);
  while (stillRunning(before).length > 0 && Date.now() - at < STOP_WITHIN_MS * 3) await sleep(25);
  return { ms: Date.now() - at, exit };
}

function cleanUp(started: Started): void {
  for (const p of descendants(started.shell.pid)) process.kill(p.pid, 'SIGKILL');
  for (const p of processTable().filter((q) => q.args.includes(started.stateDir)))
    process.kill(p.pid, 'SIGKILL');
  started.shell.kill('SIGKILL');
  rmSync(started.stateDir, { recursive: true, force: true });
  rmSync(`${started.stateDir}.log`, { force: true });
}

function readDiscovery(stateDir: string): RuntimeDiscovery {
  return JSON.parse(readFileSync(join(stateDir, 'runtime.json'), 'utf8')) as RuntimeDiscovery;
}

/** A built-in XGBoost job with a million rounds: its trainer runs until something stops it. */
async function startLongTraining(discovery: RuntimeDiscovery): Promise<void> {
  const { region, credentials, endpoints, resources } = discovery;
  const s3 = new S3Client({
    region,
    credentials,
    endpoint: endpoints.s3,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  const rows = Array.from({ length: 200 }, (_, i) => `${i % 2},${i},${(i * 7) % 13}`).join('\n');
  await s3.send(
    new PutObjectCommand({
      Bucket: resources.artifactsBucket,
      Key: 'signal-test/train/data.csv',
      Body: rows,
    }),
  );
  s3.destroy();
  const sagemaker = new SageMakerClient({ region, credentials, endpoint: endpoints.sagemaker });
  await sagemaker.send(
    new CreateTrainingJobCommand({
      TrainingJobName: 'signal-test',
      RoleArn: 'arn:aws:iam::000000000000:role/local-training',
      AlgorithmSpecification: {
        TrainingImage: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1',
        TrainingInputMode: 'File',
      },
      HyperParameters: { num_round: '1000000', objective: 'binary:logistic' },
      InputDataConfig: [
        {
          ChannelName: 'train',
          ContentType: 'text/csv',
          DataSource: {
            S3DataSource: {
              S3DataType: 'S3Prefix',
              S3Uri: `s3://${resources.artifactsBucket}/signal-test/train/`,
            },
          },
        },
      ],
      OutputDataConfig: { S3OutputPath: `s3://${resources.artifactsBucket}/signal-test/output/` },
      ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 1 },
      StoppingCondition: { MaxRuntimeInSeconds: 3600 },
    }),
  );
  sagemaker.destroy();
}

async function until(condition: () => boolean, started: Started): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!condition()) {
    if (started.shell.exitCode !== null) {
      const log = readFileSync(`${started.stateDir}.log`, 'utf8');
      throw new Error(`npm start exited early with code ${started.shell.exitCode}:\n${log}`);
    }
    if (Date.now() > deadline) throw new Error('npm start did not get there in time');
    await sleep(100);
  }
}

interface ProcessInfo {
  readonly pid: number;
  readonly ppid: number;
  /** Start time in clock ticks since boot: tells a pid reused by another process apart. */
  readonly startTime: string;
  readonly state: string;
  readonly args: string;
}

/** Every process, from /proc: pid, parent, start time, state and command line. */
function processTable(): ProcessInfo[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .flatMap((name) => {
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        // The command name (2nd field) is in parentheses and may hold spaces: split after its last ')'.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const args = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim();
        return [
          {
            pid: Number(name),
            state: fields[0] ?? '',
            ppid: Number(fields[1]),
            startTime: fields[19] ?? '',
            args,
          },
        ];
      } catch {
        return []; // gone meanwhile
      }
    });
}

/** The living (not zombie) processes below `root`, by parent links. */
function descendants(root: number | undefined): ProcessInfo[] {
  const table = processTable();
  const found: ProcessInfo[] = [];
  let parents = new Set([root]);
  while (parents.size > 0) {
    const children = table.filter((p) => parents.has(p.ppid));
    found.push(...children);
    parents = new Set(children.map((p) => p.pid));
  }
  return found.filter((p) => p.state !== 'Z');
}

/** Which of `before` still run (same pid and start time, not a zombie), wherever they were re-parented. */
function stillRunning(before: readonly ProcessInfo[]): string[] {
  const now = processTable();
  return before
    .filter((p) => now.some((q) => q.pid === p.pid && q.startTime === p.startTime && q.state !== 'Z'))
    .map((p) => `${p.pid} ${p.args}`);
}
