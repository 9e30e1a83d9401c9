/**
 * How the `mlops` CLI finds a running local runtime: `npm start` writes this file into its state directory
 * (.mlops-local/ by default) once everything is up, and removes it when it stops.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const DEFAULT_STATE_DIR = '.mlops-local';
export const DISCOVERY_FILE = 'runtime.json';

export interface RuntimeDiscovery {
  readonly formatVersion: 1;
  /** The runtime's process; a file whose process is gone is stale. */
  readonly pid: number;
  readonly startedAt: string;
  readonly region: string;
  /** Credentials every local server accepts. */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly endpoints: {
    readonly s3: string;
    readonly dynamodb: string;
    readonly eventbridge: string;
    readonly sagemaker: string;
  };
  /** Physical names of the stack's resources, as the stack outputs name them in the cloud. */
  readonly resources: {
    readonly dataBucket: string;
    readonly artifactsBucket: string;
    readonly registryTable: string;
    readonly trainingStateMachine: string;
  };
}

export function writeDiscovery(stateDir: string, discovery: RuntimeDiscovery): void {
  writeFileSync(join(stateDir, DISCOVERY_FILE), `${JSON.stringify(discovery, null, 2)}\n`);
}

export function removeDiscovery(stateDir: string): void {
  rmSync(join(stateDir, DISCOVERY_FILE), { force: true });
}

/** The running runtime's discovery, or an error saying how to start one. */
export function readDiscovery(stateDir: string = DEFAULT_STATE_DIR): RuntimeDiscovery {
  const file = join(stateDir, DISCOVERY_FILE);
  if (!existsSync(file)) {
    throw new Error(
      `No local runtime is running (no ${file}). Start one with \`npm start\` in the project folder.`,
    );
  }
  const discovery = JSON.parse(readFileSync(file, 'utf8')) as RuntimeDiscovery;
  if (!isAlive(discovery.pid)) {
    throw new Error(
      `The local runtime recorded in ${file} (pid ${discovery.pid}) is not running. Start it with \`npm start\`.`,
    );
  }
  return discovery;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
