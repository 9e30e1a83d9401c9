/** The --wait loop of the commands that follow what they started (upload, runs retry, deploy, rollback). */

export interface PollOptions<T> {
  readonly timeoutMs: number;
  readonly pollIntervalMs: number;
  /** @default Date.now */
  readonly now?: (() => number) | undefined;
  /** What counts as a change worth reporting (e.g. status and step). */
  readonly stateOf: (value: T) => string;
  /** Stop polling: the thing has ended. */
  readonly done: (value: T) => boolean;
  /** Called once per change of {@link PollOptions.stateOf}, with the time since polling began. */
  readonly onChange?: ((value: T, elapsedMs: number) => void) | undefined;
}

/**
 * Reads until `done` or the timeout, reporting each change. `value` is the last read (undefined while the thing
 * does not exist yet); `timedOut` says which of the two ended the wait.
 */
export async function pollUntil<T>(
  read: () => Promise<T | undefined>,
  options: PollOptions<T>,
): Promise<{ readonly value: T | undefined; readonly timedOut: boolean }> {
  const now = options.now ?? Date.now;
  const begin = now();
  const deadline = begin + options.timeoutMs;
  let seen: string | undefined;
  for (;;) {
    const value = await read();
    if (value !== undefined) {
      const state = options.stateOf(value);
      if (state !== seen) {
        seen = state;
        options.onChange?.(value, now() - begin);
      }
      if (options.done(value)) return { value, timedOut: false };
    }
    const left = deadline - now();
    if (left <= 0) return { value, timedOut: true };
    await new Promise((resolve) => setTimeout(resolve, Math.min(options.pollIntervalMs, left)));
  }
}
