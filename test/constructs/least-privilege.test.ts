/**
 * The whole synthesized stack, role by role: the registry (DynamoDB) actions and resources each role is
 * allowed, every s3:ListBucket limited by s3:prefix and every kms:CreateGrant limited to grants for AWS
 * resources. A grant that drifts from what the code calls, or a new role, fails here until it is listed.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthStack } from '../support/cdk';

const CONFIG = {
  models: {
    churn: { problemType: 'binary', targetColumn: 'churned' },
  },
};

interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

const TABLE = 'table';
const GSI1 = 'index GSI1';
const GSI2 = 'index GSI2';

/** Registry access per role (logical id without its hash): action -> resources, or none at all. */
const REGISTRY_ACCESS: Record<string, Record<string, string[]>> = {
  // The training pipeline (lambdas/shared/registry: runs, versions, events).
  TrainingFunctionsStartRunRole: { GetItem: [TABLE], PutItem: [TABLE] },
  TrainingFunctionsValidateDatasetRole: { GetItem: [TABLE] },
  TrainingFunctionsEvaluateModelRole: { GetItem: [TABLE] },
  TrainingFunctionsRegisterModelRole: { GetItem: [TABLE], PutItem: [TABLE], UpdateItem: [TABLE] },
  TrainingFunctionsRecordFailureRole: { GetItem: [TABLE], PutItem: [TABLE], UpdateItem: [TABLE] },
  TrainingFunctionsRecordDuplicateRole: { GetItem: [TABLE], PutItem: [TABLE], UpdateItem: [TABLE] },
  TrainingFunctionsReconcileExecutionRole: { GetItem: [TABLE], PutItem: [TABLE], UpdateItem: [TABLE] },
  // The step the run is in, written by the workflow itself (dynamodb:updateItem task).
  TrainingStateMachineRole: { UpdateItem: [TABLE] },
  TrainingStateMachineEventsRole: {},
  TrainingTrainingRole: {},
  // The deployment workflow (lambdas/shared/registry/deployments.ts).
  DeploymentFunctionsStartDeploymentRole: {},
  DeploymentFunctionsPrepareDeploymentRole: {
    ConditionCheckItem: [TABLE],
    GetItem: [TABLE],
    PutItem: [TABLE],
    Query: [GSI2],
  },
  DeploymentFunctionsBeginDeploymentRole: {
    ConditionCheckItem: [TABLE],
    GetItem: [TABLE],
    PutItem: [TABLE],
    UpdateItem: [TABLE],
  },
  DeploymentFunctionsWaitForEndpointRole: { DeleteItem: [TABLE], PutItem: [TABLE] },
  DeploymentFunctionsEndpointEventRole: { DeleteItem: [TABLE], GetItem: [TABLE], UpdateItem: [TABLE] },
  DeploymentFunctionsSmokeTestRole: { GetItem: [TABLE], UpdateItem: [TABLE] },
  DeploymentFunctionsPromoteDeploymentRole: {
    ConditionCheckItem: [TABLE],
    GetItem: [TABLE],
    PutItem: [TABLE],
    UpdateItem: [TABLE],
  },
  // recordDeploymentFailure: Get, then a transaction of Updates and Puts; no ConditionCheck.
  DeploymentFunctionsRecordDeploymentFailureRole: { GetItem: [TABLE], PutItem: [TABLE], UpdateItem: [TABLE] },
  DeploymentFunctionsFinishDeploymentRole: {
    DeleteItem: [TABLE],
    GetItem: [TABLE],
    Query: [GSI2],
    UpdateItem: [TABLE],
  },
  DeploymentStateMachineRole: {},
  DeploymentModelExecutionRole: {},
  DeploymentModelExecutionRoleForchurn: {},
  // Monitoring: the checks list models on GSI1 and record windows as three Puts; the retrainer reads windows
  // (a table Query), finds runs on GSI2 and moves its slot with UpdateItem.
  MonitoringCheckDriftRole: { GetItem: [TABLE], PutItem: [TABLE], Query: [GSI1] },
  MonitoringCheckQualityRole: { GetItem: [TABLE], PutItem: [TABLE], Query: [GSI1] },
  MonitoringRetrainRole: {
    GetItem: [TABLE],
    PutItem: [TABLE],
    Query: [TABLE, GSI2],
    UpdateItem: [TABLE],
  },
  RunCostRole: { GetItem: [TABLE], UpdateItem: [TABLE] },
  NotificationsNotifyRole: {},
  InferenceApiInvokeModelRole: {},
  // CDK's own handlers (bucket notifications, auto-delete objects).
  BucketNotificationsHandler050a0587b7544547bf325f094a3db834Role: {},
  CustomS3AutoDeleteObjectsCustomResourceProviderRole: {},
};

