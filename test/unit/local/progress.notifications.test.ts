import { describe, expect, it } from 'vitest';
import type { SnsMessage } from '../../../local/aws/sns';
import { ProgressPrinter } from '../../../local/progress';

const base = {
  MessageId: 'm',
  TopicArn: 'arn:aws:sns:us-east-1:000000000000:Topic',
  MessageAttributes: {},
  Timestamp: '2026-11-30T15:00:00.000Z',
  deliveries: ['would email ops@example.com'],
} as const;

const alarm = (NewStateValue: string, OldStateValue: string): SnsMessage => ({
  ...base,
  Subject: `${NewStateValue}: "S-dead-letters-Q" in us-east-1`,
  Message: JSON.stringify({
    AlarmName: 'S-dead-letters-Q',
    AlarmDescription:
      'The queue holds messages. What to do: read them. Runbook: docs/operations.md#dead-letters',
    NewStateValue,
    OldStateValue,
    NewStateReason: 'Threshold Crossed',
  }),
});

function printed(message: SnsMessage): string[] {
  const lines: string[] = [];
  new ProgressPrinter((line) => lines.push(line)).notification(message);
  return lines;
}

describe('npm start prints the topic’s messages', () => {
  it('a lifecycle message: subject, where it would go, the text indented', () => {
    expect(
      printed({
        ...base,
        Subject: '[S] churn v2 deployed e',
        Message: 'churn v2 deployed e\n\nLook closer: x',
      }),
    ).toEqual([
      '✉ [S] churn v2 deployed e → would email ops@example.com',
      '    churn v2 deployed e',
      '',
      '    Look closer: x',
    ]);
  });

  it('an alarm: its description split into meaning, what to do, runbook, and the reason', () => {
    expect(printed(alarm('ALARM', 'OK'))).toEqual([
      '✉ ALARM: "S-dead-letters-Q" in us-east-1 → would email ops@example.com',
      '    The queue holds messages.',
      '    What to do: read them.',
      '    Runbook: docs/operations.md#dead-letters',
      '    Reason: Threshold Crossed',
    ]);
  });

  it('OK after ALARM is news; a new alarm’s first OK is not', () => {
    expect(printed(alarm('OK', 'ALARM'))[0]).toBe(
      '✉ OK: "S-dead-letters-Q" in us-east-1 → would email ops@example.com',
    );
    expect(printed(alarm('OK', 'INSUFFICIENT_DATA'))).toEqual([]);
  });
});
