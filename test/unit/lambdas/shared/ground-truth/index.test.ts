import { describe, expect, it } from 'vitest';
import {
  type CapturedRequest,
  emptyJoinCounts,
  formatOfKey,
  type GroundTruthRecord,
  joinLabels,
  LabelIndex,
  lines,
  noProblems,
  parseGroundTruth,
} from '../../../../../lambdas/shared/ground-truth';

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield new TextEncoder().encode(part);
}

async function records(
  parts: string[],
  options: Parameters<typeof parseGroundTruth>[2] = {},
): Promise<{ records: GroundTruthRecord[]; problems: ReturnType<typeof noProblems> }> {
  const problems = noProblems();
  const found: GroundTruthRecord[] = [];
  for await (const record of parseGroundTruth(chunks(...parts), problems, options)) found.push(record);
  return { records: found, problems };
}

describe('parseGroundTruth', () => {
  it("reads SageMaker Model Monitor's ground-truth records (eventId, or inferenceId when given)", async () => {
    const { records: found, problems } = await records([
      '{"groundTruthData":{"data":"1","encoding":"CSV"},"eventMetadata":{"eventId":"aaaa-bbbb-cccc"},"eventVersion":"0"}\n',
      '{"groundTruthData":{"data":"0\\n1","encoding":"CSV"},"eventMetadata":{"eventId":"e2","inferenceId":"req-7"},"eventVersion":"0"}\n',
      '{"groundTruthData":{"data":"[\\"yes\\"]","encoding":"JSON"},"eventMetadata":{"eventId":"e3"},"eventVersion":"0"}\n',
    ]);
    expect(found).toEqual([
      { id: 'aaaa-bbbb-cccc', row: 0, labels: ['1'] },
      { id: 'req-7', row: 0, labels: ['0', '1'] },
      { id: 'e3', row: 0, labels: ['yes'] },
    ]);
    expect(problems).toEqual(noProblems());
  });

  it('reads plain JSON Lines split anywhere across chunks, with CRLF, numbers and label arrays', async () => {
    const { records: found } = await records([
      '{"inferenceId":"a","lab',
      'el":"yes"}\r\n{"eventId":"b","label":3.5}\n\n{"id":42,"label":["x","y"]}\n{"id":"c","label":"n","row":2}',
    ]);
    expect(found).toEqual([
      { id: 'a', row: 0, labels: ['yes'] },
      { id: 'b', row: 0, labels: ['3.5'] },
      { id: '42', row: 0, labels: ['x', 'y'] },
      { id: 'c', row: 2, labels: ['n'] },
    ]);
  });

  it('counts hostile lines by kind and keeps reading', async () => {
    const { records: found, problems } = await records([
      '{"inferenceId":"ok","label":"1"}\n',
      'not json\n',
      '[1,2]\n',
      '{"label":"1"}\n',
      '{"inferenceId":"x"}\n',
      `{"inferenceId":"${'i'.repeat(5000)}","label":"1"}\n`,
      '{"inferenceId":"y","label":"1","row":-1}\n',
      '{"inferenceId":"z","label":""}\n',
    ]);
    expect(found.map((r) => r.id)).toEqual(['ok']);
    expect(problems).toMatchObject({ malformed: 3, missingId: 2, missingLabel: 2 });
  });

  it('skips an overlong line without holding it (counted as malformed), keeping the lines around it', async () => {
    const huge = Array.from({ length: 40 }, () => 'x'.repeat(64 * 1024));
    const { records: found, problems } = await records([
      '{"inferenceId":"before","label":"1"}\n{"inferenceId":"huge","label":"',
      ...huge,
      '"}\n{"inferenceId":"after","label":"0"}',
    ]);
    expect(found.map((r) => r.id)).toEqual(['before', 'after']);
    expect(problems.malformed).toBe(1);
    const split: (string | null)[] = [];
    for await (const line of lines(chunks('ab\r\ncd', 'ef\n', '0123456789\nz'), 5)) split.push(line);
    expect(split).toEqual(['ab', 'cdef', null, 'z']);
  });

  it('skips a CSV record beyond the size limit (counted as malformed) instead of buffering it', async () => {
    const { records: found, problems } = await records(
      ['id,label\nok,1\nbig,"', 'y'.repeat(1_100_000), '"\n'],
      { format: 'csv' },
    );
    expect(found.map((r) => r.id)).toEqual(['ok']);
    expect(problems.malformed).toBeGreaterThanOrEqual(1);
  });

  it('reads CSV with a header naming the id and the label (or the target column), sniffed or by extension', async () => {
    const csv = 'inference_id,churned,row\nr1,yes,\n"r,2",no,1\n,yes,\n';
    const { records: found, problems } = await records([csv], { targetColumn: 'churned' });
    expect(found).toEqual([
      { id: 'r1', row: 0, labels: ['yes'] },
      { id: 'r,2', row: 1, labels: ['no'] },
    ]);
    expect(problems.missingId).toBe(1);
    expect(formatOfKey('ground-truth/m/2026/labels.CSV')).toBe('csv');
    expect(formatOfKey('ground-truth/m/labels.jsonl')).toBe('jsonl');
    expect(formatOfKey('ground-truth/m/labels')).toBeUndefined();
  });

  it('counts every line of a CSV whose header names no id or label column as malformed', async () => {
    const { records: found, problems } = await records(['a,b\n1,2\n3,4\n'], { format: 'csv' });
    expect(found).toEqual([]);
    expect(problems.malformed).toBe(3);
  });
});

