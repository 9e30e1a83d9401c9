/**
 * The model registry's single-table design. The CDK construct and the registry client both read these
 * names, so the deployed table and the code that queries it cannot drift apart.
 *
 * | item            | PK                        | SK                         | GSI1PK             | GSI1SK              | GSI2PK                   | GSI2SK              |
 * |-----------------|---------------------------|----------------------------|--------------------|---------------------|--------------------------|---------------------|
 * | model           | MODEL#<model>             | MODEL                      | MODELS             | <model>             |                          |                     |
 * | version         | MODEL#<model>             | VERSION#<10-digit version> |                    |                     |                          |                     |
 * | alias           | MODEL#<model>             | ALIAS#<alias>              |                    |                     |                          |                     |
 * | audit event     | MODEL#<model>             | EVENT#<iso time>#<id>      |                    |                     |                          |                     |
 * | trained dataset | MODEL#<model>             | DATASET#<sha256>           |                    |                     |                          |                     |
 * | deploy lease    | MODEL#<model>             | LEASE#deployment           |                    |                     |                          |                     |
 * | run             | RUN#<runId>               | RUN                        | RUNSTATUS#<status> | <startedAt>#<runId> | MODELRUNS#<model>        | <startedAt>#<runId> |
 * | deployment      | DEPLOYMENT#<id>           | DEPLOYMENT                 |                    |                     | MODELDEPLOYMENTS#<model> | <startedAt>#<id>    |
 * | endpoint waiter | ENDPOINTWAITER#<endpoint> | WAITER                     |                    |                     |                          |                     |
 * | idempotency key | IDEMPOTENCY#<key>         | IDEMPOTENCY                |                    |                     |                          |                     |
 *
 * A trained dataset (`runId`, `version`: the first run that registered a version from those bytes) is
 * written with the version; ValidateDataset reads it to end a re-upload of the same bytes as a duplicate.
 *
 * Idempotency keys that guard a one-off write (a version per run) are permanent; others carry `expiresAt`.
 *
 * The deployment lease holds one deployment per model at a time: its own `leaseExpiresAt` (epoch ms) decides
 * when another deployment may take it over, because TTL deletion may lag by days; `expiresAt` (a day later)
 * only cleans it up. An endpoint waiter carries `expiresAt` too: a workflow that timed out leaves none behind.
 */
export const RegistryKeys = {
  partitionKey: 'PK',
  sortKey: 'SK',
  /** Overloaded index: all models; runs by status. */
  gsi1: { indexName: 'GSI1', partitionKey: 'GSI1PK', sortKey: 'GSI1SK' },
  /** Overloaded index: runs by model; deployments by model. */
  gsi2: { indexName: 'GSI2', partitionKey: 'GSI2PK', sortKey: 'GSI2SK' },
  /** Epoch seconds after which DynamoDB may delete the item (idempotency keys, leases, endpoint waiters). */
  timeToLive: 'expiresAt',
} as const;
