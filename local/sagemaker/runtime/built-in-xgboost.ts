/**
 * The built-in XGBoost image's inference, locally: the stand-in model (local/trainers/xgboost, the
 * `xgboost-model.json` its trainer writes) behind the same request and response formats as SageMaker's
 * XGBoost 1.7 container (aws/sagemaker-xgboost-container, algorithm_mode/serve.py and serve_utils.py):
 * - ContentType text/csv (optionally `;label_size=1`, or just `csv`): rows split on newlines after trimming
 *   the payload, fields on commas, an empty field is a missing value; text/libsvm and text/x-libsvm:
 *   `index:value` pairs (anything else on a line, e.g. a label, ignored). Another type is refused with 415
 *   and the container's "… is not an accepted ContentType: …" message. XGBoost itself takes text/csv and
 *   text/libsvm — https://docs.aws.amazon.com/sagemaker/latest/dg/cdf-inference.html and
 *   https://docs.aws.amazon.com/sagemaker/latest/dg/xgboost-how-to-use.html.
 * - application/json is scored too, in the common JSON request format of SageMaker's algorithms
 *   (`{"instances": [{"features": [...]}, ...]}` or one `{"features": [...]}`, cdf-inference.html): a local
 *   convenience the real XGBoost container refuses (docs/local-serving.md says so).
 * - Accept text/csv (the default, or SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT): one line per row, the row's
 *   num_class probabilities comma-separated for multi:softprob (np.savetxt); application/json:
 *   `{"predictions": [{"score": …}, …]}` (serve_utils.encode_predictions_as_json); others 406.
 * - Predictions per objective (binary:logistic probability, multi:softprob K probabilities, multi:softmax
 *   class index, reg:squarederror value), as float32 printed by Python.
 * Unparseable data is a 415 whose message names the row and column; a feature count the model does not have
 * is a 400 "Unable to evaluate payload provided: …", as the container answers.
 */
import { type FeatureMatrix, type GbdtModel, predict } from '../../trainers/xgboost/gbdt';
import { float32 } from './python-format';

/** What a container answers to POST /invocations. */
export interface ContainerResponse {
  readonly status: number;
  readonly body: Buffer;
  readonly contentType: string;
  /** X-Amzn-SageMaker-Custom-Attributes the container returned, if any. */
  readonly customAttributes?: string;
}

/** The accept types the container knows (serve.py SUPPORTED_ACCEPTS). */
const SUPPORTED_ACCEPTS = [
  'application/json',
  'application/jsonlines',
  'application/x-recordio-protobuf',
  'text/csv',
];

/** data_utils.VALID_CONTENT_TYPES, as the container lists them in its refusal. */
const VALID_CONTENT_TYPES =
  'csv, libsvm, parquet, recordio-protobuf, text/csv, text/libsvm, text/x-libsvm, application/x-parquet, ' +
  'application/x-recordio-protobuf';

/** A non-2xx container answer, thrown while parsing or scoring. */
class ContainerError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The built-in XGBoost serving one model. */
export class BuiltInXgboost {
  private readonly defaultAccept: string;

  constructor(
    private readonly model: GbdtModel,
    environment: Readonly<Record<string, string>> = {},
  ) {
    this.defaultAccept = environment.SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT ?? 'text/csv';
  }

  /** Scores a request as the container's POST /invocations does. */
  invoke(body: Buffer, contentType: string | undefined, accept: string | undefined): ContainerResponse {
    try {
      if (body.length === 0) return { status: 204, body: Buffer.alloc(0), contentType: 'text/html' };
      const features = this.parse(body, contentType);
      const acceptType = this.accept(accept);
      const predictions = predict(this.model, features);
      return encode(predictions, this.groups(), acceptType);
    } catch (error) {
      if (!(error instanceof ContainerError)) throw error;
      return {
        status: error.status,
        body: Buffer.from(error.message),
        contentType: 'text/html; charset=utf-8',
      };
    }
  }

