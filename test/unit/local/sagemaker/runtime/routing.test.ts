import { describe, expect, it } from 'vitest';
import type { EndpointState, Fleet, PendingDeployment } from '../../../../../local/sagemaker/hosting-state';
import { RuntimeApiError } from '../../../../../local/sagemaker/runtime/errors';
import { greenShare, route } from '../../../../../local/sagemaker/runtime/routing';

const fleet = (name: string, weights: Record<string, number>): Fleet => ({
  endpointConfigName: name,
  variants: Object.entries(weights).map(([variantName, weight]) => ({
    variantName,
    modelName: `${name}-model`,
    containers: [],
    instanceCount: 1,
    weight,
  })),
});

const T = 1_000_000;
const pending: PendingDeployment = {
  ...fleet('green', { AllTraffic: 1 }),
  startTime: T,
  stages: [
    { status: 'Creating', startsAt: T, endsAt: T + 100, trafficPercent: 0 },
    { status: 'ActivatingTraffic', startsAt: T + 100, endsAt: T + 200, trafficPercent: 10 },
    { status: 'Baking', startsAt: T + 200, endsAt: T + 300, trafficPercent: 100 },
  ],
};

const endpoint = (state: Partial<EndpointState>): EndpointState => ({
  name: 'penguins',
  arn: 'arn:aws:sagemaker:us-east-1:000000000000:endpoint/penguins',
  creationTime: T,
  lastModifiedTime: T,
  status: 'InService',
  ...state,
});

const request = { endpointName: 'penguins', account: '000000000000' };

describe('routing a request to blue or green, then to a variant', () => {
  it("gives green its stage's share: none while Creating, the canary's while ActivatingTraffic, all while Baking", () => {
    const updating = endpoint({ status: 'Updating', serving: fleet('blue', { AllTraffic: 1 }), pending });
    expect(greenShare(updating, T + 50)).toBe(0);
    expect(greenShare(updating, T + 150)).toBe(10);
    expect(greenShare(updating, T + 250)).toBe(100);
    expect(route(updating, request, () => 0.05, T + 150).fleet.endpointConfigName).toBe('green');
    expect(route(updating, request, () => 0.15, T + 150).fleet.endpointConfigName).toBe('blue');
    expect(route(updating, request, () => 0.99, T + 250)).toMatchObject({ green: true });
    expect(route(updating, request, () => 0, T + 50).fleet.endpointConfigName).toBe('blue');
  });

  it('picks variants in proportion to their weights, or the TargetVariant', () => {
    const split = endpoint({ serving: fleet('blue', { A: 3, B: 1 }) });
    expect(route(split, request, () => 0.7).variant.variantName).toBe('A');
    expect(route(split, request, () => 0.8).variant.variantName).toBe('B');
    expect(route(split, { ...request, targetVariant: 'b' }, () => 0).variant.variantName).toBe('B');
    expect(() => route(split, { ...request, targetVariant: 'C' })).toThrow(
      'TargetVariant C is not a variant of endpoint penguins: its variants are A, B.',
    );
  });

  it('answers "not found" for an endpoint without a fleet taking traffic', () => {
    const message = 'Endpoint penguins of account 000000000000 not found.';
    expect(() => route(undefined, request)).toThrow(message);
    expect(() => route(endpoint({ status: 'Creating', pending }), request, () => 0, T + 50)).toThrow(message);
    expect(() => route(endpoint({ status: 'Deleting', serving: fleet('blue', { A: 1 }) }), request)).toThrow(
      message,
    );
    try {
      route(undefined, request);
    } catch (error) {
      expect(error).toBeInstanceOf(RuntimeApiError);
      expect((error as RuntimeApiError).status).toBe(400);
    }
  });
});
