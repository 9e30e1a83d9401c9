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

/** Every Task state, with its Resource, including those nested in Parallel and Map states. */
export function taskStates(
  definition: Pick<StateMachineDefinition, 'States'>,
): { name: string; resource: string }[] {
  return Object.entries(definition.States).flatMap(([name, state]) => {
    const nested = state as {
      Type: string;
      Resource?: string;
      Branches?: StateMachineDefinition[];
      Iterator?: StateMachineDefinition;
      ItemProcessor?: StateMachineDefinition;
    };
    if (nested.Type === 'Task') return [{ name, resource: String(nested.Resource) }];
    const children = [...(nested.Branches ?? []), nested.Iterator, nested.ItemProcessor].filter(
      (child): child is StateMachineDefinition => child !== undefined,
    );
    return children.flatMap(taskStates);
  });
}
