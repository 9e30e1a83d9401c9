/** The COST_SETTINGS environment variable the stack gives RunCost (lib/constructs/run-cost.ts writes it). */
import type { PriceTable } from '../shared/cost/prices';
import * as z from '../shared/zod';

export interface CostSettings {
  /** The stack's region: its prices are the ones used. */
  readonly region: string;
  readonly prices: PriceTable;
  /** Each pipeline function's memory (a list: function names are only known at deploy time). */
  readonly functions: readonly { readonly name: string; readonly memoryMb: number }[];
}

const price = z.number().check(z.gte(0));

export const priceTableSchema = z.object({
  sources: z.array(z.string()),
  asOf: z.string(),
  trainingInstanceHour: z.record(z.string(), price),
  stateTransition: price,
  lambdaGbSecond: price,
  lambdaRequest: price,
});

export const costSettingsSchema = z.object({
  region: z.string().check(z.minLength(1)),
  prices: priceTableSchema,
  functions: z.array(z.object({ name: z.string(), memoryMb: z.int().check(z.gte(128)) })),
}) satisfies z.ZodMiniType<CostSettings>;
