/**
 * What a rule's target receives, as EventBridge decides it from the target's settings
 * (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_Target.html): `Input` (constant JSON),
 * `InputPath` (part of the event), `InputTransformer` (a template filled from the event), else the event.
 */

/** A target's input settings as the template gives them (AWS::Events::Rule Target). */
export interface TargetInputSettings {
  readonly Input?: string;
  readonly InputPath?: string;
  readonly InputTransformer?: {
    readonly InputPathsMap?: Readonly<Record<string, string>>;
    readonly InputTemplate: string;
  };
}

/** The rule, for the predefined variables `<aws.events.rule-arn>` and `<aws.events.rule-name>`. */
export interface RuleIdentity {
  readonly arn: string;
  readonly name: string;
}

/** The input `settings` give a target for `event`. */
export function targetInput(
  settings: TargetInputSettings,
  event: Record<string, unknown>,
  rule: RuleIdentity,
  now = new Date(),
): unknown {
  if (settings.Input !== undefined) return JSON.parse(settings.Input) as unknown;
  if (settings.InputPath !== undefined) return jsonPath(event, settings.InputPath);
  if (settings.InputTransformer !== undefined) return transform(settings.InputTransformer, event, rule, now);
  return event;
}

/**
 * Fills an InputTemplate (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html):
 * each `<name>` takes the value its InputPathsMap path selects, or a predefined variable's. In a JSON template a
 * placeholder inside quotes takes the value as text, one outside quotes its JSON; a template that is not JSON is
 * text, and the target receives it as a JSON string. A path that selects nothing leaves an empty value.
 */
function transform(
  transformer: NonNullable<TargetInputSettings['InputTransformer']>,
  event: Record<string, unknown>,
  rule: RuleIdentity,
  now: Date,
): unknown {
  const { detail: _detail, ...withoutDetail } = event;
  const values: Record<string, unknown> = {
    'aws.events.rule-arn': rule.arn,
    'aws.events.rule-name': rule.name,
    'aws.events.event.ingestion-time': now.toISOString(),
    'aws.events.event': withoutDetail,
    'aws.events.event.json': event,
  };
  for (const [name, path] of Object.entries(transformer.InputPathsMap ?? {}))
    values[name] = jsonPath(event, path);
  const template = transformer.InputTemplate;
  const json = /^\s*[[{]/.test(template);
  let inString = false;
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const char = template[i] as string;
    if (json && char === '"' && template[i - 1] !== '\\') inString = !inString;
    const placeholder = char === '<' ? /^<([A-Za-z0-9_.-]+)>/.exec(template.slice(i)) : null;
    if (placeholder && (placeholder[1] as string) in values) {
      const value = values[placeholder[1] as string];
      out += !json ? asText(value) : inString ? JSON.stringify(asText(value)).slice(1, -1) : asJson(value);
      i += placeholder[0].length - 1;
      continue;
    }
    out += char;
  }
  if (!json) return out;
  return JSON.parse(out) as unknown;
}

function asText(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function asJson(value: unknown): string {
  return value === undefined ? 'null' : JSON.stringify(value);
}

/** EventBridge's JSONPath subset: `$`, dot notation (dashes, underscores) and array indices. */
export function jsonPath(event: unknown, path: string): unknown {
  if (path === '$') return event;
  const parts = path.replace(/^\$\.?/, '').match(/[^.[\]]+|\[\d+\]/g) ?? [];
  let value: unknown = event;
  for (const part of parts) {
    if (value === null || typeof value !== 'object') return undefined;
    const key = part.startsWith('[') ? Number(part.slice(1, -1)) : part;
    value = (value as Record<string | number, unknown>)[key];
  }
  return value;
}
