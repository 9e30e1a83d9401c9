/** A metric SageMaker reads from a training job's log, as AlgorithmSpecification.MetricDefinitions has it. */
export interface MetricDefinition {
  readonly Name: string;
  /** Applied to each log line as CloudWatch stores it; the first capture group is the value. */
  readonly Regex: string;
}

/** One value read from a log line. */
export interface MetricValue {
  readonly name: string;
  readonly value: number;
}

/**
 * A log line as CloudWatch Logs stores it, which is what SageMaker's metric regexes see: tabs become `#011`
 * (the built-in XGBoost definitions match `#011validation-auc:...`).
 */
export function cloudWatchLine(line: string): string {
  return line.replaceAll('\t', '#011');
}

/**
 * The definitions a job is measured by: the request's, then the built-in algorithm's for names the request
 * does not define.
 */
export function mergeMetricDefinitions(
  requested: readonly MetricDefinition[],
  builtIn: readonly MetricDefinition[],
): MetricDefinition[] {
  const names = new Set(requested.map((definition) => definition.Name));
  return [...requested, ...builtIn.filter((definition) => !names.has(definition.Name))];
}

/** Reads metric values from log lines with a job's metric definitions. */
export class MetricParser {
  private readonly definitions: readonly { readonly name: string; readonly regex: RegExp }[];

  constructor(definitions: readonly MetricDefinition[]) {
    this.definitions = definitions.map((definition) => ({
      name: definition.Name,
      regex: new RegExp(definition.Regex),
    }));
  }

  /** The values a raw log line carries, one per definition that matches with a numeric first group. */
  parse(line: string): MetricValue[] {
    const stored = cloudWatchLine(line);
    const values: MetricValue[] = [];
    for (const { name, regex } of this.definitions) {
      const value = Number.parseFloat(regex.exec(stored)?.[1] ?? '');
      if (Number.isFinite(value)) values.push({ name, value });
    }
    return values;
  }
}
