/**
 * Routes events the way the template's EventBridge rules do: each enabled rule whose pattern matches
 * starts its targets. S3 notifications are turned into the "Object Created" events S3 sends EventBridge.
 */
import { randomUUID } from 'node:crypto';
import { omitUndefined } from '../../lambdas/shared/omit-undefined';
import type { S3EventRecord } from '../aws/s3';
import type { LocalResources } from '../template/local-resources';
import { type CfnTemplate, resolveIntrinsics, resourcesOfType } from '../template/template';
import { type EventPattern, matchesPattern } from './pattern';
import { type TargetInputSettings, targetInput } from './target-input';

export interface LocalRule {
  readonly logicalId: string;
  /** The rule's ARN and name, for the input transformer's predefined variables. */
  readonly arn: string;
  readonly name: string;
  readonly pattern: EventPattern;
  /** Targets, references resolved: ARN and input settings. */
  readonly targets: readonly ({ readonly arn: string } & TargetInputSettings)[];
}

/** A target an event reaches, with the input EventBridge gives it. */
export interface Delivery {
  readonly arn: string;
  readonly input: unknown;
}

/** The template's enabled pattern rules (scheduled rules have no pattern and are not routed here). */
export function rulesFromTemplate(template: CfnTemplate, resources: LocalResources): LocalRule[] {
  return resourcesOfType(template, 'AWS::Events::Rule').flatMap(([logicalId, resource]) => {
    const properties = resolveIntrinsics(resource.Properties ?? {}, resources.resolve) as {
      EventPattern?: EventPattern;
      State?: string;
      Targets?: ({ Arn: string } & TargetInputSettings)[];
    };
    if (!properties.EventPattern || properties.State === 'DISABLED') return [];
    return [
      {
        logicalId,
        arn: resources.arn(logicalId),
        name: resources.physicalName(logicalId),
        pattern: properties.EventPattern,
        targets: (properties.Targets ?? []).map(({ Arn, Input, InputPath, InputTransformer }) =>
          omitUndefined({ arn: Arn, Input, InputPath, InputTransformer }),
        ),
      },
    ];
  });
}

/** The targets of every rule the event matches, each with the input its settings give it. */
export function matchingTargets(rules: readonly LocalRule[], event: unknown): Delivery[] {
  return rules
    .filter((rule) => matchesPattern(rule.pattern, event))
    .flatMap((rule) =>
      rule.targets.map((target) => ({
        arn: target.arn,
        input: targetInput(target, event as Record<string, unknown>, rule),
      })),
    );
}

/**
 * The EventBridge event S3 sends for a created object. s3rver keeps no versions, so the caller supplies the
 * version id a versioned bucket would have given this upload.
 */
export function objectCreatedEvent(
  record: S3EventRecord,
  env: { account: string; region: string },
  versionId: string,
): Record<string, unknown> {
  const { bucket, object } = record.s3;
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: env.account,
    time: record.eventTime,
    region: env.region,
    resources: [`arn:aws:s3:::${bucket.name}`],
    detail: {
      version: '0',
      bucket: { name: bucket.name },
      object: {
        // Unlike S3 notifications, s3rver's records carry the key decoded, as EventBridge events do: decoding
        // again would turn `a+b.csv` into `a b.csv` and throw on `100%.csv`.
        key: object.key,
        size: object.size ?? 0,
        etag: object.eTag,
        'version-id': versionId,
        sequencer: object.sequencer,
      },
      'request-id': randomUUID(),
      requester: env.account,
      reason: 'PutObject',
    },
  };
}
