/**
 * What runs locally for SageMaker's built-in XGBoost image: the stand-in learner in local/trainers/xgboost,
 * and the metric regexes SageMaker applies to the built-in algorithm's logs.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { XGBOOST_METRICS } from '../../lambdas/shared/metrics';

const XGBOOST_IMAGE = /\/sagemaker-xgboost:/;
const NUMBER = '([-+]?[0-9]*\\.?[0-9]+(?:[eE][-+]?[0-9]+)?)';

/** The built-in XGBoost image runs the local stand-in trainer with this Node and tsx. */
export function builtInXgboostTrainer(): { readonly image: RegExp; readonly command: readonly string[] } {
  // An absolute loader URL: the job runs in its own directory, where a bare `tsx` might not resolve.
  const tsx = pathToFileURL(require.resolve('tsx')).href;
  return {
    image: XGBOOST_IMAGE,
    command: [process.execPath, '--import', tsx, join(__dirname, 'xgboost', 'main.ts')],
  };
}

/**
 * SageMaker's metric definitions for the built-in XGBoost: `[round]#011<channel>-<metric>:<value>`
 * (CloudWatch renders the tab as #011), for the train and validation channels.
 */
export function builtInXgboostMetricDefinitions(image: string): { Name: string; Regex: string }[] {
  if (!XGBOOST_IMAGE.test(image)) return [];
  return XGBOOST_METRICS.flatMap(({ name }) => {
    const metric = name.slice(name.indexOf(':') + 1);
    return ['train', 'validation'].map((channel) => ({
      Name: `${channel}:${metric}`,
      Regex: `.*\\[[0-9]+\\].*#011${channel}-${metric}:${NUMBER}.*`,
    }));
  });
}
