/**
 * `mlops drift show|report` (../drift-windows.ts: the windows the scheduled check recorded) and
 * `mlops drift compare` (../drift.ts: offline), wired to commander.
 */
import type { Command } from 'commander';
import { DEFAULT_DRIFT_SETTINGS } from '../../lambdas/shared/drift';
import { parseInteger, parseModelName } from '../arguments';
import { readContractFile } from '../contract';
import { compareFiles, comparisonJson, parseCorrection, parseShare, renderComparison } from '../drift';
import {
  DEFAULT_WINDOW_LIMIT,
  LATEST_WINDOW,
  listDriftWindows,
  renderSavedReport,
  renderWindowDetails,
  renderWindowListing,
  saveDriftReport,
  showDriftWindow,
} from '../drift-windows';
import type { GlobalOptions, Session } from '../session';
import type { Target } from '../target';

interface CompareOptions {
  readonly schema?: string;
  readonly target?: string;
  readonly minSamples?: string;
  readonly driftShare?: string;
  readonly critical?: string;
  readonly correction?: string;
}

export function addDriftCommands(program: Command, session: Session): void {
  const drift = program.command('drift').description('drift verdicts and reports');
  const windowHelp = `the window: ${LATEST_WINDOW} or its id, as \`mlops drift show <model>\` lists them`;
  drift
    .command('show')
    .description(
      'the drift windows the scheduled check recorded, newest first; with --window one window: verdict, reasons, capture read, a line per feature',
    )
    .argument('<model>', 'the model name')
    .option('--window <id>', windowHelp)
    .option('--limit <n>', 'at most this many windows (1-1000)', String(DEFAULT_WINDOW_LIMIT))
    .action(async (model: string, options: { window?: string; limit: string }, command: Command) => {
      const globals = command.optsWithGlobals() as GlobalOptions;
      const name = parseModelName(model);
      const limit = parseInteger(options.limit, '--limit', 1, 1000);
      const deps = windowDeps(await session.target(globals));
      if (options.window === undefined) {
        const listing = await listDriftWindows(deps, name, limit);
        return session.print(globals, listing, () => renderWindowListing(listing));
      }
      const details = await showDriftWindow(deps, name, options.window);
      session.print(globals, details, () => renderWindowDetails(details));
    });
  drift
    .command('report')
    .description(
      'save a drift window’s HTML report (self-contained: histograms as inline SVG, the statistics table, verdict and reasons)',
    )
    .argument('<model>', 'the model name')
    .option('--window <id>', `${windowHelp} (default: ${LATEST_WINDOW})`)
    .requiredOption('--out <file>', 'the file to write, e.g. report.html')
    .action(async (model: string, options: { window?: string; out: string }, command: Command) => {
      const globals = command.optsWithGlobals() as GlobalOptions;
      const name = parseModelName(model);
      const saved = await saveDriftReport(
        windowDeps(await session.target(globals)),
        name,
        options.window,
        options.out,
      );
      session.print(globals, saved, () => renderSavedReport(saved));
    });
  drift
    .command('compare')
    .description(
      'offline: the drift check of a current CSV against a reference CSV, the baseline built from the reference as training builds it',
    )
    .argument('<reference>', 'a CSV like a training dataset (header, label column)')
    .argument('<current>', 'a CSV with the same features under a header (a label column is ignored)')
    .option(
      '--schema <file>',
      'the model’s schema.json (columns, types, label); default: inferred from the reference',
    )
    .option(
      '--target <column>',
      'the reference’s label column (default: the one column the current file lacks)',
    )
    .option('--min-samples <n>', 'fewest rows for a verdict', String(DEFAULT_DRIFT_SETTINGS.minSamples))
    .option(
      '--drift-share <share>',
      'share of drifted features that is dataset drift',
      String(DEFAULT_DRIFT_SETTINGS.driftShare),
    )
    .option('--critical <features>', 'comma-separated features whose drift alone is dataset drift')
    .option(
      '--correction <method>',
      'p-value correction: benjamini-hochberg (bh) or bonferroni',
      DEFAULT_DRIFT_SETTINGS.correction,
    )
    .action(async (reference: string, current: string, options: CompareOptions, command: Command) => {
      const globals = command.optsWithGlobals() as GlobalOptions;
      const settings = {
        ...(options.minSamples === undefined
          ? {}
          : { minSamples: parseInteger(options.minSamples, '--min-samples', 1, Number.MAX_SAFE_INTEGER) }),
        ...(options.driftShare === undefined
          ? {}
          : { driftShare: parseShare(options.driftShare, '--drift-share') }),
        ...(options.critical === undefined
          ? {}
          : {
              criticalFeatures: options.critical
                .split(',')
                .map((name) => name.trim())
                .filter((name) => name !== ''),
            }),
        ...(options.correction === undefined ? {} : { correction: parseCorrection(options.correction) }),
      };
      const contract = options.schema === undefined ? undefined : readContractFile(options.schema);
      const comparison = await compareFiles({
        reference,
        current,
        contract,
        target: options.target,
        settings,
      });
      session.print(globals, comparisonJson(comparison), () => renderComparison(comparison));
    });
}

function windowDeps(target: Target) {
  return {
    registry: target.registry,
    windows: target.windows,
    s3: target.s3,
    artifactsBucket: target.resources.artifactsBucket,
  };
}
