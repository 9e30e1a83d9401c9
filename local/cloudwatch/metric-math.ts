/**
 * Metric math: arithmetic (+ - * / ^, unary minus, parentheses) on time series and scalars, and the functions
 * FILL (value, REPEAT, LINEAR), ABS, CEIL, FLOOR, and SUM/AVG/MIN/MAX (of one series: a scalar; of an array
 * `[a, b]`: a series, per time stamp) — the syntax and semantics of
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html. Between two series an
 * operator yields a value only at time stamps where both have one; a non-finite result (a division by zero)
 * is no value. Other functions are refused with a ValidationError naming them.
 */
import { CloudWatchError } from './errors';

/** A time series: period start (ms) → value. */
export type Series = Map<number, number>;
export type MathValue = number | Series | MathValue[];

type Token =
  | { kind: 'number'; value: number }
  | { kind: 'name'; value: string }
  | { kind: 'op'; value: string };

export type Node =
  | { kind: 'number'; value: number }
  | { kind: 'id'; name: string }
  | { kind: 'keyword'; name: string }
  | { kind: 'unary'; op: '-'; operand: Node }
  | { kind: 'binary'; op: string; left: Node; right: Node }
  | { kind: 'call'; name: string; args: Node[] }
  | { kind: 'array'; items: Node[] };

const FUNCTIONS = new Set(['FILL', 'ABS', 'CEIL', 'FLOOR', 'SUM', 'AVG', 'MIN', 'MAX']);
const KEYWORDS = new Set(['REPEAT', 'LINEAR']);

function fail(id: string, detail: string): CloudWatchError {
  return new CloudWatchError('ValidationError', `Error in expression ${id}: ${detail}`);
}

function tokenize(id: string, text: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s*(?:(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)|([A-Za-z_][A-Za-z0-9_]*)|([-+*/^(),[\]]))/y;
  let index = 0;
  while (index < text.length) {
    if (/^\s*$/.test(text.slice(index))) break;
    pattern.lastIndex = index;
    const match = pattern.exec(text);
    if (!match) throw fail(id, `Unrecognized token at position ${index + 1}`);
    index = pattern.lastIndex;
    if (match[1] !== undefined) tokens.push({ kind: 'number', value: Number(match[1]) });
    else if (match[2] !== undefined) tokens.push({ kind: 'name', value: match[2] });
    else if (match[3] !== undefined) tokens.push({ kind: 'op', value: match[3] });
  }
  return tokens;
}

/** Parses an expression; throws a ValidationError naming the query id on a syntax error. */
export function parse(id: string, text: string): Node {
  const tokens = tokenize(id, text);
  let at = 0;
  const peek = (): Token | undefined => tokens[at];
  const isOp = (value: string): boolean => {
    const t = peek();
    return t?.kind === 'op' && t.value === value;
  };
  const expect = (value: string): void => {
    if (!isOp(value)) throw fail(id, `Expected '${value}'`);
    at++;
  };
  const expression = (): Node => {
    let left = term();
    while (isOp('+') || isOp('-')) {
      const op = (tokens[at++] as Token).value as string;
      left = { kind: 'binary', op, left, right: term() };
    }
    return left;
  };
  const term = (): Node => {
    let left = power();
    while (isOp('*') || isOp('/')) {
      const op = (tokens[at++] as Token).value as string;
      left = { kind: 'binary', op, left, right: power() };
    }
    return left;
  };
  const power = (): Node => {
    const base = unary();
    if (isOp('^')) {
      at++;
      return { kind: 'binary', op: '^', left: base, right: power() };
    }
    return base;
  };
  const unary = (): Node => {
    if (isOp('-')) {
      at++;
      return { kind: 'unary', op: '-', operand: unary() };
    }
    return primary();
  };
  const primary = (): Node => {
    const t = peek();
    if (!t) throw fail(id, 'Unexpected end of expression');
    if (t.kind === 'number') {
      at++;
      return { kind: 'number', value: t.value };
    }
    if (t.kind === 'name') {
      at++;
      if (isOp('(')) {
        at++;
        const name = t.value.toUpperCase();
        if (!FUNCTIONS.has(name)) throw fail(id, `Unknown function ${t.value}`);
        const args: Node[] = [];
        if (!isOp(')')) {
          args.push(expression());
          while (isOp(',')) {
            at++;
            args.push(expression());
          }
        }
        expect(')');
        return { kind: 'call', name, args };
      }
      if (KEYWORDS.has(t.value.toUpperCase())) return { kind: 'keyword', name: t.value.toUpperCase() };
      return { kind: 'id', name: t.value };
    }
    if (t.value === '(') {
      at++;
      const inner = expression();
      expect(')');
      return inner;
    }
    if (t.value === '[') {
      at++;
      const items = [expression()];
      while (isOp(',')) {
        at++;
        items.push(expression());
      }
      expect(']');
      return { kind: 'array', items };
    }
    throw fail(id, `Unexpected '${t.value}'`);
  };
  const node = expression();
  if (at < tokens.length) throw fail(id, `Unexpected '${String(tokens[at]?.value)}'`);
  return node;
}

/** The ids an expression reads. */
export function references(node: Node): string[] {
  switch (node.kind) {
    case 'id':
      return [node.name];
    case 'unary':
      return references(node.operand);
    case 'binary':
      return [...references(node.left), ...references(node.right)];
    case 'call':
      return node.args.flatMap(references);
    case 'array':
      return node.items.flatMap(references);
    default:
      return [];
  }
}

