/**
 * How `npm start` ends on a signal. SIGINT (Ctrl-C), SIGTERM (kill, npm forwarding one) and SIGHUP (a closed
 * terminal) all stop the runtime the same way, whatever phase it is in (synth, start-up, running).
 *
 * A Ctrl-C in a terminal reaches the whole foreground process group, and npm forwards SIGINT/SIGTERM to its
 * script as well: the runtime can get the same signal twice within milliseconds. So the handlers stay
 * installed (a second signal must not kill the process half-way through its clean-up) and later signals only
 * note that stopping is under way.
 */
export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

const SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const SIGNAL_NUMBERS: Record<StopSignal, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

export interface ShutdownOptions {
  /** Stops everything that was started; resolves once it has. */
  readonly stop: () => Promise<void>;
  /**
   * How long `stop` may take before the process exits anyway. Exiting runs the `exit` hooks that SIGKILL
   * DynamoDB Local's JVM and the trainers' process groups, so nothing outlives the process. @default 4000
   */
  readonly graceMs?: number;
  /** Where the one-line notices go. @default stderr */
  readonly log?: (line: string) => void;
}

export interface Shutdown {
  /** Aborted on the first signal: long steps (synth, waits) give up when it is. */
  readonly signal: AbortSignal;
  /** True once a signal arrived: the normal end of `main` must leave the exit to the signal handler. */
  readonly stopping: boolean;
  /** Removes the handlers (a normal end). */
  dispose(): void;
}

/**
 * Installs the handlers. On the first signal: `stop()`, then the process ends by that same signal (the shell
 * and npm see "killed by SIGINT", exit status 130, and do not report a failed script), or with 128 + its
 * number when `stop()` overran `graceMs`.
 */
export function handleStopSignals(options: ShutdownOptions): Shutdown {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const graceMs = options.graceMs ?? 4000;
  const controller = new AbortController();
  let received: StopSignal | undefined;

  const onSignal = (signal: StopSignal): void => {
    if (received) {
      // The same signal twice is the terminal's and npm's copy of one Ctrl-C.
      if (signal !== received) log(`(${signal}: already stopping)`);
      return;
    }
    received = signal;
    log(`\n■ ${signal}: stopping the local runtime …`);
    controller.abort();
    const overran = setTimeout(() => {
      log(`■ Not stopped within ${graceMs} ms: killing what is left.`);
      process.exit(128 + SIGNAL_NUMBERS[signal]);
    }, graceMs);
    void options
      .stop()
      .catch((error: unknown) => log(`■ While stopping: ${error instanceof Error ? error.message : error}`))
      .finally(() => {
        clearTimeout(overran);
        dieBy(signal);
      });
  };
  const handlers = SIGNALS.map((signal) => [signal, () => onSignal(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);

  return {
    signal: controller.signal,
    get stopping() {
      return received !== undefined;
    },
    dispose: () => {
      for (const [signal, handler] of handlers) process.removeListener(signal, handler);
    },
  };
}

/** Ends the process by `signal`, with the default action, as a program without handlers would have. */
function dieBy(signal: StopSignal): void {
  for (const other of SIGNALS) process.removeAllListeners(other);
  process.kill(process.pid, signal);
  // Should the default action not end the process (it always does for these three), exit like it would.
  setTimeout(() => process.exit(128 + SIGNAL_NUMBERS[signal]), 200).unref();
}
