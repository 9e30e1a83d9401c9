/**
 * The local services beside the runtime's core servers, started and stopped together: CloudWatch, SNS,
 * Application Auto Scaling, SageMaker (training and hosting) and the SageMaker Runtime, wired to each other as
 * in AWS. local/app.ts starts them with the runtime.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import type { LocalAppOptions } from './app';
import {
  type LocalApplicationAutoScaling,
  startLocalApplicationAutoScaling,
} from './aws/application-autoscaling';
import { localS3ClientConfig } from './aws/s3-client';
import { type LocalSns, startLocalSns, topicsFromTemplate } from './aws/sns';
import { type LocalCloudWatch, startLocalCloudWatch } from './cloudwatch';
import { LOCAL_CREDENTIALS } from './runtime';
import { type LocalSageMakerRuntime, startLocalSageMakerRuntime } from './sagemaker/runtime';
import { type LocalSageMaker, startLocalSageMaker } from './sagemaker/server';
import { type LocalEnvironment, LocalResources } from './template/local-resources';
import { resolveIntrinsics } from './template/template';
import { builtInXgboostMetricDefinitions, builtInXgboostTrainer } from './trainers/built-in';

/** The local services beside the runtime's core servers: hosting, serving, metrics and alarms. */
export interface HostingServices {
  readonly sagemaker: LocalSageMaker;
  readonly sagemakerRuntime: LocalSageMakerRuntime;
  readonly cloudwatch: LocalCloudWatch;
  readonly applicationAutoScaling: LocalApplicationAutoScaling;
  readonly sns: LocalSns;
}

/**
 * Starts CloudWatch, SageMaker (training and hosting) and the SageMaker Runtime, wired as in AWS: alarms drive
 * the auto-rollback of endpoint updates, invocations publish AWS/SageMaker metrics, and endpoint and alarm
 * events go to `route` (the template's rules).
 */
export async function startHostingServices(
  options: LocalAppOptions,
  env: LocalEnvironment,
  s3Endpoint: string,
  route: (event: Record<string, unknown>) => void,
): Promise<HostingServices> {
  const timeScale = options.timeScale ?? 1;
  const started: { stop(): Promise<void> }[] = [];
  try {
    let sagemaker: LocalSageMaker | undefined;
    const cloudwatch = await startLocalCloudWatch({
      region: env.region,
      account: env.account,
      timeScale,
      workDir: mkdir(join(options.stateDir, 'cloudwatch')),
      onEvent: route,
    });
    started.push(cloudwatch);
    const resources = new LocalResources(options.template, env);
    const sns = await startLocalSns({
      topics: topicsFromTemplate(
        options.template,
        (value) => resolveIntrinsics(value, resources.resolve),
        (logicalId) => resources.arn(logicalId),
      ),
      directory: mkdir(join(options.stateDir, 'sns')),
      onMessage: (message) => options.observer?.notification?.(message),
    });
    started.push(sns);
    // An alarm named in an update's AutoRollbackConfiguration rolls it back as soon as it goes to ALARM.
    cloudwatch.onAlarmChange((alarmName) => sagemaker?.hosting.alarmChanged(alarmName));
    const applicationAutoScaling = await startLocalApplicationAutoScaling({
      workDir: mkdir(join(options.stateDir, 'application-autoscaling')),
      account: env.account,
      region: env.region,
      // RegisterScalableTarget of a variant the endpoint does not have is refused, as AWS does.
      variantExists: (endpointName, variantName) => {
        const endpoint = sagemaker?.hosting.endpoint(endpointName);
        const fleet = endpoint?.serving ?? endpoint?.pending;
        return fleet?.variants.some((variant) => variant.variantName === variantName) ?? false;
      },
    });
    started.push(applicationAutoScaling);
    sagemaker = await startLocalSageMaker({
      workDir: mkdir(join(options.stateDir, 'sagemaker')),
      region: env.region,
      account: env.account,
      s3: { endpoint: s3Endpoint, credentials: LOCAL_CREDENTIALS },
      trainers: [...(options.trainers ?? []), builtInXgboostTrainer()],
      builtInMetricDefinitions: builtInXgboostMetricDefinitions,
      // Endpoint provisioning and blue/green waits run at the runtime's time scale, like its schedules.
      timeScale,
      alarmState: (alarmName) => cloudwatch.alarmState(alarmName),
      // An autoscaled variant's instance type cannot change in UpdateEndpoint (endpoint-scaling-update).
      isAutoscaled: (resourceId) => applicationAutoScaling.isAutoscaled(resourceId),
      onEvent: (event) => route(event as unknown as Record<string, unknown>),
    });
    // A deleted endpoint's variants are no longer scalable targets.
    sagemaker.onEndpointStatus((change) => {
      if (change.status === 'Deleted') applicationAutoScaling.endpointDeleted(change.endpointName);
    });
    started.push(sagemaker);
    const s3 = new S3Client(localS3ClientConfig(s3Endpoint, env.region));
    const sagemakerRuntime = await startLocalSageMakerRuntime({
      hosting: sagemaker.hosting,
      s3,
      account: env.account,
      region: env.region,
      servers: options.servers ?? [],
      workDir: mkdir(join(options.stateDir, 'sagemaker-runtime')),
      metrics: (namespace, data) => cloudwatch.putMetricData(namespace, data),
      onWarning: (message) => options.observer?.error?.(message),
    });
    started.push({
      stop: async () => {
        sagemaker?.hosting.setHealthCheck(undefined);
        await sagemakerRuntime.stop();
        s3.destroy();
      },
    });
    // A new fleet must start and pass SageMaker's ping health check while it is Creating: the runtime, which
    // runs the containers, checks it (set now: the runtime needs the hosting, so it starts after it).
    sagemaker.hosting.setHealthCheck((fleet) => sagemakerRuntime.healthCheck(fleet));
    return { sagemaker, sagemakerRuntime, cloudwatch, applicationAutoScaling, sns };
  } catch (error) {
    await Promise.allSettled(started.map((service) => service.stop()));
    throw error;
  }
}

/** Serving first (it flushes capture and metrics into S3 and CloudWatch), then the rest. */
export async function stopHostingServices(services: HostingServices): Promise<void> {
  services.sagemaker.hosting.setHealthCheck(undefined);
  await services.sagemakerRuntime.stop().catch(() => undefined);
  await Promise.allSettled([
    services.sagemaker.stop(),
    services.cloudwatch.stop(),
    services.applicationAutoScaling.stop(),
    services.sns.stop(),
  ]);
}

/** `path`, created with its parents if missing. */
export function mkdir(path: string): string {
  mkdirSync(path, { recursive: true });
  return path;
}
