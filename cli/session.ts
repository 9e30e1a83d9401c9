/**
 * What the command modules (cli/commands/) get from the program: one invocation's {@link Session} (the
 * target, resolved at most once, the clock, the output) and the {@link GlobalOptions} every command accepts.
 */
import { type Io, renderJson } from './output';
import { resolveTarget, type Target, type TargetKind, type TargetResolver } from './target';

/** What the CLI runs with; everything but `io` has a production default. */
export interface CliContext {
  readonly io: Io;
  /** @default resolveTarget (the local runtime of --state-dir, or with --target aws the deployed stack) */
  readonly resolveTarget?: TargetResolver;
  /** How often --wait polls the registry. @default DEFAULT_POLL_INTERVAL_MS */
  readonly pollIntervalMs?: number;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** The actor recorded by `runs retry`, `approve`, `reject`, `deploy` and `rollback`. @default `<os user>@<host>` */
  readonly operator?: string;
  /** Ids of requests (`runs retry`, `deploy`, `rollback`). @default crypto.randomUUID */
  readonly newRequestId?: () => string;
  /** What `-` reads (`mlops predict <model> -`). @default the process's standard input */
  readonly stdin?: () => Promise<string>;
}

/** Options every command accepts (before or after the command's name; --target only before it). */
export interface GlobalOptions {
  readonly json?: boolean;
  readonly stateDir?: string;
  readonly stack?: string;
  readonly region?: string;
  readonly profile?: string;
}

/** One invocation's state: the target, resolved at most once and closed at the end. */
export class Session {
  private current: Target | undefined;
  /** Where the commands go (--target). */
  public kind: TargetKind = 'local';

  constructor(public readonly context: CliContext) {}

  get io(): Io {
    return this.context.io;
  }

  get now(): Date {
    return (this.context.now ?? (() => new Date()))();
  }

  get targetDescription(): string | undefined {
    return this.current?.description;
  }

  async target(options: GlobalOptions): Promise<Target> {
    this.current ??= await (this.context.resolveTarget ?? resolveTarget)({
      stateDir: options.stateDir,
      ...(this.kind === 'local' ? {} : { target: this.kind }),
      ...(options.stack === undefined ? {} : { stack: options.stack }),
      ...(options.region === undefined ? {} : { region: options.region }),
      ...(options.profile === undefined ? {} : { profile: options.profile }),
    });
    return this.current;
  }

  /** All of standard input (the context's, or the process's), for a `-` file argument. */
  readStdin(): Promise<string> {
    return (this.context.stdin ?? readProcessStdin)();
  }

  /** The result: JSON for --json, the rendered text otherwise. */
  print(options: GlobalOptions, value: unknown, text: () => string): void {
    this.io.out(options.json ? renderJson(value) : text());
  }

  close(): void {
    this.current?.close();
    this.current = undefined;
  }
}

async function readProcessStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
