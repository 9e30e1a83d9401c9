import { describe, expect, it } from 'vitest';
import { scheduleInputOf } from '../../../../lambdas/check-quality/input';
import { scheduledEvent, scheduledRulesFromTemplate } from '../../../../local/events/schedule';
import { jsonPath, targetInput } from '../../../../local/events/target-input';
import { DEFAULT_LOCAL_ENVIRONMENT, LocalResources } from '../../../../local/template/local-resources';
import type { CfnTemplate } from '../../../../local/template/template';
import { synthStack } from '../../../support/cdk';

const RULE = { arn: 'arn:aws:events:us-east-1:123456789012:rule/r', name: 'r' };
const EVENT = {
  version: '0',
  id: 'e1',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  time: '2015-11-11T21:29:54Z',
  detail: { instance: 'i-0123456789', state: 'running', tags: ['a', 'b'] },
};

describe("a rule target's input, as EventBridge builds it", () => {
  it('is the event without input settings, the constant Input, or the InputPath part', () => {
    // Act / Assess
    expect(targetInput({}, EVENT, RULE)).toBe(EVENT);
    expect(targetInput({ Input: '{"fixed":true}' }, EVENT, RULE)).toEqual({ fixed: true });
    expect(targetInput({ InputPath: '$.detail' }, EVENT, RULE)).toEqual(EVENT.detail);
    expect(jsonPath(EVENT, '$.detail.tags[1]')).toBe('b');
  });

  it("fills a JSON template as the InputTransformer reference's example: JSON outside quotes, text inside", () => {
    // Prepare: API_InputTransformer's example
    const transformer = {
      InputPathsMap: { instance: '$.detail.instance', status: '$.detail.state' },
      InputTemplate: '{"myInstance": <instance>,"myStatus": "<instance> is in state \\"<status>\\""}',
    };

    // Act
    const input = targetInput({ InputTransformer: transformer }, EVENT, RULE);

    // Assess
    expect(input).toEqual({ myInstance: 'i-0123456789', myStatus: 'i-0123456789 is in state "running"' });
  });

  it('fills a text template and the predefined variables (rule name and ARN, the event)', () => {
    // Act
    const text = targetInput(
      {
        InputTransformer: {
          InputPathsMap: { instance: '$.detail.instance' },
          InputTemplate: '<instance> changed (rule <aws.events.rule-name>)',
        },
      },
      EVENT,
      RULE,
    );
    const json = targetInput(
      {
        InputTransformer: {
          InputTemplate: '{"rule":"<aws.events.rule-arn>","event":<aws.events.event.json>}',
        },
      },
      EVENT,
      RULE,
    );

    // Assess
    expect(text).toBe('i-0123456789 changed (rule r)');
    expect(json).toEqual({ rule: RULE.arn, event: EVENT });
  });

  it("gives the stack's monitoring schedule targets {models, exclude, time} that the checks accept", () => {
    // Prepare: the synthesized schedule rules, with the Scheduled Event they fire
    const template = synthStack({
      config: { models: { churn: { monitoring: { schedule: 'rate(15 minutes)' } } } },
    }).template.toJSON() as CfnTemplate;
    const resources = new LocalResources(template, DEFAULT_LOCAL_ENVIRONMENT);
    const rules = scheduledRulesFromTemplate(template, resources).filter((rule) =>
      rule.targets.some((target) => target.InputTransformer !== undefined),
    );
    const at = new Date('2026-11-30T15:00:00Z');

    // Act
    const inputs = rules.flatMap((rule) =>
      rule.targets.map((target) =>
        targetInput(target, scheduledEvent(resources.arn(rule.logicalId), at, resources.env), {
          arn: resources.arn(rule.logicalId),
          name: rule.logicalId,
        }),
      ),
    );

    // Assess
    expect(inputs.length).toBeGreaterThanOrEqual(2);
    for (const input of inputs) expect(scheduleInputOf(input).time).toBe(at.toISOString());
    expect(inputs).toContainEqual(expect.objectContaining({ models: ['churn'] }));
    expect(inputs).toContainEqual(expect.objectContaining({ models: '*', exclude: ['churn'] }));
  });
});
