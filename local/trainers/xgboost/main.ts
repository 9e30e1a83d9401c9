/**
 * Entry point of the local stand-in for SageMaker's built-in XGBoost 1.7-1 training image:
 * `node --import tsx local/trainers/xgboost/main.ts` with the SageMaker training environment (see
 * training-job.ts and README.md). Exits 0 on success, 1 after writing `<ml root>/output/failure`.
 */
import { runTrainingJob } from './training-job';

void runTrainingJob(process.env, {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
}).then((code) => {
  // exitCode rather than exit(): lets piped stdout drain first.
  process.exitCode = code;
});
