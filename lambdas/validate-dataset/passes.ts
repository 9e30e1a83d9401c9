/**
 * The two reads of the dataset: pass 1 validates (and infers) and hashes, pass 2 writes the splits. Each
 * runs in constant memory.
 */
import { createHash } from 'node:crypto';
import { tooLarge } from './checks';
import { CsvScanner, CsvSyntaxError } from './csv-scanner';
import type { ProblemCollector } from './problems';
import type { ArtifactSink, OpenDataset, OpenSink } from './sinks';
import { DatasetChangedError, type Splitter } from './split';
import { type PassResult, type PassSettings, ValidationPass } from './validate';

/** What pass 1 read and learned. */
export interface PassOutcome {
  readonly result: PassResult;
  readonly bytes: number;
  readonly sha256: string | undefined;
  readonly stoppedEarly: boolean;
}

/** Pass 1: validation, inference, statistics and the sha256. Syntax errors become (fatal) problems. */
export async function runValidationPass(
  open: OpenDataset,
  settings: PassSettings,
  problems: ProblemCollector,
): Promise<PassOutcome> {
  const { options } = settings;
  const pass = new ValidationPass(settings, problems);
  const scanner = new CsvScanner(pass, { maxRecordBytes: options.maxLineBytes });
  pass.attach(scanner);
  const hash = createHash('sha256');
  let bytes = 0;
  let stoppedEarly = false;
  try {
    for await (const chunk of open()) {
      bytes += chunk.length;
      if (bytes > options.maxBytes) {
        problems.add(tooLarge(bytes, options.maxBytes, 'has at least'));
        stoppedEarly = true;
        break;
      }
      hash.update(chunk);
      scanner.push(chunk);
      if (scanner.stopped) {
        stoppedEarly = true;
        break;
      }
    }
    if (!stoppedEarly) scanner.finish();
  } catch (error) {
    if (!(error instanceof CsvSyntaxError)) throw error;
    problems.add({
      kind: error.kind,
      message: error.message,
      line: error.line,
      byteOffset: error.byteOffset,
      ...(error.record > 0 ? { row: error.record } : {}),
    });
    stoppedEarly = true;
  }
  const result = pass.finish(!stoppedEarly);
  return { result, bytes, sha256: stoppedEarly ? undefined : hash.digest('hex'), stoppedEarly };
}

/** Pass 2: writes the splits; aborts every opened sink on failure. */
export async function runSplitPass(
  input: { readonly open: OpenDataset; readonly openSink: OpenSink },
  writer: Splitter,
  pass1: PassOutcome,
): Promise<void> {
  const opened: ArtifactSink[] = [];
  try {
    const train = await input.openSink('train');
    opened.push(train);
    const validation = await input.openSink('validation');
    opened.push(validation);
    const drain = async (all: boolean): Promise<void> => {
      for (const chunk of writer.train.take(all)) await train.write(chunk);
      for (const chunk of writer.validation.take(all)) await validation.write(chunk);
    };
    let bytes = 0;
    for await (const chunk of input.open()) {
      bytes += chunk.length;
      writer.push(chunk);
      await drain(false);
    }
    writer.end();
    writer.finish(pass1.result.rows);
    if (bytes !== pass1.bytes)
      throw new DatasetChangedError(`pass 2 read ${bytes} bytes, pass 1 read ${pass1.bytes}`);
    await drain(true);
    await train.close();
    await validation.close();
  } catch (error) {
    const reason = error instanceof Error ? error : new Error(String(error));
    await Promise.all(opened.map((sink) => sink.abort(reason).catch(() => undefined)));
    throw error;
  }
}