/** `RegistryTableDB777839` -> `table`, `.../index/GSI1` -> `index GSI1`; anything else as JSON. */
function registryResource(resource: unknown): string {
  const text = JSON.stringify(resource);
  if (/^\{"Fn::GetAtt":\["RegistryTable[0-9A-F]{8}","Arn"\]\}$/.test(text)) return TABLE;
  const index =
    /^\{"Fn::Join":\["",\[\{"Fn::GetAtt":\["RegistryTable[0-9A-F]{8}","Arn"\]\},"\/index\/(\w+)"\]\]\}$/.exec(
      text,
    );
  return index ? `index ${index[1]}` : text;
}

const actionsOf = (statement: Statement) => [statement.Action].flat();
const withoutHash = (logicalId: string) => logicalId.replace(/[0-9A-F]{8}$/, '');

describe('least privilege across the synthesized stack', () => {
  let template: Template;
  /** Every identity-policy statement of each role, by role logical id. */
  let statementsByRole: Map<string, Statement[]>;

  beforeAll(() => {
    ({ template } = synthStack({ config: CONFIG }));
    const resources = template.toJSON().Resources as Record<
      string,
      { Type: string; Properties: Record<string, unknown> }
    >;
    statementsByRole = new Map();
    for (const [id, resource] of Object.entries(resources)) {
      if (resource.Type === 'AWS::IAM::Role') {
        const inline = (resource.Properties.Policies ?? []) as {
          PolicyDocument: { Statement: Statement[] };
        }[];
        statementsByRole.set(
          id,
          inline.flatMap((policy) => policy.PolicyDocument.Statement),
        );
      }
    }
    for (const resource of Object.values(resources)) {
      if (resource.Type !== 'AWS::IAM::Policy' && resource.Type !== 'AWS::IAM::ManagedPolicy') continue;
      const statements = (resource.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
      for (const role of (resource.Properties.Roles ?? []) as { Ref: string }[]) {
        statementsByRole.get(role.Ref)?.push(...statements);
      }
    }
  });

  it('lists every role of the stack, so a new one states its registry access here', () => {
    // Assess
    expect([...statementsByRole.keys()].map(withoutHash).sort()).toEqual(Object.keys(REGISTRY_ACCESS).sort());
  });

  it.each(Object.entries(REGISTRY_ACCESS))(
    'allows %s exactly its registry actions, on the table or the index each one uses',
    (role, expected) => {
      // Prepare
      const id = [...statementsByRole.keys()].find((logicalId) => withoutHash(logicalId) === role);
      if (id === undefined) throw new Error(`no role ${role} in the stack`);

      // Act
      const granted: Record<string, string[]> = {};
      for (const statement of statementsByRole.get(id) ?? []) {
        for (const action of actionsOf(statement).filter((a) => a.startsWith('dynamodb:'))) {
          expect(statement.Effect).toBe('Allow');
          expect(statement.Condition).toBeUndefined();
          const resources = [statement.Resource].flat().map(registryResource);
          granted[action.slice('dynamodb:'.length)] = [
            ...new Set([...(granted[action.slice('dynamodb:'.length)] ?? []), ...resources]),
          ].sort();
        }
      }

      // Assess
      expect(granted).toEqual(
        Object.fromEntries(Object.entries(expected).map(([action, on]) => [action, [...on].sort()])),
      );
    },
  );

  it('limits every s3:ListBucket to named prefixes with s3:prefix', () => {
    // Act
    const lists = [...statementsByRole.entries()].flatMap(([role, statements]) =>
      statements
        .filter((s) => actionsOf(s).includes('s3:ListBucket'))
        .map((s) => ({ role: withoutHash(role), statement: s })),
    );

    // Assess
    expect(lists.length).toBeGreaterThan(0);
    for (const { role, statement } of lists) {
      expect(actionsOf(statement), role).toEqual(['s3:ListBucket']);
      const conditions = Object.entries(statement.Condition ?? {});
      expect(
        conditions.map(([operator, keys]) => [operator, Object.keys(keys)]),
        role,
      ).toEqual([[expect.stringMatching(/^StringLike(IfExists)?$/), ['s3:prefix']]]);
      const prefixes = [conditions[0]?.[1]['s3:prefix']].flat();
      for (const prefix of prefixes) expect(prefix, role).toMatch(/^[a-z-]+\/\*$/);
    }
  });

  it('limits every kms:CreateGrant to grants an AWS service makes for its resources', () => {
    // Act
    const grants = [...statementsByRole.entries()].flatMap(([role, statements]) =>
      statements
        .filter((s) => actionsOf(s).includes('kms:CreateGrant') || actionsOf(s).includes('kms:*'))
        .map((s) => ({ role: withoutHash(role), statement: s })),
    );

    // Assess: the training role (training volumes) and the deployment workflow (endpoint volumes)
    expect(grants.map((g) => g.role).sort()).toEqual(['DeploymentStateMachineRole', 'TrainingTrainingRole']);
    for (const { role, statement } of grants) {
      expect(actionsOf(statement), role).toEqual(['kms:CreateGrant']);
      expect(statement.Condition, role).toEqual({ Bool: { 'kms:GrantIsForAWSResource': true } });
    }
  });
});
