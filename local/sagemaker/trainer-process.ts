import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** How a trainer process ended. */
export interface TrainerExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Set when the command could not be started at all (e.g. ENOENT). */
  readonly spawnError?: Error;
}

/** A running trainer: its own process group, so that ending it also ends whatever it started. */
export interface TrainerProcess {
  readonly exited: Promise<TrainerExit>;
  /** SIGTERM now, SIGKILL after `graceMs` if it is still running (SageMaker's stop contract). */
  terminate(graceMs: number): void;
}

export interface TrainerProcessOptions {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /** Every line the trainer writes, as it writes it. */
  readonly onLine: (stream: 'stdout' | 'stderr', line: string) => void;
}

/**
 * Process groups of the trainers still running. Being detached, they would outlive a crash of this process
 * (which skips the local SageMaker's stop()): one exit hook kills them all.
 */
const runningGroups = new Set<number>();
process.on('exit', () => {
  for (const pid of runningGroups) killGroup(pid, 'SIGKILL');
});

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is gone already.
  }
}

/** Starts `command` (program and arguments) as a trainer. */
export function startTrainer(command: readonly string[], options: TrainerProcessOptions): TrainerProcess {
  const [program = '', ...args] = command;
  const child = spawn(program, args, {
    cwd: options.cwd,
    env: options.env,
    // A group of its own: signals reach the trainer's children too, as stopping a container would.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const signalGroup = (signal: NodeJS.Signals): void => {
    if (child.pid !== undefined) killGroup(child.pid, signal);
  };
  if (child.pid !== undefined) runningGroups.add(child.pid);
  createInterface({ input: child.stdout }).on('line', (line) => options.onLine('stdout', line));
  createInterface({ input: child.stderr }).on('line', (line) => options.onLine('stderr', line));

  let killTimer: NodeJS.Timeout | undefined;
  let ended = false;
  const exited = new Promise<TrainerExit>((resolve) => {
    child.once('error', (spawnError) => resolve({ code: null, signal: null, spawnError }));
    // The container ends with its main process: nothing the trainer started may outlive it.
    child.once('exit', () => signalGroup('SIGKILL'));
    child.once('close', (code, signal) => resolve({ code, signal }));
  }).finally(() => {
    ended = true;
    clearTimeout(killTimer);
    if (child.pid !== undefined) runningGroups.delete(child.pid);
  });

  return {
    exited,
    terminate: (graceMs) => {
      if (ended) return; // its process group id may belong to someone else by now
      signalGroup('SIGTERM');
      clearTimeout(killTimer);
      killTimer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
    },
  };
}
