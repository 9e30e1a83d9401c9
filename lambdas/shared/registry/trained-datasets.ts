/**
 * The registry's record of the bytes each model trained on (MODEL#<model> / DATASET#<sha256>, written by
 * registerVersion), read on its own: ValidateDataset's only registry read, without the whole client in its
 * bundle. ModelRegistryClient.findTrainedDataset reads it the same way.
 */
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import * as z from '../zod';
import { CorruptItemError } from './errors';
import { describeKey, trainedDatasetKey } from './keys';
import type { TrainedDataset } from './types';

export const storedTrainedDatasetSchema: z.ZodMiniType<TrainedDataset> = z.object({
  model: z.string(),
  sha256: z.string(),
  runId: z.string(),
  version: z.int(),
  createdAt: z.string(),
});

/** Finds the run that first registered a version from a model's bytes. */
export interface TrainedDatasetLookup {
  findTrainedDataset(model: string, sha256: string): Promise<TrainedDataset | undefined>;
}

/** {@link TrainedDatasetLookup} with one strongly consistent GetItem (IAM: dynamodb:GetItem). */
export class TrainedDatasets implements TrainedDatasetLookup {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async findTrainedDataset(model: string, sha256: string): Promise<TrainedDataset | undefined> {
    return readTrainedDataset(this.doc, this.tableName, model, sha256);
  }
}

/**
 * Reads the record, or undefined when the model never trained on these bytes.
 * @throws CorruptItemError when the stored item does not have the record's shape
 */
export async function readTrainedDataset(
  doc: DynamoDBDocumentClient,
  tableName: string,
  model: string,
  sha256: string,
): Promise<TrainedDataset | undefined> {
  const key = trainedDatasetKey(model, sha256);
  const { Item } = await doc.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
  if (Item === undefined) return undefined;
  const parsed = z.safeParse(storedTrainedDatasetSchema, Item);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  throw new CorruptItemError(describeKey(key), problems.join('; '));
}
