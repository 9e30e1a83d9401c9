/**
 * Where a model's data contract comes from, in the one order the pipeline uses: a full
 * `datasets/<model>/schema.json` wins; else the contract stored from the model's first accepted dataset
 * (which must agree with a partial schema.json); else a partial schema.json (target, problem type, labels)
 * guides the inference. ValidateDataset and the CLI (`mlops validate --model`) both call this, so a file the
 * CLI accepts is one the pipeline accepts.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import {
  conflictsWithPartial,
  type DatasetContract,
  type PartialContract,
  parseDatasetContractJson,
} from '../shared/dataset-contract';
import { declaredContractKey, s3Uri, storedContractKey } from '../shared/s3-layout';
import { getOptionalText } from './s3-io';

/** The data bucket (declared contracts) and the artifacts bucket (stored ones). */
export interface ContractBuckets {
  readonly dataBucket: string;
  readonly artifactsBucket: string;
}

/** The model's contract as found, with the s3:// URI it was read from. */
export type FoundContract =
  | { readonly source: 'declared' | 'stored'; readonly contract: DatasetContract; readonly location: string }
  | { readonly source: 'partial'; readonly partial: PartialContract; readonly location: string }
  | { readonly source: 'none' };

/** A contract that exists but cannot be used; callers turn it into their own error (ContractMissing, CLI). */
export class ContractProblem extends Error {
  override readonly name = 'ContractProblem';
}

/**
 * The model's contract, in the pipeline's order (see the module comment).
 *
 * @throws ContractProblem when a schema.json or the stored contract is invalid, or the two disagree
 */
export async function findModelContract(
  s3: S3Client,
  buckets: ContractBuckets,
  model: string,
): Promise<FoundContract> {
  const declaredUri = s3Uri(buckets.dataBucket, declaredContractKey(model));
  const storedUri = s3Uri(buckets.artifactsBucket, storedContractKey(model));
  const declaredText = await getOptionalText(s3, buckets.dataBucket, declaredContractKey(model));
  const declared = declaredText === undefined ? undefined : parse(declaredText, declaredUri);
  if (declared?.contract !== undefined) {
    return { source: 'declared', contract: declared.contract, location: declaredUri };
  }
  const storedText = await getOptionalText(s3, buckets.artifactsBucket, storedContractKey(model));
  const stored = storedText === undefined ? undefined : parse(storedText, storedUri);
  if (stored !== undefined && stored.contract === undefined) {
    throw new ContractProblem(`${storedUri} is not a complete data contract (it declares no columns)`);
  }
  const partial = declared?.partial;
  if (stored?.contract !== undefined) {
    const conflicts = partial === undefined ? [] : conflictsWithPartial(partial, stored.contract);
    if (conflicts.length > 0) {
      throw new ContractProblem(
        `${declaredUri} disagrees with the contract stored from the model's first accepted dataset, ${storedUri} (${conflicts.join('; ')}): declare the full contract in schema.json, or make the two agree`,
      );
    }
    return { source: 'stored', contract: stored.contract, location: storedUri };
  }
  return partial === undefined ? { source: 'none' } : { source: 'partial', partial, location: declaredUri };
}

function parse(
  text: string,
  where: string,
): { contract: DatasetContract; partial?: undefined } | { partial: PartialContract; contract?: undefined } {
  const parsed = parseDatasetContractJson(text);
  if (!parsed.ok)
    throw new ContractProblem(`${where} is not a valid data contract: ${parsed.errors.join('; ')}`);
  return parsed.contract === undefined ? { partial: parsed.partial } : { contract: parsed.contract };
}
