import * as path from 'node:path';
import { type CfnResource, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeWildcardResource } from './nag';

/** Template metadata naming the function's folder under lambdas/ (read by the local runtime). */
export const ENTRY_METADATA_KEY = 'ServerlessMlops::Entry';

/** Where the Lambda sources live: one folder per function, each with a handler.ts. */
const LAMBDAS_DIR = path.join(__dirname, '..', '..', 'lambdas');

export interface PipelineFunctionProps {
  /** Folder under lambdas/ holding the function's handler.ts, e.g. `start-run`. */
  readonly entry: string;

  /** Key for the function's log group. */
  readonly encryptionKey: kms.IKey;

  /** Environment variables, on top of the Powertools ones this construct sets. */
  readonly environment?: Record<string, string>;

  /**
   * Memory; CPU scales with it.
   * @default 512
   */
  readonly memorySize?: number;

  /**
   * @default Duration.minutes(1)
   */
  readonly timeout?: Duration;

  /**
   * How long the function's logs are kept.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * What happens to the log group when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** A pipeline Lambda: ARM64, newest Node runtime, minified bundle with source maps, X-Ray, encrypted logs. */
export class PipelineFunction extends Construct {
  public readonly function: nodejs.NodejsFunction;
  public readonly logGroup: logs.LogGroup;
  /** The function's own role: its log group, X-Ray, and whatever the stack grants it. No managed policies. */
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      encryptionKey: props.encryptionKey,
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    this.logGroup.grantWrite(this.role);
    acknowledgeWildcardResource(
      this.role,
      `${this.logGroup.logGroupArn}`,
      'Log streams are created per execution environment.',
    );
    acknowledgeWildcardResource(
      this.role,
      '*',
      'xray:PutTraceSegments and xray:PutTelemetryRecords (active tracing) have no resource-level permissions.',
    );
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      role: this.role,
      entry: path.join(LAMBDAS_DIR, props.entry, 'handler.ts'),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.minutes(1),
      tracing: lambda.Tracing.ACTIVE,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: {
        POWERTOOLS_SERVICE_NAME: props.entry,
        POWERTOOLS_METRICS_NAMESPACE: 'ServerlessMlops',
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        minify: true,
        sourceMap: true,
        target: 'node24',
        // The Node 24 runtime ships SDK v3; leaving it out keeps bundles small.
        externalModules: ['@aws-sdk/*'],
      },
    });
    // The local runtime finds the handler source from the template through this.
    (this.function.node.defaultChild as CfnResource).addMetadata(ENTRY_METADATA_KEY, props.entry);
  }
}
