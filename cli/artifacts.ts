/**
 * `mlops artifacts <run-id> [report|lineage|baseline|encoding|contract|model] [--out <file>]`: what a run left in the
 * artifacts bucket (keys from lambdas/shared/s3-layout.ts), printed or downloaded.
 */
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { ModelRegistryClient, Run } from '../lambdas/shared/registry';
import {
  modelArtifactKey,
  parseS3Uri,
  RunArtifacts,
  runArtifactKey,
  s3Uri,
} from '../lambdas/shared/s3-layout';
import { findContractText } from './contract';
import { CliError, NotFoundError, UsageError } from './errors';
import { formatBytes, NONE, renderTable } from './output';
import { showRun } from './runs';

/** The artifacts a run can have, in the order a run writes them. */
export const ARTIFACT_NAMES = ['report', 'lineage', 'baseline', 'encoding', 'contract', 'model'] as const;
export type ArtifactName = (typeof ARTIFACT_NAMES)[number];

/** What each artifact is, for `artifacts <run>` and the docs. */
export const ARTIFACT_DESCRIPTIONS: Record<ArtifactName, string> = {
  report: 'validation report: rows, columns, problems (every run that read its dataset)',
  lineage: 'dataset object, version, sha256, rows, size (accepted datasets)',
  baseline: 'baseline statistics for drift checks (accepted datasets)',
  encoding:
    'label classes and category codes, to encode prediction requests as the training data (accepted datasets)',
  contract:
    "the data contract the run's dataset was accepted with (other runs: the model's current contract, as the pipeline looks it up)",
  model: 'model.tar.gz, the training job output (trained runs)',
};

/** Where one artifact is (or would be). */
export interface ArtifactLocation {
  readonly name: ArtifactName;
  readonly bucket: string;
  readonly key: string;
  readonly uri: string;
  /** Bytes; undefined when the object does not exist. */
  readonly size?: number | undefined;
  /** What the object is when it is not what the name says (an older run's contract: the model's current one). */
  readonly note?: string;
}

export interface ArtifactDependencies {
  readonly s3: S3Client;
  readonly registry: Pick<ModelRegistryClient, 'getRun' | 'getVersion'>;
  readonly resources: { readonly dataBucket: string; readonly artifactsBucket: string };
}

/** @throws UsageError unless `value` names an artifact */
export function parseArtifactName(value: string): ArtifactName {
  const name = ARTIFACT_NAMES.find((candidate) => candidate === value.toLowerCase());
  if (name === undefined) {
    throw new UsageError(`Invalid artifact "${value}": expected one of ${ARTIFACT_NAMES.join(', ')}`);
  }
  return name;
}

/** Every artifact of the run, with its size when it exists. */
export async function listArtifacts(deps: ArtifactDependencies, runId: string): Promise<ArtifactLocation[]> {
  const run = await showRun(deps.registry, runId);
  return Promise.all(ARTIFACT_NAMES.map((name) => locate(deps, run, name)));
}

/**
 * Where the artifact is, checked to exist.
 *
 * @throws NotFoundError naming the run, or the artifact and why a run may lack it
 */
export async function findArtifact(
  deps: ArtifactDependencies,
  runId: string,
  name: ArtifactName,
): Promise<{ readonly run: Run; readonly location: ArtifactLocation }> {
  const run = await showRun(deps.registry, runId);
  const location = await locate(deps, run, name);
  if (location.size === undefined) throw new NotFoundError(missing(run, location));
  return { run, location };
}

/** The artifact's text (JSON documents). */
export async function readArtifact(s3: S3Client, location: ArtifactLocation): Promise<string> {
  const object = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
  return (await object.Body?.transformToString('utf8')) ?? '';
}

/** Streams the artifact to a local file. */
export async function downloadArtifact(
  s3: S3Client,
  location: ArtifactLocation,
  path: string,
): Promise<void> {
  const object = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
  if (!(object.Body instanceof Readable)) throw new CliError(`${location.uri} has no body`);
  await pipeline(object.Body, createWriteStream(path));
}

