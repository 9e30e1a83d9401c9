/**
 * The example sessions in the docs, as data: every ```console block is a list of `$ <command>` lines, each
 * followed by the output the program printed. The docs tests run each command against a real target and
 * compare; with MLOPS_UPDATE_DOCS=1 they write what the program printed back into the doc instead.
 *
 * Comparison ignores only what differs from run to run (times, durations, generated ids, table padding);
 * run ids are matched consistently: the doc's first run id is the actual first run id everywhere.
 */

/** One `$ command` and the output shown under it. */
export interface DocCommand {
  readonly command: string;
  /** The output lines, as in the doc (no trailing newline). */
  readonly output: string;
  /** Line numbers (0-based) of the output in the doc: [first, end). */
  readonly start: number;
  readonly end: number;
}

const FENCE = /^```console\s*$/;
const PROMPT = '$ ';

/** Every command of every ```console block, in document order. */
export function parseConsoleBlocks(markdown: string): DocCommand[] {
  const lines = markdown.split('\n');
  const commands: DocCommand[] = [];
  let inBlock = false;
  let current: { command: string; start: number } | undefined;
  const close = (end: number) => {
    if (current === undefined) return;
    commands.push({ ...current, output: lines.slice(current.start, end).join('\n'), end });
    current = undefined;
  };
  lines.forEach((line, index) => {
    if (!inBlock) {
      inBlock = FENCE.test(line);
      return;
    }
    if (line.startsWith('```')) {
      close(index);
      inBlock = false;
      return;
    }
    if (line.startsWith(PROMPT)) {
      close(index);
      current = { command: line.slice(PROMPT.length), start: index + 1 };
    }
  });
  return commands;
}

/**
 * The doc with each command line and its output replaced (commands must come from {@link parseConsoleBlocks}
 * of it).
 */
export function replaceOutputs(
  markdown: string,
  replacements: readonly { readonly command: DocCommand; readonly line: string; readonly output: string }[],
): string {
  const lines = markdown.split('\n');
  // From the bottom up, so earlier line numbers stay valid.
  for (const { command, line, output } of [...replacements].sort(
    (a, b) => b.command.start - a.command.start,
  )) {
    const text = output.replace(/\n$/, '');
    lines.splice(command.start, command.end - command.start, ...(text === '' ? [] : text.split('\n')));
    lines[command.start - 1] = `${PROMPT}${line}`;
  }
  return lines.join('\n');
}

/** Splits a command line into words: single and double quotes group, no other shell syntax. */
export function shellWords(command: string): string[] {
  const words: string[] = [];
  const pattern = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (const match of command.matchAll(pattern)) words.push(match[1] ?? match[2] ?? match[3] ?? '');
  return words;
}

/** Replaces generated values by placeholders; run ids are numbered in order of appearance. */
export class Normalizer {
  private readonly runIds = new Map<string, string>();

  /** The placeholder of a run id seen so far. */
  placeholderOf(runId: string): string | undefined {
    return this.runIds.get(runId);
  }

  /** The run id a placeholder stands for. */
  runIdOf(placeholder: string): string | undefined {
    for (const [runId, each] of this.runIds) if (each === placeholder) return runId;
    return undefined;
  }

  normalize(text: string): string {
    return (
      text
        .replace(RUN_ID, (runId) => {
          let placeholder = this.runIds.get(runId);
          if (placeholder === undefined) {
            placeholder = `<run ${this.runIds.size + 1}>`;
            this.runIds.set(runId, placeholder);
          }
          return placeholder;
        })
        .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>')
        .replace(/local-[0-9a-z]+(?:-[0-9a-z]+)*/g, '<generated>')
        // UUIDs: EventBridge's event ids.
        .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, '<uuid>')
        // Object versions: S3 (and the local runtime) generate them.
        .replace(/"versionId": "[^"]*"/g, '"versionId": "<version>"')
        .replace(/\(version [^)\s]+\)/g, '(version <version>)')
        .replace(/"durationMs": \d+/g, '"durationMs": <ms>')
        // The smoke test's measured latency.
        .replace(/("latencyMs": |latencyMs=)[\d.]+/g, '$1<ms>')
        .replace(/"(pid|stopDate)": \d+/g, '"$1": <n>')
        // Sizes of what embeds times (a report's durationMs, a model archive's mtimes).
        .replace(/\b\d+(\.\d)? (B|KiB|MiB|GiB)\b/g, '<size>')
        .replace(/\b\d+h \d\dm\b|\b\d+m \d\ds\b|\b\d+s\b/g, '<duration>')
        // A run's cost: its Lambdas' measured durations change the GB-seconds and the sums.
        .replace(/\$\d+(\.\d+)?/g, () => '$<usd>')
        .replace(/\b\d+(\.\d+)? GB-s\b/g, '<n> GB-s')
        .replace(/"(usd|totalUsd|gbSeconds)": [\d.e-]+/g, '"$1": <n>')
        // Table padding follows the widest cell, which the values above may change.
        .replace(/ {2,}/g, '  ')
        .replace(/ +$/gm, '')
    );
  }
}

/** `<model>-<16 hex>`: run ids (and the training jobs named after them). */
export const RUN_ID = /\b[a-z0-9][a-z0-9-]{0,31}-[0-9a-f]{16}\b/g;

/** The command with the doc's run ids replaced by the actual ones they correspond to. */
export function translateCommand(command: string, doc: Normalizer, actual: Normalizer): string {
  return command.replace(RUN_ID, (runId) => {
    const placeholder = doc.placeholderOf(runId);
    return (placeholder === undefined ? undefined : actual.runIdOf(placeholder)) ?? runId;
  });
}
