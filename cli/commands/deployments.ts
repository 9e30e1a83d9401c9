/**
 * `mlops deploy`, `mlops rollback` (../deployments.ts) and `mlops deployments list|show`
 * (../deployment-status.ts, which also follows a request with --wait), wired to commander.
 */
import type { Command } from 'commander';
import { parseInteger, parseModelName, parseSeconds, parseVersion } from '../arguments';
import {
  DEFAULT_DEPLOY_TIMEOUT_SECONDS,
  DEFAULT_DEPLOYMENT_LIMIT,
  deploymentWaitFailure,
  listDeploymentsOf,
  renderDeployment,
  renderDeploymentProgress,
  renderDeploymentsTable,
  showDeployment,
  waitForDeployment,
} from '../deployment-status';
import { type DeploymentRequest, renderRequest, requestDeployment, requestRollback } from '../deployments';
import { CliError } from '../errors';
import { renderJson } from '../output';
import type { GlobalOptions, Session } from '../session';
import type { Target } from '../target';

/** deploy and rollback, then the deployments group (the order of `mlops --help`). */
export function addDeploymentCommands(program: Command, session: Session): void {
  addDeployCommands(program, session);
  addDeploymentsCommands(program, session);
}

interface DeployOptions {
  readonly reason?: string;
  readonly wait?: boolean;
  readonly timeout: string;
}

function addDeployCommands(program: Command, session: Session): void {
  const waitHelp = 'follow the deployment; exit 0 when it is Promoted, 1 when it fails or rolls back';
  const timeoutHelp = 'give up waiting after this long';
  program
    .command('deploy')
    .description(
      'deploy a version to the model’s endpoint (blue/green): an Approved version, or one that served or failed before',
    )
    .argument('<model>', 'the model name')
    .argument('<version>', 'the version number, e.g. 3 or v3')
    .option('--reason <text>', 'why, recorded in the audit trail')
    .option('--wait', waitHelp)
    .option('--timeout <seconds>', timeoutHelp, String(DEFAULT_DEPLOY_TIMEOUT_SECONDS))
    .action(async (model: string, version: string, options: DeployOptions, command: Command) => {
      const globals = command.optsWithGlobals() as GlobalOptions;
      // Checked before the target is looked up: nothing is sent for a bad name, number or timeout.
      const name = parseModelName(model);
      const number = parseVersion(version, 'version');
      const timeoutMs = parseSeconds(options.timeout, '--timeout') * 1000;
      const target = await session.target(globals);
      const request = await requestDeployment(deploymentDeps(target), name, number, {
        reason: options.reason,
        requestedBy: session.context.operator,
        requestId: session.context.newRequestId?.(),
      });
      await afterRequest(session, globals, target, request, options.wait === true, timeoutMs);
    });
  program
    .command('rollback')
    .description(
      'put back the version that served before the current production one (or --to <version>), through the deployment workflow',
    )
    .argument('<model>', 'the model name')
    .option('--to <version>', 'the version to return to; it must have served (been Deployed) before')
    .option('--reason <text>', 'why, recorded in the audit trail')
    .option('--wait', waitHelp)
    .option('--timeout <seconds>', timeoutHelp, String(DEFAULT_DEPLOY_TIMEOUT_SECONDS))
    .action(async (model: string, options: DeployOptions & { to?: string }, command: Command) => {
      const globals = command.optsWithGlobals() as GlobalOptions;
      const name = parseModelName(model);
      const to = options.to === undefined ? undefined : parseVersion(options.to, '--to');
      const timeoutMs = parseSeconds(options.timeout, '--timeout') * 1000;
      const target = await session.target(globals);
      const request = await requestRollback(deploymentDeps(target), name, {
        to,
        reason: options.reason,
        requestedBy: session.context.operator,
        requestId: session.context.newRequestId?.(),
      });
      await afterRequest(session, globals, target, request, options.wait === true, timeoutMs);
    });
}

function deploymentDeps(target: Target) {
  return {
    registry: target.registry,
    s3: target.s3,
    events: target.events,
    eventBus: target.resources.eventBus,
  };
}

/** Prints the request; with --wait, follows it: progress on stderr, the outcome on stdout. */
async function afterRequest(
  session: Session,
  globals: GlobalOptions,
  target: Target,
  request: DeploymentRequest,
  wait: boolean,
  timeoutMs: number,
): Promise<void> {
  if (!wait) return session.print(globals, { request }, () => renderRequest(request));
  session.io.err(`${renderRequest(request).split('\n')[0]} Waiting for it...\n`);
  const result = await waitForDeployment(target.registry, request.deploymentId, {
    timeoutMs,
    pollIntervalMs: session.context.pollIntervalMs,
    onProgress: (progress) => session.io.err(renderDeploymentProgress(progress)),
  });
  if (globals.json) session.io.out(renderJson({ request, ...result }));
  else if (result.outcome === 'Promoted' && result.deployment !== null) {
    const details = await showDeployment(target.registry, request.deploymentId);
    session.io.out(renderDeployment(details, session.now));
  }
  if (result.outcome !== 'Promoted') throw new CliError(deploymentWaitFailure(result, request, timeoutMs));
}

function addDeploymentsCommands(program: Command, session: Session): void {
  const deployments = program.command('deployments').description('deployments of models to their endpoints');
  deployments
    .command('list')
    .description('a model’s deployments, newest first: version, kind, status, start, duration, outcome')
    .argument('<model>', 'the model name')
    .option('--limit <n>', 'at most this many deployments (1-1000)', String(DEFAULT_DEPLOYMENT_LIMIT))
    .action(async (model: string, options: { limit: string }, command: Command) => {
      const globals = command.optsWithGlobals() as GlobalOptions;
      const name = parseModelName(model);
      const limit = parseInteger(options.limit, '--limit', 1, 1000);
      const listing = await listDeploymentsOf((await session.target(globals)).registry, name, limit);
      session.print(globals, listing, () => renderDeploymentsTable(listing, session.now));
    });
  deployments
    .command('show')
    .description(
      'one deployment: stages with times, traffic routing, alarms, reasons, endpoint and endpoint config',
    )
    .argument('<deploymentId>', 'the deployment id `mlops deploy` printed, e.g. churn-v3-1a2b3c4d5e6f7a8b')
    .action(async (deploymentId: string, _options: unknown, command: Command) => {
      const globals = command.optsWithGlobals() as GlobalOptions;
      const details = await showDeployment((await session.target(globals)).registry, deploymentId);
      session.print(globals, details, () => renderDeployment(details, session.now));
    });
}
