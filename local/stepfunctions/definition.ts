import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { type CfnTemplate, type ReferenceResolver, resolveIntrinsics } from '../template/template';

/**
 * The Amazon States Language definition of a synthesized state machine, references resolved to local
 * resources and DefinitionSubstitutions applied: what Step Functions would run.
 */
export function stateMachineDefinition(
  template: CfnTemplate,
  logicalId: string,
  resolve: ReferenceResolver,
): StateMachineDefinition {
  const resource = template.Resources[logicalId];
  if (resource?.Type !== 'AWS::StepFunctions::StateMachine') {
    throw new Error(`${logicalId} is not an AWS::StepFunctions::StateMachine in the template`);
  }
  const properties = resource.Properties ?? {};
  const resolved = resolveIntrinsics(properties.DefinitionString, resolve);
  if (typeof resolved !== 'string')
    throw new Error(`${logicalId} has no DefinitionString (DefinitionS3Location is not supported locally)`);
  let text = resolved;
  const substitutions = resolveIntrinsics(properties.DefinitionSubstitutions ?? {}, resolve) as Record<
    string,
    unknown
  >;
  for (const [name, value] of Object.entries(substitutions))
    text = text.split(`\${${name}}`).join(String(value));
  return JSON.parse(text) as StateMachineDefinition;
}

/** A state as far as the walk below reads it. */
interface StateShape {
  readonly Type: string;
  readonly Resource?: string;
  readonly TimeoutSeconds?: number;
  readonly HeartbeatSeconds?: number;
  readonly Branches?: StateMachineDefinition[];
  readonly Iterator?: StateMachineDefinition;
  readonly ItemProcessor?: StateMachineDefinition;
}

/** Every state with its name, including those nested in Parallel and Map states. */
function allStates(definition: Pick<StateMachineDefinition, 'States'>): [string, StateShape][] {
  return Object.entries(definition.States).flatMap(([name, value]) => {
    const state = value as StateShape;
    const children = [...(state.Branches ?? []), state.Iterator, state.ItemProcessor].filter(
      (child): child is StateMachineDefinition => child !== undefined,
    );
    return [[name, state] as [string, StateShape], ...children.flatMap(allStates)];
  });
}

/** Every Task state, with its Resource, including those nested in Parallel and Map states. */
export function taskStates(
  definition: Pick<StateMachineDefinition, 'States'>,
): { name: string; resource: string; timeoutSeconds?: number; heartbeatSeconds?: number }[] {
  return allStates(definition)
    .filter(([, state]) => state.Type === 'Task')
    .map(([name, state]) => ({
      name,
      resource: String(state.Resource),
      ...(state.TimeoutSeconds === undefined ? {} : { timeoutSeconds: state.TimeoutSeconds }),
      ...(state.HeartbeatSeconds === undefined ? {} : { heartbeatSeconds: state.HeartbeatSeconds }),
    }));
}

/** The names of every state of `type` (e.g. `Wait`), nested ones included. */
export function statesOfType(definition: Pick<StateMachineDefinition, 'States'>, type: string): string[] {
  return allStates(definition)
    .filter(([, state]) => state.Type === type)
    .map(([name]) => name);
}
