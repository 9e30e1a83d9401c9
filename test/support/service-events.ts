/**
 * What the local runtime's services announced during an end-to-end test: the blue/green stages of each
 * update (from `SageMaker Endpoint Deployment State Change`) and the alarm transitions (from `CloudWatch Alarm
 * State Change`), as LocalApp's observer sees them.
 */

/** One blue/green stage of a pending endpoint config. */
export interface Stage {
  readonly config: string;
  readonly status: string;
  /** The pending fleet's CurrentWeight. */
  readonly share: number;
}

export class ServiceEvents {
  readonly stages: Stage[] = [];
  /** `<alarmName>:<state>` in order. */
  readonly alarms: string[] = [];

  /** LocalApp's `observer.serviceEvent`. */
  readonly record = (event: Record<string, unknown>): void => {
    const detail = event.detail as Record<string, unknown>;
    if (event['detail-type'] === 'CloudWatch Alarm State Change') {
      const state = detail.state as { value: string };
      this.alarms.push(`${String(detail.alarmName)}:${state.value}`);
    }
    if (event['detail-type'] !== 'SageMaker Endpoint Deployment State Change') return;
    const pending = detail.PendingDeploymentSummary as {
      EndpointConfigName: string;
      ProductionVariants: { CurrentWeight: number; VariantStatus: { Status: string }[] }[];
    };
    const variant = pending.ProductionVariants[0];
    this.stages.push({
      config: pending.EndpointConfigName,
      status: variant?.VariantStatus[0]?.Status ?? '',
      share: variant?.CurrentWeight ?? 0,
    });
  };
}