  private groups(): number {
    return this.model.objective === 'multi:softprob' ? this.model.numClass : 1;
  }

  private parse(body: Buffer, contentType: string | undefined): FeatureMatrix {
    const [type = '', ...params] = (contentType ?? '').toLowerCase().split(';');
    const mediaType = type.trim();
    const text = body.toString('utf8').trim();
    if (mediaType === 'text/csv' || mediaType === 'csv') {
      const labelSize = params.map((p) => p.trim()).find((p) => p.startsWith('label_size='));
      if (labelSize && labelSize !== 'label_size=1') {
        throw new ContainerError(
          415,
          `${contentType} is not an accepted csv ContentType. Optional parameter label_size must be equal to 1`,
        );
      }
      return this.checked(parseCsv(text));
    }
    if (mediaType === 'text/libsvm' || mediaType === 'text/x-libsvm' || mediaType === 'libsvm') {
      return parseLibsvm(text, this.model.numFeature);
    }
    if (mediaType === 'application/json') return this.checked(parseJson(text));
    throw new ContainerError(
      415,
      `${contentType ?? 'None'} is not an accepted ContentType: ${VALID_CONTENT_TYPES}.`,
    );
  }

  /** XGBoost refuses a matrix whose width is not the model's feature count. */
  private checked(matrix: FeatureMatrix): FeatureMatrix {
    if (matrix.columns !== this.model.numFeature) {
      const without =
        matrix.columns === this.model.numFeature + 1 ? ' (send the features only, without the label)' : '';
      throw new ContainerError(
        400,
        `Unable to evaluate payload provided: the rows have ${matrix.columns} columns, the model has ` +
          `${this.model.numFeature} features${without}`,
      );
    }
    return matrix;
  }

