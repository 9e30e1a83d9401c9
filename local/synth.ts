import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
const STACK = 'ServerlessMlops';

/** The account and region the local template is synthesized for (no AWS account is involved). */
export const LOCAL_ENV = { CDK_DEFAULT_ACCOUNT: '000000000000', CDK_DEFAULT_REGION: 'us-east-1' } as const;

/**
 * Synthesizes the stack the way `cdk synth` does (the CLI runs the app with its context in CDK_CONTEXT_JSON
 * and its output folder in CDK_OUTDIR: cdk.json's context and flags, cdk-nag included), but without bundling
 * the Lambda assets, which the local runtime does not use and which the CLI cannot be told to skip.
 */
export async function synthesize(outDir: string, options: { signal?: AbortSignal } = {}): Promise<string> {
  const cdkJson = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  const context = { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] };
  // Asynchronous so that a signal during the ~4 s synth is handled at once (and ends the child too).
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bin', 'app.ts')], {
    cwd: ROOT,
    env: { ...process.env, ...LOCAL_ENV, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: outDir },
    stdio: ['ignore', 'pipe', 'pipe'],
    signal: options.signal,
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const status = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  if (status !== 0) throw new Error(`cdk synth failed:\n${output}`);
  const file = join(outDir, `${STACK}.template.json`);
  if (!existsSync(file)) throw new Error(`cdk synth wrote no ${file}`);
  return file;
}
