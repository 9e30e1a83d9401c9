/**
 * How SDK clients reach s3rver: kept apart from the server (s3.ts) so the CLI can build a client without
 * loading s3rver.
 */
import type { S3ClientConfig } from '@aws-sdk/client-s3';

/** Credentials s3rver insists on; the other local servers accept any. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/** An S3 client configuration that works with s3rver (for clients built in this process, not Lambdas). */
export function localS3ClientConfig(
  endpoint: string,
  region: string,
  credentials: S3ClientConfig['credentials'] = LOCAL_CREDENTIALS,
): S3ClientConfig {
  return {
    region,
    endpoint,
    credentials,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

/** The standard SDK environment that points every S3 client at s3rver, with the settings s3rver needs. */
export function s3ClientEnvironment(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
  };
}
