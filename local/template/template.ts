import { readFileSync } from 'node:fs';

/** A synthesized CloudFormation template, as far as the local runtime reads it. */
export interface CfnTemplate {
  readonly Resources: Readonly<Record<string, CfnResource>>;
  readonly Outputs?: Readonly<Record<string, { readonly Value: unknown }>>;
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Readonly<Record<string, unknown>>;
  readonly Metadata?: Readonly<Record<string, unknown>>;
}

export function readTemplate(file: string): CfnTemplate {
  return JSON.parse(readFileSync(file, 'utf8')) as CfnTemplate;
}

/** Resources of one type, as [logicalId, resource] pairs in template order. */
export function resourcesOfType(template: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

/** The logical id of the resource of `type` whose id starts with `prefix` (CDK ids start with the construct path). */
export function findLogicalId(template: CfnTemplate, type: string, prefix = ''): string {
  const found = resourcesOfType(template, type).find(([logicalId]) => logicalId.startsWith(prefix));
  if (!found) throw new Error(`The template has no ${type} ${prefix}*`);
  return found[0];
}

/** Resolves a logical id or physical reference to a value; throws for anything the runtime does not model. */
export type ReferenceResolver = (logicalId: string, attribute?: string) => string;

/**
 * Evaluates the intrinsic functions CDK emits in definitions and environment variables
 * (Ref, Fn::GetAtt, Fn::Join, Fn::Select, Fn::Split, Fn::Sub without a variable map) against local resources.
 * Hand-written: no maintained npm package evaluates CloudFormation intrinsics outside CloudFormation.
 */
export function resolveIntrinsics(value: unknown, resolve: ReferenceResolver): unknown {
  if (Array.isArray(value)) return value.map((item) => resolveIntrinsics(item, resolve));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value);
  const [first] = entries;
  if (entries.length === 1 && first) {
    const [fn, arg] = first;
    switch (fn) {
      case 'Ref':
        return resolve(String(arg));
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = Array.isArray(arg) ? arg : String(arg).split('.');
        return resolve(String(logicalId), String(attribute));
      }
      case 'Fn::Join': {
        const [separator, parts] = arg as [string, unknown[]];
        return (resolveIntrinsics(parts, resolve) as unknown[]).map(String).join(separator);
      }
      case 'Fn::Select': {
        const [index, list] = arg as [number, unknown];
        return (resolveIntrinsics(list, resolve) as unknown[])[Number(index)];
      }
      case 'Fn::Split': {
        const [separator, source] = arg as [string, unknown];
        return String(resolveIntrinsics(source, resolve)).split(separator);
      }
      case 'Fn::Sub':
        if (typeof arg !== 'string') throw new Error('Fn::Sub with a variable map is not supported locally');
        return arg.replace(/\$\{([^}]+)\}/g, (_match, name: string) => {
          const [logicalId, attribute] = name.split('.');
          return resolve(String(logicalId), attribute);
        });
      default:
        if (fn.startsWith('Fn::')) throw new Error(`${fn} is not supported by the local runtime`);
    }
  }
  return Object.fromEntries(entries.map(([key, item]) => [key, resolveIntrinsics(item, resolve)]));
}