/**
 * Evaluates a parsed expression. `grid` is every period start of the query's range (what FILL fills);
 * `lookup` gives the value of another query by id.
 */
export function evaluate(
  id: string,
  node: Node,
  grid: readonly number[],
  lookup: (id: string) => MathValue,
): MathValue {
  const run = (n: Node): MathValue => {
    switch (n.kind) {
      case 'number':
        return n.value;
      case 'id':
        return lookup(n.name);
      case 'keyword':
        throw fail(id, `${n.name} is only valid as FILL's second argument`);
      case 'unary':
        return apply(run(n.operand), (a) => -a);
      case 'binary':
        return binary(n.op, run(n.left), run(n.right));
      case 'array':
        return n.items.map(run);
      case 'call':
        return call(n);
    }
  };
  const call = (n: Extract<Node, { kind: 'call' }>): MathValue => {
    const [first, second] = n.args;
    if (!first) throw fail(id, `${n.name} needs an argument`);
    switch (n.name) {
      case 'FILL': {
        if (!second || n.args.length !== 2) throw fail(id, 'FILL takes a series and a fill value');
        return fill(run(first), second.kind === 'keyword' ? second.name : run(second), grid);
      }
      case 'ABS':
        return apply(run(first), Math.abs);
      case 'CEIL':
        return apply(run(first), Math.ceil);
      case 'FLOOR':
        return apply(run(first), Math.floor);
      default:
        return reduce(n.name, run(first));
    }
  };
  const binary = (op: string, a: MathValue, b: MathValue): MathValue => {
    const f = OPERATORS[op];
    if (!f) throw fail(id, `Unknown operator ${op}`);
    if (Array.isArray(a) || Array.isArray(b)) {
      const as = Array.isArray(a) ? a : undefined;
      const bs = Array.isArray(b) ? b : undefined;
      const length = as?.length ?? bs?.length ?? 0;
      return Array.from({ length }, (_, i) =>
        binary(op, as ? (as[i] as MathValue) : a, bs ? (bs[i] as MathValue) : b),
      );
    }
    if (typeof a === 'number' && typeof b === 'number') return f(a, b);
    if (typeof a === 'number') return apply(b, (y) => f(a, y));
    if (typeof b === 'number') return apply(a, (x) => f(x, b));
    const out: Series = new Map();
    for (const [t, x] of a) {
      const y = b.get(t);
      if (y === undefined) continue;
      const v = f(x, y);
      if (Number.isFinite(v)) out.set(t, v);
    }
    return out;
  };
  const reduce = (name: string, value: MathValue): MathValue => {
    const combine = (values: number[]): number => {
      switch (name) {
        case 'SUM':
          return values.reduce((s, v) => s + v, 0);
        case 'AVG':
          return values.reduce((s, v) => s + v, 0) / values.length;
        case 'MIN':
          return Math.min(...values);
        default:
          return Math.max(...values);
      }
    };
    if (typeof value === 'number') return value;
    if (value instanceof Map) {
      // Of one series: a scalar over all its values.
      return value.size === 0 ? new Map() : combine([...value.values()]);
    }
    // Of an array of series: a series, per time stamp, over the series that have a value there.
    const out: Series = new Map();
    const stamps = new Set<number>();
    for (const item of value) if (item instanceof Map) for (const t of item.keys()) stamps.add(t);
    for (const t of [...stamps].sort((x, y) => x - y)) {
      const values = value.flatMap((item) => {
        if (typeof item === 'number') return [item];
        if (item instanceof Map) return item.has(t) ? [item.get(t) as number] : [];
        return [];
      });
      if (values.length > 0) out.set(t, combine(values));
    }
    return out;
  };
  return run(node);
}

const OPERATORS: Record<string, (a: number, b: number) => number> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
  '^': (a, b) => a ** b,
};

function apply(value: MathValue, f: (x: number) => number): MathValue {
  if (typeof value === 'number') return f(value);
  if (Array.isArray(value)) return value.map((v) => apply(v, f));
  const out: Series = new Map();
  for (const [t, x] of value) {
    const v = f(x);
    if (Number.isFinite(v)) out.set(t, v);
  }
  return out;
}

/** FILL(m, value | REPEAT | LINEAR) over the query's grid (using-metric-math.html, FILL). */
function fill(series: MathValue, how: MathValue | string, grid: readonly number[]): MathValue {
  if (Array.isArray(series)) return series.map((s) => fill(s, how, grid));
  if (typeof series === 'number') return series;
  const out: Series = new Map();
  const known = [...series.entries()].sort((a, b) => a[0] - b[0]);
  for (const t of grid) {
    const own = series.get(t);
    if (own !== undefined) {
      out.set(t, own);
      continue;
    }
    if (typeof how === 'number') {
      out.set(t, how);
    } else if (how instanceof Map) {
      const v = how.get(t);
      if (v !== undefined) out.set(t, v);
    } else if (how === 'REPEAT') {
      const before = known.filter(([k]) => k < t).pop();
      const after = known.find(([k]) => k > t);
      const v = before?.[1] ?? after?.[1];
      if (v !== undefined) out.set(t, v);
    } else if (how === 'LINEAR') {
      const before = known.filter(([k]) => k < t).pop();
      const after = known.find(([k]) => k > t);
      if (before && after)
        out.set(t, before[1] + ((after[1] - before[1]) * (t - before[0])) / (after[0] - before[0]));
    }
  }
  for (const [t, v] of series) if (!out.has(t)) out.set(t, v);
  return out;
}