async function locate(deps: ArtifactDependencies, run: Run, name: ArtifactName): Promise<ArtifactLocation> {
  const bucket = deps.resources.artifactsBucket;
  const at = async (where: { bucket: string; key: string }): Promise<ArtifactLocation> => {
    const size = await objectSize(deps.s3, where.bucket, where.key);
    return {
      name,
      bucket: where.bucket,
      key: where.key,
      uri: s3Uri(where.bucket, where.key),
      size,
    };
  };
  switch (name) {
    case 'report':
      return at({ bucket, key: runArtifactKey(run.runId, RunArtifacts.report) });
    case 'lineage':
      return at({ bucket, key: runArtifactKey(run.runId, RunArtifacts.lineage) });
    case 'baseline':
      return at({ bucket, key: runArtifactKey(run.runId, RunArtifacts.baseline) });
    case 'encoding':
      return at({ bucket, key: runArtifactKey(run.runId, RunArtifacts.encoding) });
    case 'contract':
      return contractLocation(deps, run, at);
    case 'model':
      return at(await modelLocation(deps, run));
  }
}

/**
 * The contract the run was validated against (`runs/<id>/contract.json`, written by ValidateDataset for an
 * accepted dataset); a run without it (older, rejected, a duplicate) gets the model's current contract as the
 * pipeline looks it up now, saying so.
 */
async function contractLocation(
  deps: ArtifactDependencies,
  run: Run,
  at: (where: { bucket: string; key: string }) => Promise<ArtifactLocation>,
): Promise<ArtifactLocation> {
  const bucket = deps.resources.artifactsBucket;
  const own = await at({ bucket, key: runArtifactKey(run.runId, RunArtifacts.contract) });
  if (own.size !== undefined) return own;
  const found = await findContractText(deps.s3, deps.resources, run.model);
  if (found === undefined) return own;
  const note =
    `run ${run.runId} has no ${own.uri} (only accepted datasets get one, since this version): ` +
    `this is model ${run.model}'s current contract, which may differ from the one the run was validated against`;
  return { ...(await at(found)), note };
}

/**
 * The model.tar.gz: the registered version's artifact, else what the run's training job wrote under the
 * run's output folder (`<job>/output/model.tar.gz`; the pipeline names the job after the run).
 */
async function modelLocation(deps: ArtifactDependencies, run: Run): Promise<{ bucket: string; key: string }> {
  const version =
    run.version === undefined ? undefined : await deps.registry.getVersion(run.model, run.version);
  const artifact = version === undefined ? undefined : parseS3Uri(version.lineage.artifactUri);
  if (artifact !== undefined) return artifact;
  const bucket = deps.resources.artifactsBucket;
  const prefix = runArtifactKey(run.runId, RunArtifacts.output);
  const listing = await deps.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  const found = (listing.Contents ?? []).find((object) => object.Key?.endsWith('/output/model.tar.gz'));
  return { bucket, key: found?.Key ?? modelArtifactKey(run.runId, run.runId) };
}

async function objectSize(s3: S3Client, bucket: string, key: string): Promise<number | undefined> {
  if (key === NONE) return undefined;
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return head.ContentLength ?? 0;
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (error instanceof NoSuchKey || name === 'NotFound' || name === 'NoSuchKey') return undefined;
    throw error;
  }
}

/** Why a run has no such artifact, in words. */
function missing(run: Run, location: ArtifactLocation): string {
  const where = location.uri === NONE ? '' : ` (no ${location.uri})`;
  const head = `Run ${run.runId} has no ${location.name}${where}`;
  if (location.name === 'contract' && run.status !== 'Running') {
    return `${head}: model ${run.model} has no contract yet`;
  }
  if (run.status === 'Running') return `${head} yet: it is Running${run.step ? ` in ${run.step}` : ''}`;
  if (run.duplicateOf !== undefined && location.name === 'model') {
    return `${head}: it duplicates run ${run.duplicateOf}, which trained on the same data (see \`mlops artifacts ${run.duplicateOf} model\`)`;
  }
  if (run.status === 'Failed') {
    const step = run.step === undefined ? '' : ` in ${run.step}`;
    return `${head}: it failed${step} (${run.error ?? 'unknown error'}) before writing it`;
  }
  return head;
}

/** `artifacts <run>` as a table; absent artifacts show `-` as their size. */
export function renderArtifacts(runId: string, artifacts: readonly ArtifactLocation[]): string {
  const rows = artifacts.map((artifact) => [
    artifact.name,
    artifact.size === undefined ? NONE : formatBytes(artifact.size),
    artifact.uri,
  ]);
  const notes = artifacts.flatMap((artifact) =>
    artifact.note === undefined ? [] : [`${artifact.name}: ${artifact.note}\n`],
  );
  const hint = `Print one with \`mlops artifacts ${runId} <name>\`, or save it with --out <file>.\n`;
  return `${renderTable(['ARTIFACT', 'SIZE', 'LOCATION'], rows)}${notes.join('')}${hint}`;
}
