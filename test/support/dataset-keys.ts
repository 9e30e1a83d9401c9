/**
 * The one table of object keys that decides what an upload to the data bucket does. The rule test (the
 * synthesized DatasetUploaded rule's pattern) and the StartRun test both read it, so they cannot disagree.
 *
 * - `starts: false`: the rule does not match; nothing runs.
 * - `starts: { model }`: the rule matches and StartRun records a run for that model.
 * - `starts: { rejected }`: the rule matches (EventBridge cannot check model names) and StartRun fails the
 *   execution with DatasetRejected, its message containing `rejected`.
 */
export interface DatasetKeyCase {
  readonly key: string;
  readonly starts: false | { readonly model: string } | { readonly rejected: string };
}

export const DATASET_KEY_CASES: readonly DatasetKeyCase[] = [
  { key: 'datasets/churn/churn.csv', starts: { model: 'churn' } },
  { key: 'datasets/churn/CHURN.CSV', starts: { model: 'churn' } },
  { key: 'datasets/churn/export.Csv', starts: { model: 'churn' } },
  { key: 'datasets/churn/2026/11/30/part-0001.csv', starts: { model: 'churn' } },
  { key: 'datasets/churn/dt=2026-11-30/data.csv', starts: { model: 'churn' } },
  { key: 'datasets/a/b.csv', starts: { model: 'a' } },
  { key: 'datasets/churn/notes.csv.txt', starts: false },
  { key: 'datasets/churn/schema.json', starts: false },
  { key: 'datasets/churn/data.tsv', starts: false },
  { key: 'datasets/churn.csv', starts: false },
  { key: 'datasets/churn/', starts: false },
  { key: 'ground-truth/churn/labels.csv', starts: false },
  { key: 'other/datasets/churn/x.csv', starts: false },
  { key: 'Datasets/churn/x.csv', starts: false },
  { key: 'datasets/Churn/x.csv', starts: { rejected: 'not a valid model name' } },
  { key: 'datasets/bad_name/x.csv', starts: { rejected: 'not a valid model name' } },
  { key: 'datasets/churn/.csv', starts: { rejected: 'does not name a .csv file' } },
  { key: 'datasets/churn//x.csv', starts: { rejected: 'empty folder or file name' } },
];
