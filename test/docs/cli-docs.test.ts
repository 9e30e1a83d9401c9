/**
 * docs/cli.md and docs/data-contract.md show what the program prints: every `$ mlops …` in a ```console block
 * is run, in document order, against the real stack on this machine (the synthesized template on the local
 * runtime: DynamoDB Local, s3rver, the state machine, the Lambdas, local SageMaker training), from a folder
 * holding the sample data and test/docs/examples/, and its output (stdout and stderr, as a terminal shows
 * them) is compared with the block. `$ cat <file>` shows an input file and is compared with it.
 *
 * After a change to the CLI or the pipeline, regenerate the blocks from real output with
 *   MLOPS_UPDATE_DOCS=1 npx vitest run test/docs/cli-docs.test.ts
 * and review the diff.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentOperator } from '../../cli/operator-events';
import { runCli } from '../../cli/program';
import { runPrefix } from '../../lambdas/shared/s3-layout';
import { CONTEXT_KEY } from '../../lib/config';
import { LocalApp } from '../../local/app';
import { LOCAL_CREDENTIALS, localS3ClientConfig } from '../../local/aws/s3-client';
import { type RuntimeDiscovery, writeDiscovery } from '../../local/discovery';
import type { CfnTemplate } from '../../local/template/template';
import { cdkJsonContext, synthStack } from '../support/cdk';
import {
  type DocCommand,
  Normalizer,
  parseConsoleBlocks,
  replaceOutputs,
  shellWords,
  translateCommand,
} from './doc-examples';

const ROOT = join(__dirname, '..', '..');
const DOCS = ['docs/cli.md', 'docs/data-contract.md'] as const;
const UPDATE = process.env.MLOPS_UPDATE_DOCS === '1';
/** Every example ends in seconds; a wait that does not is a failure, not a 30-minute --timeout. */
const COMMAND_TIMEOUT_MS = 60_000;
/** Who the examples show deciding (`mlops approve`): the CLI records `<os user>@<host>`, which varies. */
const DOC_OPERATOR = 'you@laptop';

let app: LocalApp;
let workDir: string;
let stateDir: string;
let cwd: string;
const docIds = new Normalizer();
const actualIds = new Normalizer();

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'mlops-docs-'));
  stateDir = join(workDir, 'state');
  cwd = join(workDir, 'project');
  mkdirSync(cwd, { recursive: true });
  cpSync(join(__dirname, 'examples'), cwd, { recursive: true });
  cpSync(join(ROOT, 'samples', 'penguins', 'penguins.csv'), join(cwd, 'penguins.csv'));
  // The configuration `npm start` runs with: cdk.json's.
  const template = synthStack({
    config: cdkJsonContext()[CONTEXT_KEY] as Record<string, unknown>,
  }).template.toJSON();
  app = await LocalApp.start({
    template: template as CfnTemplate,
    stateDir,
    pollIntervalMs: 50,
    environment: { POWERTOOLS_LOG_LEVEL: 'SILENT' },
  });
  const { env } = app.runtime.resources;
  const discovery: RuntimeDiscovery = {
    formatVersion: 1,
    pid: process.pid,
    startedAt: new Date().toISOString(),
    region: env.region,
    credentials: { ...LOCAL_CREDENTIALS },
    // Every endpoint the app serves (mlops predict needs the SageMaker Runtime's), as npm start writes them.
    endpoints: app.endpoints,
    resources: app.resources,
  };
  writeDiscovery(stateDir, discovery);
}, 120_000);

afterAll(async () => {
  await app?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

/** Runs one doc command from the example folder; stdout and stderr interleaved, as a terminal shows them. */
async function run(command: string): Promise<string> {
  const [program, ...args] = shellWords(command);
  if (program === 'cat') return readFileSync(join(cwd, args[0] ?? ''), 'utf8');
  if (program !== 'mlops') throw new Error(`the docs runner runs mlops and cat, not: ${command}`);
  const output: string[] = [];
  const write = (text: string) => output.push(text);
  const previous = process.cwd();
  process.chdir(cwd);
  try {
    // The runtime's state directory comes first, so an example may still name another one.
    const done = runCli(['--state-dir', stateDir, ...args], {
      io: { out: write, err: write },
      // --wait shows every step a run passed whatever the interval (cli/upload.ts stepsSince): short is quick.
      pollIntervalMs: 10,
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(`\`$ ${command}\` did not finish in ${COMMAND_TIMEOUT_MS} ms:\n${output.join('')}`),
          ),
        COMMAND_TIMEOUT_MS,
      );
    });
    await Promise.race([done, late]).finally(() => clearTimeout(timer));
  } finally {
    process.chdir(previous);
  }
  // What the command started (an upload's run) ends before the next command, as in a session read top down.
  await app.idle();
  // Absolute paths of this machine's temporary folders, and who runs the tests, are not part of the example.
  return output
    .join('')
    .replaceAll(`${cwd}/`, '')
    .replaceAll(stateDir, '.mlops-local')
    .replaceAll(currentOperator(), DOC_OPERATOR);
}

/** Runs a doc's examples in order (the docs are one session: cli.md first); with UPDATE, rewrites them. */
async function checkExamples(doc: string): Promise<void> {
  const path = join(ROOT, doc);
  const markdown = readFileSync(path, 'utf8');
  const commands = parseConsoleBlocks(markdown);
  expect(commands.length).toBeGreaterThan(0);
  const replacements: { command: DocCommand; output: string; line: string }[] = [];
  for (const command of commands) {
    const line = translateCommand(command.command, docIds, actualIds);
    const output = await run(line);
    const expected = docIds.normalize(command.output);
    const actual = actualIds.normalize(output.replace(/\n$/, ''));
    replacements.push({ command, output, line });
    if (!UPDATE) expect.soft(actual, `output of \`$ ${command.command}\` in ${doc}`).toBe(expected);
  }
  if (UPDATE) writeFileSync(path, replaceOutputs(markdown, replacements));
}

describe('the docs show what the program prints', () => {
  it.each(DOCS)('%s', (doc) => checkExamples(doc), 600_000);

  it('data-contract.md lists the objects a trained run writes, at their keys', async () => {
    // Prepare: the run the examples trained first (cli.md's upload --wait)
    const runId = actualIds.runIdOf('<run 1>');
    const s3 = new S3Client(localS3ClientConfig(app.runtime.s3.endpoint, app.runtime.resources.env.region));
    const markdown = readFileSync(join(ROOT, 'docs/data-contract.md'), 'utf8');
    const section = markdown.slice(markdown.indexOf('## What an accepted dataset produces'));
    const documented = [
      ...section.slice(0, section.indexOf('\n## ', 3)).matchAll(/^\| `(runs\/[^`]+)`/gm),
    ].map((match) => match[1]);

    // Act
    const listing = await s3.send(
      new ListObjectsV2Command({ Bucket: app.resources.artifactsBucket, Prefix: runPrefix(runId ?? '') }),
    );
    s3.destroy();

    // Assess
    expect(runId).toBeDefined();
    const written = (listing.Contents ?? []).map((object) =>
      (object.Key ?? '').replaceAll(runId ?? '', '<runId>'),
    );
    expect([...written].sort()).toEqual([...documented].sort());
  });
});
