/**
 * Endpoint waiters: the task token a deployment workflow waits with for its endpoint's next state change, by
 * endpoint name (all a SageMaker endpoint event carries). One item per endpoint (table-design.ts conventions;
 * its key in keys.ts, its requests in requests.ts):
 *
 * | item            | PK                        | SK     |
 * |-----------------|---------------------------|--------|
 * | endpoint waiter | ENDPOINTWAITER#<endpoint> | WAITER |
 *
 * The endpoint-event function takes a waiter once (a conditional delete) to resume the workflow; the table's
 * TTL removes one nobody took. ModelRegistryClient delegates its waiter methods here and documents their
 * contracts.
 */
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { withRetry } from './dynamo';
import { describeKey, endpointWaiterKey } from './keys';
import {
  idSchema,
  parseInput,
  parseItem,
  sageMakerNameSchema,
  storedWaiterSchema,
  taskTokenSchema,
  waiterTtlSchema,
} from './schemas';
import type { RegistryStore } from './store';
import type { EndpointWaiter } from './types';

/** A waiter nobody took is cleaned up after two days (longer than any deployment waits). */
const DEFAULT_WAITER_TTL_SECONDS = 2 * 86_400;

export class EndpointWaiters {
  constructor(private readonly store: RegistryStore) {}

  async putEndpointWaiter(
    endpointName: string,
    taskToken: string,
    deploymentId: string,
    options: { readonly ttlSeconds?: number } = {},
  ): Promise<EndpointWaiter> {
    const waiter: EndpointWaiter = {
      endpointName: parseInput(sageMakerNameSchema, endpointName, 'endpointName'),
      taskToken: parseInput(taskTokenSchema, taskToken, 'taskToken'),
      deploymentId: parseInput(idSchema, deploymentId, 'deploymentId'),
      createdAt: this.store.now(),
    };
    const ttlSeconds = parseInput(
      waiterTtlSchema,
      options.ttlSeconds ?? DEFAULT_WAITER_TTL_SECONDS,
      'ttlSeconds',
    );
    const cleanupAt = Math.ceil(this.store.clock().getTime() / 1000) + ttlSeconds;
    await withRetry(`putEndpointWaiter ${waiter.endpointName}`, this.store.retry, async () => {
      const request = this.store.requests.waiterPut(waiter, cleanupAt);
      return this.store.write(() => this.store.doc.send(new PutCommand(request)));
    });
    return waiter;
  }

  async getEndpointWaiter(endpointName: string): Promise<EndpointWaiter | undefined> {
    const name = parseInput(sageMakerNameSchema, endpointName, 'endpointName');
    return this.store.getItem(endpointWaiterKey(name), storedWaiterSchema);
  }

  async takeEndpointWaiter(endpointName: string): Promise<EndpointWaiter | undefined> {
    const name = parseInput(sageMakerNameSchema, endpointName, 'endpointName');
    return withRetry(`takeEndpointWaiter ${name}`, this.store.retry, async () => {
      const request = this.store.requests.waiterTake(name);
      return this.store.write(
        async () => {
          const output = await this.store.doc.send(new DeleteCommand(request));
          return parseItem(storedWaiterSchema, output.Attributes ?? {}, describeKey(endpointWaiterKey(name)));
        },
        () => undefined,
      );
    });
  }

  async deleteEndpointWaiter(endpointName: string, deploymentId: string): Promise<boolean> {
    const name = parseInput(sageMakerNameSchema, endpointName, 'endpointName');
    const id = parseInput(idSchema, deploymentId, 'deploymentId');
    return withRetry(`deleteEndpointWaiter ${name}`, this.store.retry, async () => {
      const request = this.store.requests.waiterDelete(name, id);
      return this.store.write(
        async () => {
          await this.store.doc.send(new DeleteCommand(request));
          return true;
        },
        () => false,
      );
    });
  }
}
