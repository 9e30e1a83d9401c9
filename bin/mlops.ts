#!/usr/bin/env node
/**
 * The `mlops` operator CLI (see docs/cli.md): `mlops ...` after `npm link` in the project, or
 * `npm run -s mlops -- ...` from the project folder (never `npx mlops`: npx may fetch the registry's `mlops`).
 */
import { processIo } from '../cli/output';
import { runCli } from '../cli/program';

// The SDK's multi-line notice about its future Node.js requirement would drown the CLI's one-line
// output on every command; the project supports the Node.js it runs on. Set the variable to opt back in.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// A reader that goes away (`mlops … | head -2`) closes stdout: the CLI ends quietly with 0, as when all it
// printed was read (Node ignores SIGPIPE, so without this the write's EPIPE crashed with a stack trace).
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  process.stderr.write(`error: cannot write the output: ${error.message}\n`);
  process.exit(1);
});
// With stderr closed too there is no one to tell; the exit code still says how the command ended.
process.stderr.on('error', () => undefined);

runCli(process.argv.slice(2), { io: processIo }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // runCli reports every failure itself; this is a last resort that still keeps stack traces out.
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
