/**
 * Composite alarms: an AlarmRule over other alarms' states, as PutCompositeAlarm defines it — the functions
 * ALARM(x), OK(x), INSUFFICIENT_DATA(x) (x an alarm name or ARN, in double quotes), TRUE and FALSE, the
 * operators AND, OR, NOT and parentheses —
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutCompositeAlarm.html
 * A composite is re-evaluated whenever one of its alarms changes state. An alarm the rule names that does not
 * exist (yet) counts as in none of the states.
 */
import type { AlarmStateValue } from './alarms';
import { CloudWatchError } from './errors';

export type RuleNode =
  | { kind: 'state'; state: AlarmStateValue; alarm: string }
  | { kind: 'const'; value: boolean }
  | { kind: 'not'; operand: RuleNode }
  | { kind: 'and' | 'or'; left: RuleNode; right: RuleNode };

/** AlarmRule is at most 10,240 characters (API_PutCompositeAlarm). */
export const MAX_ALARM_RULE_LENGTH = 10_240;

const TOKEN =
  /\s*(?:(ALARM|OK|INSUFFICIENT_DATA)\s*\(\s*"((?:[^"\\]|\\.)*)"\s*\)|(TRUE|FALSE)\b|(AND|OR|NOT)\b|([()]))/iy;

type Token =
  | { kind: 'state'; state: AlarmStateValue; alarm: string }
  | { kind: 'const'; value: boolean }
  | { kind: 'op'; value: 'AND' | 'OR' | 'NOT' }
  | { kind: 'paren'; value: '(' | ')' };

function invalid(detail: string): CloudWatchError {
  return new CloudWatchError('ValidationError', `AlarmRule is invalid: ${detail}`);
}

function tokenize(rule: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < rule.length) {
    if (/^\s*$/.test(rule.slice(index))) break;
    TOKEN.lastIndex = index;
    const m = TOKEN.exec(rule);
    if (!m) throw invalid(`unexpected text at position ${index + 1}`);
    index = TOKEN.lastIndex;
    if (m[1] !== undefined) {
      tokens.push({ kind: 'state', state: m[1].toUpperCase() as AlarmStateValue, alarm: m[2] ?? '' });
    } else if (m[3] !== undefined) tokens.push({ kind: 'const', value: m[3].toUpperCase() === 'TRUE' });
    else if (m[4] !== undefined)
      tokens.push({ kind: 'op', value: m[4].toUpperCase() as 'AND' | 'OR' | 'NOT' });
    else tokens.push({ kind: 'paren', value: m[5] as '(' | ')' });
  }
  return tokens;
}

/** Parses an AlarmRule (NOT binds tighter than AND, AND tighter than OR); throws a ValidationError. */
export function parseAlarmRule(rule: string): RuleNode {
  if (rule.length === 0 || rule.length > MAX_ALARM_RULE_LENGTH)
    throw invalid('it must be 1 to 10240 characters');
  const tokens = tokenize(rule);
  let at = 0;
  const isOp = (value: string) => {
    const t = tokens[at];
    return t?.kind === 'op' && t.value === value;
  };
  const primary = (): RuleNode => {
    const t = tokens[at];
    at += 1;
    if (!t) throw invalid('it ends too early');
    if (t.kind === 'state') return { kind: 'state', state: t.state, alarm: t.alarm };
    if (t.kind === 'const') return { kind: 'const', value: t.value };
    if (t.kind === 'op' && t.value === 'NOT') return { kind: 'not', operand: primary() };
    if (t.kind === 'paren' && t.value === '(') {
      const inner = or();
      const close = tokens[at];
      at += 1;
      if (close?.kind !== 'paren' || close.value !== ')') throw invalid('a parenthesis is not closed');
      return inner;
    }
    throw invalid(`unexpected ${t.kind === 'op' ? t.value : t.kind === 'paren' ? t.value : 'token'}`);
  };
  const and = (): RuleNode => {
    let left = primary();
    while (isOp('AND')) {
      at += 1;
      left = { kind: 'and', left, right: primary() };
    }
    return left;
  };
  const or = (): RuleNode => {
    let left = and();
    while (isOp('OR')) {
      at += 1;
      left = { kind: 'or', left, right: and() };
    }
    return left;
  };
  const node = or();
  if (at !== tokens.length) throw invalid(`unexpected text after position ${at}`);
  return node;
}

/** The alarms (names or ARNs, as written) a rule reads. */
export function ruleAlarms(node: RuleNode): string[] {
  switch (node.kind) {
    case 'state':
      return [node.alarm];
    case 'const':
      return [];
    case 'not':
      return ruleAlarms(node.operand);
    default:
      return [...ruleAlarms(node.left), ...ruleAlarms(node.right)];
  }
}

/** Whether the rule holds, given each alarm's state (by name or ARN; undefined: no such alarm). */
export function evaluateAlarmRule(
  node: RuleNode,
  stateOf: (alarm: string) => AlarmStateValue | undefined,
): boolean {
  switch (node.kind) {
    case 'state':
      return stateOf(node.alarm) === node.state;
    case 'const':
      return node.value;
    case 'not':
      return !evaluateAlarmRule(node.operand, stateOf);
    case 'and':
      return evaluateAlarmRule(node.left, stateOf) && evaluateAlarmRule(node.right, stateOf);
    case 'or':
      return evaluateAlarmRule(node.left, stateOf) || evaluateAlarmRule(node.right, stateOf);
  }
}
