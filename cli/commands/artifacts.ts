/** `mlops artifacts`: ../artifacts.ts, wired to commander. */
import type { Command } from 'commander';
import {
  ARTIFACT_DESCRIPTIONS,
  ARTIFACT_NAMES,
  downloadArtifact,
  findArtifact,
  listArtifacts,
  parseArtifactName,
  readArtifact,
  renderArtifacts,
} from '../artifacts';
import { UsageError } from '../errors';
import { formatBytes } from '../output';
import type { GlobalOptions, Session } from '../session';

export function addArtifactsCommand(program: Command, session: Session): void {
  const names = ARTIFACT_NAMES.map((name) => `  ${name.padEnd(10)}${ARTIFACT_DESCRIPTIONS[name]}`).join('\n');
  program
    .command('artifacts')
    .description('list a run’s artifacts, print one, or save one with --out')
    .argument('<runId>', 'the run id')
    .argument('[artifact]', `one of ${ARTIFACT_NAMES.join(', ')}`)
    .option('--out <file>', 'save the artifact to this file (needed for model)')
    .addHelpText('after', `\nArtifacts:\n${names}\n`)
    .action(
      async (runId: string, artifact: string | undefined, options: { out?: string }, command: Command) => {
        const globals = command.optsWithGlobals() as GlobalOptions;
        const name = artifact === undefined ? undefined : parseArtifactName(artifact);
        if (name === 'model' && options.out === undefined) {
          throw new UsageError('model.tar.gz is binary: save it with --out <file>');
        }
        if (name === undefined && options.out !== undefined) {
          throw new UsageError(`--out needs an artifact: one of ${ARTIFACT_NAMES.join(', ')}`);
        }
        const target = await session.target(globals);
        const deps = { s3: target.s3, registry: target.registry, resources: target.resources };
        if (name === undefined) {
          const artifacts = await listArtifacts(deps, runId);
          return session.print(globals, { runId, artifacts }, () => renderArtifacts(runId, artifacts));
        }
        const { location } = await findArtifact(deps, runId, name);
        // On stderr: stdout stays the artifact itself (a JSON document for a pipe).
        if (location.note !== undefined) session.io.err(`note: ${location.note}\n`);
        if (options.out === undefined)
          return session.io.out(ensureNewline(await readArtifact(target.s3, location)));
        await downloadArtifact(target.s3, location, options.out);
        const saved = { artifact: location, file: options.out };
        session.print(
          globals,
          saved,
          () => `Saved ${location.uri} (${formatBytes(location.size ?? 0)}) to ${options.out}\n`,
        );
      },
    );
}

function ensureNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}
