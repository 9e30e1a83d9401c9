/** Lays out a SageMaker training job directory (what /opt/ml holds in the container) for trainer tests. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface JobLayout {
  /** Written to input/config/hyperparameters.json when given. */
  readonly hyperparameters?: Record<string, string>;
  /** Channel name -> file name -> CSV text, under input/data/<channel>/. */
  readonly channels: Record<string, Record<string, string>>;
  /** Written to input/config/inputdataconfig.json when given. */
  readonly inputDataConfig?: Record<string, { ContentType?: string }>;
}

export interface Job {
  readonly root: string;
  /** The SageMaker training toolkit's variables for this job (no SM_HPS). */
  readonly env: Record<string, string>;
}

/** Creates the job directory in a fresh temporary folder. */
export function createJob(layout: JobLayout): Job {
  const root = mkdtempSync(path.join(os.tmpdir(), 'xgboost-job-'));
  const config = path.join(root, 'input', 'config');
  mkdirSync(config, { recursive: true });
  if (layout.hyperparameters) {
    writeFileSync(path.join(config, 'hyperparameters.json'), JSON.stringify(layout.hyperparameters));
  }
  if (layout.inputDataConfig) {
    writeFileSync(path.join(config, 'inputdataconfig.json'), JSON.stringify(layout.inputDataConfig));
  }
  const env: Record<string, string> = { SAGEMAKER_ML_ROOT: root, SM_MODEL_DIR: path.join(root, 'model') };
  for (const [channel, files] of Object.entries(layout.channels)) {
    const dir = path.join(root, 'input', 'data', channel);
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), text);
    }
    env[`SM_CHANNEL_${channel.toUpperCase()}`] = dir;
  }
  return { root, env };
}