  private accept(accept: string | undefined): string {
    const type = (accept ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (type === '' || type === '*/*') return this.defaultAccept;
    if (!SUPPORTED_ACCEPTS.includes(type)) {
      throw new ContainerError(
        406,
        `Accept type ${accept} is not supported. Please use supported accept types: ` +
          `[${SUPPORTED_ACCEPTS.map((a) => `'${a}'`).join(', ')}].`,
      );
    }
    if (type !== 'text/csv' && type !== 'application/json') {
      throw new ContainerError(
        406,
        `Accept type ${type} is not served by the local stand-in: use text/csv or application/json.`,
      );
    }
    return type;
  }
}

/** Rows of comma-separated numbers; '' is missing (NaN), as encoder._clean_csv_string makes it. */
function parseCsv(text: string): FeatureMatrix {
  const lines = text.split('\n');
  const columns = lines[0]?.split(',').length ?? 0;
  const values = new Float64Array(lines.length * columns);
  lines.forEach((line, r) => {
    const fields = line.split(',');
    if (fields.length !== columns) {
      throw csvError(
        `setting an array element with a sequence: row ${r + 1} has ${fields.length} columns, row 1 has ${columns}`,
      );
    }
    fields.forEach((field, c) => {
      const value = parseNumber(field);
      if (value === undefined) {
        // A header row is the usual culprit: XGBoost takes rows of features only.
        const hint = r === 0 ? '; a header row? send the rows without it' : '';
        throw csvError(
          `could not convert string to float: '${field}' (row ${r + 1}, column ${c + 1}${hint})`,
        );
      }
      values[r * columns + c] = value;
    });
  });
  return { rows: lines.length, columns, layout: 'row-major', values };
}

function csvError(detail: string): ContainerError {
  return new ContainerError(
    415,
    `Loading csv data failed with Exception, please ensure data is in csv format:\n <class 'ValueError'>\n ${detail}`,
  );
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const SPECIAL: Record<string, number> = {
  nan: Number.NaN,
  inf: Number.POSITIVE_INFINITY,
  '+inf': Number.POSITIVE_INFINITY,
  '-inf': Number.NEGATIVE_INFINITY,
  infinity: Number.POSITIVE_INFINITY,
  '-infinity': Number.NEGATIVE_INFINITY,
};

/** Python's float() of a field: surrounding white space allowed, nan/inf spelled any case; '' is missing. */
function parseNumber(field: string): number | undefined {
  const trimmed = field.trim();
  if (trimmed === '') return Number.NaN;
  if (NUMBER.test(trimmed)) return Number(trimmed);
  return SPECIAL[trimmed.toLowerCase()];
}

/** `index:value` pairs per line (serve_utils._get_sparse_matrix_from_libsvm); absent features are missing. */
function parseLibsvm(text: string, numFeature: number): FeatureMatrix {
  const lines = text.split('\n');
  const values = new Float64Array(lines.length * numFeature).fill(Number.NaN);
  lines.forEach((line, r) => {
    for (const item of line.trim().split(' ')) {
      const colon = item.indexOf(':');
      if (colon === -1) continue;
      const index = Number(item.slice(0, colon));
      const value = parseNumber(item.slice(colon + 1));
      if (!Number.isInteger(index) || index < 0 || value === undefined) {
        throw new ContainerError(
          415,
          `Loading libsvm data failed with Exception, please ensure data is in libsvm format:\n <class 'ValueError'>\n invalid item '${item}' (row ${r + 1})`,
        );
      }
      if (index >= numFeature) {
        throw new ContainerError(
          400,
          `Unable to evaluate payload provided: row ${r + 1} has feature ${index}, the model has ${numFeature} features (0 to ${numFeature - 1})`,
        );
      }
      values[r * numFeature + index] = value;
    }
  });
  return { rows: lines.length, columns: numFeature, layout: 'row-major', values };
}

/** `{"instances": [{"features": [...]}, ...]}` or `{"features": [...]}`; null is a missing value. */
function parseJson(text: string): FeatureMatrix {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw jsonError(`the body is not JSON: ${(error as Error).message}`);
  }
  const instances = isObject(json) && Array.isArray(json.instances) ? json.instances : [json];
  const rows = instances.map((instance, r) => {
    const features = isObject(instance) ? instance.features : undefined;
    if (!Array.isArray(features)) {
      throw jsonError(`instance ${r + 1} has no "features" array (expected {"features": [1.5, 16.0, ...]})`);
    }
    return features.map((value: unknown, c) => {
      if (value === null) return Number.NaN;
      if (typeof value === 'number') return value;
      throw jsonError(`instance ${r + 1}, feature ${c + 1} is ${JSON.stringify(value)}, not a number`);
    });
  });
  const columns = rows[0]?.length ?? 0;
  const values = new Float64Array(rows.length * columns);
  rows.forEach((row, r) => {
    if (row.length !== columns) {
      throw jsonError(`instance ${r + 1} has ${row.length} features, instance 1 has ${columns}`);
    }
    values.set(row, r * columns);
  });
  return { rows: rows.length, columns, layout: 'row-major', values };
}

function jsonError(detail: string): ContainerError {
  return new ContainerError(415, `Loading json data failed: ${detail}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Predictions (row-major, `groups` per row) in the accept type's format. */
function encode(predictions: Float64Array, groups: number, accept: string): ContainerResponse {
  const rows: string[] = [];
  for (let r = 0; r < predictions.length / groups; r++) {
    const row = Array.from(predictions.subarray(r * groups, (r + 1) * groups), float32);
    rows.push(groups === 1 ? (row[0] ?? '') : accept === 'text/csv' ? row.join(',') : `[${row.join(', ')}]`);
  }
  if (accept === 'application/json') {
    // json.dumps's default separators: ", " and ": ".
    const body = `{"predictions": [${rows.map((score) => `{"score": ${score}}`).join(', ')}]}`;
    return { status: 200, body: Buffer.from(body), contentType: 'application/json' };
  }
  // Flask adds the charset to a text/* mimetype.
  return {
    status: 200,
    body: Buffer.from(rows.map((row) => `${row}\n`).join('')),
    contentType: 'text/csv; charset=utf-8',
  };
}
