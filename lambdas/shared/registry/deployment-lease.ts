/**
 * The per-model deployment lease: at most one deployment of a model at a time. One item per model
 * (table-design.ts conventions; its key in keys.ts, its requests in requests.ts):
 *
 * | item         | PK            | SK               |
 * |--------------|---------------|------------------|
 * | deploy lease | MODEL#<model> | LEASE#deployment |
 *
 * Its own `leaseExpiresAt` (epoch ms) decides when another deployment may take it over, since TTL deletion may
 * lag; the deployment transactions (deployments.ts) check it is still theirs. ModelRegistryClient delegates its
 * lease methods here and documents their contracts.
 */
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { numberAttribute, oldItemOf, RETRY, stringAttribute, withRetry } from './dynamo';
import { LeaseHeldError, LeaseNotHeldError } from './errors';
import { deploymentLeaseKey, describeKey } from './keys';
import {
  idSchema,
  modelNameSchema,
  parseInput,
  parseItem,
  storedLeaseSchema,
  takeLeaseOptionsSchema,
} from './schemas';
import type { RegistryStore } from './store';
import type { DeploymentLease, TakeLeaseOptions } from './types';

export class DeploymentLeases {
  constructor(private readonly store: RegistryStore) {}

  async takeDeploymentLease(
    model: string,
    deploymentId: string,
    options: TakeLeaseOptions,
  ): Promise<DeploymentLease> {
    const name = parseInput(modelNameSchema, model, 'model');
    const id = parseInput(idSchema, deploymentId, 'deploymentId');
    const { ttlSeconds } = parseInput(takeLeaseOptionsSchema, options, 'options');
    return withRetry(`takeDeploymentLease ${name}`, this.store.retry, async () => {
      const now = this.store.clock();
      const untilMs = now.getTime() + ttlSeconds * 1000;
      const at = this.store.now();
      const request = this.store.requests.leaseTake({
        model: name,
        holder: id,
        at,
        nowMs: now.getTime(),
        untilMs,
      });
      return this.store.write(
        async () => {
          await this.store.doc.send(new PutCommand(request));
          return { model: name, holder: id, acquiredAt: at, expiresAt: new Date(untilMs).toISOString() };
        },
        (error) => {
          const old = oldItemOf(error);
          const holder = stringAttribute(old, 'holder');
          const until = numberAttribute(old, 'leaseExpiresAt');
          // Released between the check and our read of it: try again.
          if (holder === undefined || until === undefined) return RETRY;
          throw new LeaseHeldError(name, holder, new Date(until).toISOString(), id);
        },
      );
    });
  }

  async renewDeploymentLease(
    model: string,
    deploymentId: string,
    options: TakeLeaseOptions,
  ): Promise<DeploymentLease> {
    const name = parseInput(modelNameSchema, model, 'model');
    const id = parseInput(idSchema, deploymentId, 'deploymentId');
    const { ttlSeconds } = parseInput(takeLeaseOptionsSchema, options, 'options');
    return withRetry(`renewDeploymentLease ${name}`, this.store.retry, async () => {
      const untilMs = this.store.clock().getTime() + ttlSeconds * 1000;
      const request = this.store.requests.leaseRenewal(name, id, untilMs);
      return this.store.write(
        async () => {
          const output = await this.store.doc.send(new UpdateCommand(request));
          return parseItem(storedLeaseSchema, output.Attributes ?? {}, describeKey(deploymentLeaseKey(name)));
        },
        (error) => {
          throw new LeaseNotHeldError(name, id, stringAttribute(oldItemOf(error), 'holder'));
        },
      );
    });
  }

  async releaseDeploymentLease(model: string, deploymentId: string): Promise<boolean> {
    const name = parseInput(modelNameSchema, model, 'model');
    const id = parseInput(idSchema, deploymentId, 'deploymentId');
    return withRetry(`releaseDeploymentLease ${name}`, this.store.retry, async () => {
      const request = this.store.requests.leaseRelease(name, id);
      return this.store.write(
        async () => {
          await this.store.doc.send(new DeleteCommand(request));
          return true;
        },
        () => false,
      );
    });
  }

  async getDeploymentLease(model: string): Promise<DeploymentLease | undefined> {
    const name = parseInput(modelNameSchema, model, 'model');
    return this.store.getItem(deploymentLeaseKey(name), storedLeaseSchema);
  }
}
