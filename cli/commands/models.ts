/** `mlops models list|show`: ../models.ts, wired to commander. */
import type { Command } from 'commander';
import { parseModelName, parseVersion } from '../arguments';
import { listModels, renderModel, renderModelsTable, renderVersion, showModel, showVersion } from '../models';
import type { GlobalOptions, Session } from '../session';

export function addModelsCommands(program: Command, session: Session): void {
  const models = program.command('models').description('models and their versions');
  models
    .command('list')
    .description('every model with its latest version and aliases')
    .action(async (_options: unknown, command: Command) => {
      const globals = command.optsWithGlobals() as GlobalOptions;
      const list = await listModels((await session.target(globals)).registry);
      session.print(globals, { models: list }, () => renderModelsTable(list));
    });
  models
    .command('show')
    .description('a model’s aliases and versions, or with --version one version’s full record')
    .argument('<model>', 'the model name')
    .option('--version <n>', 'show this version: status, reason, lineage, metrics')
    .action(async (model: string, options: { version?: string }, command: Command) => {
      const globals = command.optsWithGlobals() as GlobalOptions;
      const name = parseModelName(model);
      const number = options.version === undefined ? undefined : parseVersion(options.version, '--version');
      const { registry } = await session.target(globals);
      if (number === undefined) {
        const details = await showModel(registry, name);
        return session.print(globals, details, () => renderModel(details));
      }
      const details = await showVersion(registry, name, number);
      session.print(globals, details, () => renderVersion(details));
    });
}
