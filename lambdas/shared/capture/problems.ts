/**
 * What the capture parser could not read, counted by kind, with the first few examples (file, line, what):
 * a check reports them beside its verdict instead of failing on the first bad record.
 */

/** Kinds of unreadable input, from the whole record down to one value. */
export const CAPTURE_PROBLEM_KINDS = [
  /** A line that is not a JSON object with captureData. */
  'malformed-record',
  /** A line longer than the parser's limit, skipped unread. */
  'oversized-record',
  /** A record without endpointInput (capture of the output only). */
  'missing-input',
  /** A payload in a content type the parser does not read, or base64 that does not decode. */
  'unsupported-content',
  /** A JSON payload that does not parse or holds no rows in a known shape. */
  'malformed-payload',
  /** A row with more or fewer values than the model has features (the row is not used). */
  'wrong-column-count',
  /** Text in a numeric feature (the row is not used). */
  'not-a-number',
  /** A categorical value that is not a code of a known category (kept as an unseen category). */
  'unknown-category',
  /** A record without endpointOutput, or an output that is not numbers (its predictions are not used). */
  'missing-output',
  /** An output with a different number of predictions than the request had rows (not used). */
  'output-count-mismatch',
  /** A capture file that could not be read (its records are not used). */
  'unreadable-file',
] as const;

export type CaptureProblemKind = (typeof CAPTURE_PROBLEM_KINDS)[number];

/** Where a problem was found. */
export interface CaptureLocation {
  readonly file?: string;
  readonly line?: number;
}

/** One example of a problem. */
export interface CaptureProblemExample extends CaptureLocation {
  readonly kind: CaptureProblemKind;
  readonly message: string;
}

/** The counts and examples, as reports store them. */
export interface CaptureProblemSummary {
  readonly total: number;
  readonly counts: Partial<Record<CaptureProblemKind, number>>;
  /** Per feature: values of the kinds that name a feature (not-a-number, unknown-category). */
  readonly byFeature: Record<string, Partial<Record<CaptureProblemKind, number>>>;
  readonly examples: readonly CaptureProblemExample[];
}

/** Longest message kept in an example: enough to see what was wrong, not a whole payload. */
const MAX_MESSAGE = 300;

/** Counts problems; keeps the first `maxExamples`. */
export class CaptureProblems {
  private readonly counts = new Map<CaptureProblemKind, number>();
  private readonly byFeature = new Map<string, Map<CaptureProblemKind, number>>();
  private readonly examples: CaptureProblemExample[] = [];
  private count = 0;

  constructor(private readonly maxExamples = 20) {}

  /** The number of problems counted. */
  get total(): number {
    return this.count;
  }

  add(kind: CaptureProblemKind, message: string, where: CaptureLocation = {}, feature?: string): void {
    this.count++;
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    if (feature !== undefined) {
      let counts = this.byFeature.get(feature);
      if (counts === undefined) {
        counts = new Map();
        this.byFeature.set(feature, counts);
      }
      counts.set(kind, (counts.get(kind) ?? 0) + 1);
    }
    if (this.examples.length < this.maxExamples) {
      const text = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}…` : message;
      this.examples.push({ kind, message: text, ...where });
    }
  }

  /** How often `kind` was counted. */
  countOf(kind: CaptureProblemKind): number {
    return this.counts.get(kind) ?? 0;
  }

  summary(): CaptureProblemSummary {
    const counts: Partial<Record<CaptureProblemKind, number>> = {};
    for (const kind of CAPTURE_PROBLEM_KINDS) {
      const n = this.counts.get(kind);
      if (n !== undefined) counts[kind] = n;
    }
    const byFeature: Record<string, Partial<Record<CaptureProblemKind, number>>> = {};
    for (const [feature, map] of this.byFeature) byFeature[feature] = Object.fromEntries(map);
    return { total: this.count, counts, byFeature, examples: [...this.examples] };
  }
}
