/**
 * What the local SageMaker's hosting keeps, and where: models, endpoint configs and endpoints (with their
 * fleets and deployments in progress), written whole to `<workDir>/hosting.json` after every change so a
 * restarted runtime still has its endpoints.
 *
 * Endpoint state (what serving and blue/green traffic shifting build on):
 * - `serving` is the blue fleet: the endpoint config (snapshotted at deployment, so deleting the config or
 *   its models later changes nothing, as on SageMaker) whose variants take the traffic. Absent while the
 *   first CreateEndpoint is still Creating.
 * - `pending` is the green fleet of a CreateEndpoint or UpdateEndpoint in progress, with its `stages`
 *   (endpoint-lifecycle.ts builds and runs them). A router for InvokeEndpoint picks the pending fleet with
 *   probability `currentStage.trafficPercent / 100`, then a variant by weight.
 * - Each fleet variant keeps its model's containers (image, ModelDataUrl, Environment), which is what a
 *   serving process needs to start.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  ContainerDefinition,
  DataCaptureConfig,
  DeploymentConfig,
  ProductionVariantServerlessConfig,
  Tag,
} from '@aws-sdk/client-sagemaker';
import type { EndpointConfigRequest, ModelRequest } from './hosting-validation';

/** EndpointStatus values a local endpoint goes through. */
export type LocalEndpointStatus = 'Creating' | 'Updating' | 'InService' | 'Deleting' | 'Failed';
/** ProductionVariantStatus.Status values of a deployment's stages. */
export type DeploymentStageStatus = 'Creating' | 'ActivatingTraffic' | 'Baking';

export interface StoredModel {
  readonly arn: string;
  readonly creationTime: number;
  readonly request: ModelRequest;
}

export interface StoredConfig {
  readonly arn: string;
  readonly creationTime: number;
  readonly request: EndpointConfigRequest;
}

/** One production variant of a fleet, with what serving it needs. */
export interface FleetVariant {
  readonly variantName: string;
  readonly modelName: string;
  /** The model's containers as they were when the fleet was deployed. */
  readonly containers: readonly ContainerDefinition[];
  readonly instanceType?: string;
  readonly serverlessConfig?: ProductionVariantServerlessConfig;
  readonly instanceCount: number;
  readonly weight: number;
}

/** The variants of one endpoint config, deployed. */
export interface Fleet {
  readonly endpointConfigName: string;
  readonly variants: readonly FleetVariant[];
  readonly dataCapture?: DataCaptureConfig;
  readonly kmsKeyId?: string;
  /** When this fleet's deployment started (epoch ms): its images' ResolutionTime. */
  readonly deployedAt?: number;
}

export interface DeploymentStage {
  readonly status: DeploymentStageStatus;
  /** Epoch ms when the stage starts (the previous one's end) and ends. */
  readonly startsAt: number;
  readonly endsAt: number;
  /** The share of the endpoint's traffic the pending fleet takes during this stage, 0–100. */
  readonly trafficPercent: number;
}

export interface PendingDeployment extends Fleet {
  readonly startTime: number;
  /** Shifted later when the health check outlasts the Creating stage. */
  stages: readonly DeploymentStage[];
  /**
   * `checking` while the fleet's health check has not answered: the deployment stays in its Creating stage (no
   * traffic) until it does. Absent once it passed, or without a health check.
   */
  health?: 'checking';
  /** The update's DeploymentConfig (its AutoRollbackConfiguration names the alarms that roll it back). */
  readonly deploymentConfig?: DeploymentConfig;
  /** Index of the last stage whose start was reported (and alarms checked); -1 before the first. */
  announcedStage?: number;
}

export interface EndpointState {
  readonly name: string;
  readonly arn: string;
  readonly creationTime: number;
  lastModifiedTime: number;
  status: LocalEndpointStatus;
  failureReason?: string;
  serving?: Fleet;
  pending?: PendingDeployment;
  /** When Deleting ends (epoch ms). */
  deletesAt?: number;
  lastDeploymentConfig?: DeploymentConfig;
  /** The config of a CreateEndpoint that failed (a Failed endpoint has no fleet, but DescribeEndpoint names it). */
  failedEndpointConfigName?: string;
  readonly tags?: Tag[];
}

export interface HostingState {
  models: Record<string, StoredModel>;
  configs: Record<string, StoredConfig>;
  endpoints: Record<string, EndpointState>;
}

const STATE_FILE = 'hosting.json';

/** The hosting state of one work directory, read at start and saved after every change. */
export class HostingStore {
  readonly state: HostingState;
  private readonly file: string;

  constructor(workDir: string) {
    mkdirSync(workDir, { recursive: true });
    this.file = join(workDir, STATE_FILE);
    this.state = this.load();
  }

  private load(): HostingState {
    try {
      return JSON.parse(readFileSync(this.file, 'utf8')) as HostingState;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new Error(`The local SageMaker's hosting state ${this.file} cannot be read: ${String(error)}`);
      }
      return { models: {}, configs: {}, endpoints: {} };
    }
  }

  /** Written whole after every change, through a rename so a crash never leaves half a file. */
  save(): void {
    const temporary = `${this.file}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(this.state, null, 2)}\n`);
    renameSync(temporary, this.file);
  }
}
