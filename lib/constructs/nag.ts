import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Renders a resource ARN the way cdk-nag names it in an IAM5 finding (`<Logical.Arn>/runs/*`,
 * `arn:<AWS::Partition>:...`), so an acknowledgement can name the exact wildcard it accepts.
 */
export function nagResourceName(scope: IConstruct, value: string): string {
  return render(Stack.of(scope).resolve(value));
}

function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) return String(value);
  const intrinsic = value as Record<string, unknown>;
  if ('Ref' in intrinsic) return `<${String(intrinsic.Ref)}>`;
  if ('Fn::GetAtt' in intrinsic) return `<${(intrinsic['Fn::GetAtt'] as string[]).join('.')}>`;
  if ('Fn::Join' in intrinsic) {
    const [separator, parts] = intrinsic['Fn::Join'] as [string, unknown[]];
    return parts.map(render).join(separator);
  }
  return JSON.stringify(value);
}

/** Acknowledges one wildcard resource (AwsSolutions-IAM5) on a principal, with the reason it is needed. */
export function acknowledgeWildcardResource(scope: IConstruct, resource: string, reason: string): void {
  Validations.of(scope).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${nagResourceName(scope, resource)}]`,
    reason,
  });
}
