import { describe, expect, it } from 'vitest';
import { requestBatches } from '../../../../../lambdas/shared/endpoints/batches';

describe('InvokeEndpoint request batches', () => {
  it('splits at the row count and at the byte budget (newlines counted), keeping the order', () => {
    // Prepare
    const rows = ['1,2', '3,4', '5,6', '7,8', '9,10'];

    // Act
    const byRows = [...requestBatches(rows, { maxRows: 2, maxBytes: 1000 })];
    const byBytes = [...requestBatches(rows, { maxRows: 100, maxBytes: 8 })];

    // Assess
    expect(byRows).toEqual([['1,2', '3,4'], ['5,6', '7,8'], ['9,10']]);
    expect(byBytes).toEqual([['1,2', '3,4'], ['5,6', '7,8'], ['9,10']]);
    expect(byBytes.flat()).toEqual(rows);
  });

  it('sends a row over the byte budget alone rather than dropping it', () => {
    expect([...requestBatches(['x'.repeat(20), 'y'], { maxRows: 10, maxBytes: 8 })]).toEqual([
      ['x'.repeat(20)],
      ['y'],
    ]);
  });
});