describe('LabelIndex and the join', () => {
  const request = (over: Partial<CapturedRequest>): CapturedRequest => ({
    eventId: 'e',
    inferenceId: undefined,
    inferenceTime: '2026-11-30T10:00:00Z',
    rows: [[1, 'a']],
    predictions: [[0.9]],
    ...over,
  });

  it('merges files (later labels win; repeats and conflicts counted)', () => {
    const index = new LabelIndex();
    index.add({ id: 'a', row: 0, labels: ['1', '0'] });
    index.add({ id: 'a', row: 1, labels: ['1'] });
    index.add({ id: 'a', row: 0, labels: ['1'] });
    expect(index.get('a')).toEqual(['1', '1']);
    expect(index.size).toBe(2);
    expect(index.problems).toMatchObject({ conflicts: 1, duplicates: 1 });
  });

  it('matches by inferenceId first, then eventId; labels rows of multi-row requests; skips unreadable rows', async () => {
    const index = new LabelIndex();
    index.add({ id: 'req-1', row: 0, labels: ['yes'] });
    index.add({ id: 'ev-2', row: 0, labels: ['no', 'yes', 'no'] });
    index.add({ id: 'ev-3', row: 0, labels: ['no'] });
    const counts = emptyJoinCounts();
    const joined = [];
    for await (const row of joinLabels(
      [
        request({ eventId: 'ev-1', inferenceId: 'req-1' }),
        request({ eventId: 'ev-2', rows: [[1, 'a'], null, [3, 'c']], predictions: [[0.1], [0.2], [0.3]] }),
        request({ eventId: 'ev-3', predictions: undefined }),
        request({ eventId: 'unlabeled' }),
        // The stack's own invocations (the prediction baseline) are not traffic, labeled or not.
        request({ eventId: 'ev-1', inferenceId: 'mlops-internal-baseline-1' }),
      ],
      index,
      counts,
    )) {
      joined.push(row);
    }
    expect(joined.map((row) => [row.id, row.row, row.label, row.prediction])).toEqual([
      ['req-1', 0, 'yes', [0.9]],
      ['ev-2', 0, 'no', [0.1]],
      ['ev-2', 2, 'no', [0.3]],
      ['ev-3', 0, 'no', undefined],
    ]);
    expect(counts).toEqual({
      requests: 4,
      rows: 6,
      labeledRows: 4,
      withoutPrediction: 1,
      unreadableRows: 1,
      internalRequests: 1,
    });
  });
});
