import type { CfnTemplate, ReferenceResolver } from './template';

export interface LocalEnvironment {
  readonly account: string;
  readonly region: string;
  readonly stackName: string;
}

export const DEFAULT_LOCAL_ENVIRONMENT: LocalEnvironment = {
  account: '000000000000',
  region: 'us-east-1',
  stackName: 'ServerlessMlops',
};

/**
 * Names the template's resources locally and answers Ref/Fn::GetAtt the way CloudFormation would,
 * so definitions and Lambda environments resolve to the local servers' buckets, tables and functions.
 */
export class LocalResources {
  constructor(
    private readonly template: CfnTemplate,
    public readonly env: LocalEnvironment = DEFAULT_LOCAL_ENVIRONMENT,
  ) {}

  /** The local physical name of a resource: S3 bucket names must be lowercase, the rest keep the logical id. */
  physicalName(logicalId: string): string {
    const type = this.typeOf(logicalId);
    if (type === 'AWS::S3::Bucket') return logicalId.toLowerCase();
    // Alarms are found by the name the template gives them (composite rules and alarm actions name them).
    const alarmName = this.template.Resources[logicalId]?.Properties?.AlarmName;
    if (type.startsWith('AWS::CloudWatch::') && typeof alarmName === 'string') return alarmName;
    return logicalId;
  }

  arn(logicalId: string): string {
    const { account, region } = this.env;
    const name = this.physicalName(logicalId);
    switch (this.typeOf(logicalId)) {
      case 'AWS::S3::Bucket':
        return `arn:aws:s3:::${name}`;
      case 'AWS::DynamoDB::Table':
        return `arn:aws:dynamodb:${region}:${account}:table/${name}`;
      case 'AWS::Lambda::Function':
        return `arn:aws:lambda:${region}:${account}:function:${name}`;
      case 'AWS::StepFunctions::StateMachine':
        return `arn:aws:states:${region}:${account}:stateMachine:${name}`;
      case 'AWS::KMS::Key':
        return `arn:aws:kms:${region}:${account}:key/${name}`;
      case 'AWS::IAM::Role':
        return `arn:aws:iam::${account}:role/${name}`;
      case 'AWS::SQS::Queue':
        return `arn:aws:sqs:${region}:${account}:${name}`;
      case 'AWS::Logs::LogGroup':
        return `arn:aws:logs:${region}:${account}:log-group:${name}:*`;
      case 'AWS::Events::Rule':
        return `arn:aws:events:${region}:${account}:rule/${name}`;
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${region}:${account}:${name}`;
      case 'AWS::CloudWatch::Alarm':
      case 'AWS::CloudWatch::CompositeAlarm':
        return `arn:aws:cloudwatch:${region}:${account}:alarm:${name}`;
      default:
        return `arn:aws:local:${region}:${account}:${logicalId}`;
    }
  }

  /** Ref and Fn::GetAtt, for the resource types and attributes the stack uses. */
  readonly resolve: ReferenceResolver = (logicalId, attribute) => {
    const pseudo = this.pseudoParameter(logicalId);
    if (pseudo !== undefined) return pseudo;
    const type = this.typeOf(logicalId);
    if (attribute === undefined) {
      // Ref: ARNs for state machines and roles' ARNs are not Refs; CloudFormation's choices, kept.
      if (type === 'AWS::StepFunctions::StateMachine') return this.arn(logicalId);
      if (type === 'AWS::SQS::Queue') return `http://sqs.local/${this.env.account}/${logicalId}`;
      // A topic's Ref is its ARN (AWS::SNS::Topic return values).
      if (type === 'AWS::SNS::Topic') return this.arn(logicalId);
      return this.physicalName(logicalId);
    }
    if (attribute === 'Arn' || attribute === 'TopicArn') return this.arn(logicalId);
    if (attribute === 'TopicName') return this.physicalName(logicalId);
    if (attribute === 'Name' || attribute === 'QueueName') return this.physicalName(logicalId);
    throw new Error(`Fn::GetAtt ${logicalId}.${attribute} is not supported by the local runtime`);
  };

  private typeOf(logicalId: string): string {
    const resource = this.template.Resources[logicalId];
    if (!resource) throw new Error(`The template has no resource ${logicalId}`);
    return resource.Type;
  }

  private pseudoParameter(name: string): string | undefined {
    const { account, region, stackName } = this.env;
    const values: Record<string, string> = {
      'AWS::AccountId': account,
      'AWS::Region': region,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': stackName,
      'AWS::StackId': `arn:aws:cloudformation:${region}:${account}:stack/${stackName}/local`,
    };
    return values[name];
  }
}
