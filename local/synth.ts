import { spawnSync } from 'node:child_process';
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
export function synthesize(outDir: string): string {
  const cdkJson = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  const context = { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] };
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bin', 'app.ts')], {
    cwd: ROOT,
    env: { ...process.env, ...LOCAL_ENV, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: outDir },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`cdk synth failed:\n${result.stderr || result.stdout}`);
  const file = join(outDir, `${STACK}.template.json`);
  if (!existsSync(file)) throw new Error(`cdk synth wrote no ${file}`);
  return file;
}
