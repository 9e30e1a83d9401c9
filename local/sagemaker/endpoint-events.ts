/**
 * The EventBridge events SageMaker sends for endpoints, built from the local hosting's changes: `SageMaker Endpoint
 * State Change` (an endpoint's status) and `SageMaker Endpoint Deployment State Change` (the stages of a blue/green
 * update and its rollback). Shapes follow the examples in "Events that Amazon SageMaker AI sends to Amazon
 * EventBridge" (https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html): the
 * envelope (version "0", id, detail-type, source "aws.sagemaker", account, time, region, resources = the endpoint's
 * ARN) and a detail that mirrors DescribeEndpoint — EndpointName, EndpointArn, EndpointConfigName,
 * ProductionVariants, EndpointStatus in upper snake case (`IN_SERVICE`, `UPDATING`), CreationTime and
 * LastModifiedTime in epoch ms, Tags as a map, and for deployments PendingDeploymentSummary with each variant's
 * VariantStatus (Status, StatusMessage, StartTime).
 */
import { randomUUID } from 'node:crypto';
import type { DeploymentStageChange, EndpointStatusChange } from './endpoint-lifecycle';
import type { EndpointState, Fleet, LocalEndpointStatus } from './hosting-state';

export const ENDPOINT_STATE_CHANGE = 'SageMaker Endpoint State Change';
export const ENDPOINT_DEPLOYMENT_STATE_CHANGE = 'SageMaker Endpoint Deployment State Change';

/** Where the events come from. */
export interface EndpointEventContext {
  readonly account: string;
  readonly region: string;
  /** Event ids. @default randomUUID */
  readonly id?: () => string;
}

/** An EventBridge event as SageMaker puts it on the default bus. */
export interface SageMakerEndpointEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': typeof ENDPOINT_STATE_CHANGE | typeof ENDPOINT_DEPLOYMENT_STATE_CHANGE;
  readonly source: 'aws.sagemaker';
  readonly account: string;
  /** ISO 8601 to the second, as EventBridge events carry it ("2021-10-25T01:52:12Z"). */
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: Record<string, unknown>;
}

/**
 * `SageMaker Endpoint State Change` for an endpoint status change; undefined for `Deleted` (the endpoint is gone:
 * SageMaker documents no status after DELETING for these events, and DescribeEndpoint then answers "Could not find
 * endpoint", which is what a listener checks).
 */
export function endpointStateChangeEvent(
  change: EndpointStatusChange,
  context: EndpointEventContext,
): SageMakerEndpointEvent | undefined {
  if (change.status === 'Deleted') return undefined;
  const endpoint = change.endpoint;
  const fleet = endpoint?.serving ?? endpoint?.pending;
  return envelope(ENDPOINT_STATE_CHANGE, change.endpointArn, change.time, context, {
    EndpointName: change.endpointName,
    EndpointArn: change.endpointArn,
    EndpointConfigName: change.endpointConfigName ?? fleet?.endpointConfigName,
    ProductionVariants: fleet ? variants(fleet, endpoint?.serving !== undefined) : [],
    EndpointStatus: eventStatus(change.status),
    ...(endpoint ? endpointTimes(endpoint) : {}),
    Tags: tags(endpoint),
    // Absent rather than undefined: in-process Lambdas get the event as is, without EventBridge's JSON.
    ...(endpoint?.failureReason === undefined ? {} : { FailureReason: endpoint.failureReason }),
  });
}

/**
 * `SageMaker Endpoint Deployment State Change` for a stage of an update: the endpoint with its serving (blue)
 * config and variants, and PendingDeploymentSummary with the green fleet's variants in that stage. After an alarm
 * rollback the detail is the endpoint as DescribeEndpoint then shows it (IN_SERVICE on the old config, its
 * FailureReason naming the alarms) with the green fleet `Deleting` ("Terminating X instance(s).").
 */
export function endpointDeploymentStateChangeEvent(
  change: DeploymentStageChange,
  context: EndpointEventContext,
): SageMakerEndpointEvent {
  const { endpoint, pending } = change;
  const serving = endpoint.serving;
  return envelope(ENDPOINT_DEPLOYMENT_STATE_CHANGE, change.endpointArn, change.time, context, {
    EndpointName: change.endpointName,
    EndpointArn: change.endpointArn,
    EndpointConfigName: serving?.endpointConfigName ?? pending.endpointConfigName,
    ProductionVariants: serving ? variants(serving, true) : [],
    EndpointStatus: eventStatus(endpoint.status),
    ...endpointTimes(endpoint),
    Tags: tags(endpoint),
    ...(endpoint.failureReason === undefined ? {} : { FailureReason: endpoint.failureReason }),
    PendingDeploymentSummary: {
      EndpointConfigName: pending.endpointConfigName,
      StartTime: pending.startTime,
      ProductionVariants: pending.variants.map((variant) => ({
        VariantName: variant.variantName,
        CurrentWeight: (change.trafficPercent / 100) * variant.weight,
        DesiredWeight: variant.weight,
        ...(variant.serverlessConfig
          ? {}
          : {
              CurrentInstanceCount: change.status === 'Creating' ? 0 : variant.instanceCount,
              DesiredInstanceCount: variant.instanceCount,
            }),
        VariantStatus: [
          { Status: change.status, StatusMessage: change.message, StartTime: change.startTime },
        ],
      })),
    },
  });
}

/** `InService` → `IN_SERVICE`, `UpdateRollbackFailed` → `UPDATE_ROLLBACK_FAILED`: the events' spelling. */
export function eventStatus(status: LocalEndpointStatus | string): string {
  return status.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
}

function envelope(
  detailType: SageMakerEndpointEvent['detail-type'],
  arn: string,
  time: Date,
  context: EndpointEventContext,
  detail: Record<string, unknown>,
): SageMakerEndpointEvent {
  return {
    version: '0',
    id: (context.id ?? randomUUID)(),
    'detail-type': detailType,
    source: 'aws.sagemaker',
    account: context.account,
    time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: context.region,
    resources: [arn],
    detail,
  };
}

/** ProductionVariants as the examples list them; a fleet not serving yet (Creating) has no current capacity. */
function variants(fleet: Fleet, serving: boolean): Record<string, unknown>[] {
  return fleet.variants.map((variant) => ({
    VariantName: variant.variantName,
    CurrentWeight: serving ? variant.weight : 0,
    DesiredWeight: variant.weight,
    ...(variant.serverlessConfig
      ? {}
      : {
          CurrentInstanceCount: serving ? variant.instanceCount : 0,
          DesiredInstanceCount: variant.instanceCount,
        }),
  }));
}

function endpointTimes(endpoint: Readonly<EndpointState>): Record<string, number> {
  return { CreationTime: endpoint.creationTime, LastModifiedTime: endpoint.lastModifiedTime };
}

/** Tags as the events carry them: a map of key to value (`"Tags": {}` without any). */
function tags(endpoint: Readonly<EndpointState> | undefined): Record<string, string> {
  return Object.fromEntries((endpoint?.tags ?? []).map((tag) => [String(tag.Key), String(tag.Value ?? '')]));
}
