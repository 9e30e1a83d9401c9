/**
 * Listing a model's capture files by when they landed in S3, for the drift check, the quality check and
 * the retrainer.
 */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { captureHour, capturePrefix, parseCaptureKey } from '../s3-layout';

/** Where capture is: the artifacts bucket. */
export interface CaptureBucket {
  readonly s3: Pick<S3Client, 'send'>;
  readonly artifactsBucket: string;
}

/**
 * How long after its first record a capture file may land in S3. SageMaker (and the inference API) write a
 * file every few seconds to minutes; a file later than this is not listed.
 */
export const MAX_CAPTURE_DELAY_SECONDS = 6 * 3600;

/**
 * The keys of the model's capture files whose LastModified is in (from, until], oldest first.
 *
 * Files are `capture/<model>/<endpoint>/<variant>/yyyy/mm/dd/hh/…`, the hour their first record was taken
 * (local/sagemaker/runtime/capture.ts), and land at most {@link MAX_CAPTURE_DELAY_SECONDS} later. So each
 * variant folder is listed from the hour folder of `from` less that delay (ListObjectsV2 StartAfter), not
 * from its start: a check lists about a window's worth of keys however long the model has been capturing.
 * Variant folders are found by hopping: the first key after the previous folder names the next one
 * (StartAfter `<folder>0` skips past everything under `<folder>/`, as `/` sorts just before `0`); this needs
 * no Delimiter, which s3rver does not answer with CommonPrefixes. Every listing is paginated.
 */
export async function* windowFiles(
  deps: CaptureBucket,
  model: string,
  from: string,
  until: string,
): AsyncGenerator<string> {
  const low = Date.parse(from);
  const high = Date.parse(until);
  const selected: { key: string; at: number }[] = [];
  const consider = (objects: readonly { Key?: string | undefined; LastModified?: Date | undefined }[]) => {
    for (const object of objects) {
      const at = object.LastModified?.getTime();
      if (object.Key !== undefined && at !== undefined && at > low && at <= high) {
        selected.push({ key: object.Key, at });
      }
    }
  };
  const prefix = capturePrefix(model);
  const startHour = captureHour(low - MAX_CAPTURE_DELAY_SECONDS * 1000);
  const list = (input: { Prefix: string; StartAfter?: string; ContinuationToken?: string }) =>
    deps.s3.send(new ListObjectsV2Command({ Bucket: deps.artifactsBucket, ...input }));
  let after: string | undefined;
  for (;;) {
    // No MaxKeys 1: s3rver fails a truncated listing (its continuation tokens need OpenSSL's legacy
    // provider), and a page of keys costs S3 no more than one.
    const first = (await list({ Prefix: prefix, ...(after === undefined ? {} : { StartAfter: after }) }))
      .Contents?.[0];
    if (first?.Key === undefined) break;
    const variant = parseCaptureKey(prefix, first.Key)?.variantFolder;
    if (variant === undefined) {
      // Not in an endpoint/variant folder: judged by itself.
      consider([first]);
      after = first.Key;
      continue;
    }
    let token: string | undefined;
    do {
      const page = await list({
        Prefix: variant,
        ...(token === undefined ? { StartAfter: `${variant}${startHour}` } : { ContinuationToken: token }),
      });
      consider(page.Contents ?? []);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    after = `${variant.slice(0, -1)}0`;
  }
  selected.sort((a, b) => a.at - b.at || a.key.localeCompare(b.key));
  for (const file of selected) yield file.key;
}
