/** `mlops approve` and `mlops reject`: ../approval.ts, wired to commander. */
import type { Command } from 'commander';
import { type DecisionKind, decide, renderDecision } from '../approval';
import { parseModelName, parseVersion } from '../arguments';
import type { GlobalOptions, Session } from '../session';

export function addApprovalCommands(program: Command, session: Session): void {
  addDecisionCommand(program, session, 'approve');
  addDecisionCommand(program, session, 'reject');
}

const DECISIONS = {
  approve: {
    description:
      'approve a version the pipeline left PendingApproval: recorded in the registry, then a ModelApproved event',
  },
  reject: {
    description:
      'reject a version the pipeline left PendingApproval (final): recorded in the registry, then a ModelRejected event',
  },
} as const satisfies Record<DecisionKind, { description: string }>;

function addDecisionCommand(program: Command, session: Session, kind: DecisionKind): void {
  program
    .command(kind)
    .description(DECISIONS[kind].description)
    .argument('<model>', 'the model name')
    .argument('<version>', 'the version number, e.g. 3 or v3')
    .option('--reason <text>', 'why, recorded in the audit trail and sent with the event')
    .action(async (model: string, version: string, options: { reason?: string }, command: Command) => {
      const globals = command.optsWithGlobals() as GlobalOptions;
      // Checked before the target is looked up: nothing is sent for a bad name or number.
      const name = parseModelName(model);
      const number = parseVersion(version, 'version');
      const target = await session.target(globals);
      const decision = await decide(
        { registry: target.registry, events: target.events, eventBus: target.resources.eventBus },
        kind,
        name,
        number,
        { reason: options.reason, actor: session.context.operator },
      );
      session.print(globals, { decision }, () => renderDecision(decision));
    });
}
