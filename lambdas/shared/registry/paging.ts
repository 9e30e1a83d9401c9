import { InvalidPageTokenError } from './errors';

export const DEFAULT_PAGE_SIZE = 100;

export type PageKey = Record<string, string>;

/** What a token must look like to continue a given query. */
export interface TokenShape {
  /** Every key attribute of the table/index queried (LastEvaluatedKey has exactly these). */
  readonly attributes: readonly string[];
  /** The partition attribute and the value the query is for. */
  readonly partition: readonly [attribute: string, value: string];
  /** The sort attribute and the prefix the query is limited to; undefined: the whole partition. */
  readonly sortPrefix?: readonly [attribute: string, prefix: string] | undefined;
}

/** Opaque token: base64url of the JSON LastEvaluatedKey. */
export function encodePageToken(key: Record<string, unknown> | undefined): string | undefined {
  return key === undefined ? undefined : Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/**
 * Decodes a nextToken and checks it belongs to the query it is used with.
 * @throws InvalidPageTokenError naming the problem
 */
export function decodePageToken(token: string | undefined, shape: TokenShape): PageKey | undefined {
  if (token === undefined) return undefined;
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw new InvalidPageTokenError('not base64url text');
  const key = parseJsonObject(Buffer.from(token, 'base64url').toString('utf8'));
  const names = Object.keys(key).sort();
  if (names.join(',') !== [...shape.attributes].sort().join(',')) {
    throw new InvalidPageTokenError(
      `expected the attributes ${shape.attributes.join(', ')}, got ${names.join(', ')}`,
    );
  }
  const result: PageKey = {};
  for (const name of names) {
    const value = key[name];
    if (typeof value !== 'string') throw new InvalidPageTokenError(`${name} is not a string`);
    result[name] = value;
  }
  const [partitionName, partitionValue] = shape.partition;
  if (result[partitionName] !== partitionValue) {
    throw new InvalidPageTokenError('it was issued for a different listing');
  }
  if (shape.sortPrefix !== undefined && !result[shape.sortPrefix[0]]?.startsWith(shape.sortPrefix[1])) {
    throw new InvalidPageTokenError('it was issued for a different listing');
  }
  return result;
}

function parseJsonObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidPageTokenError('not valid JSON once decoded');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidPageTokenError('not a key object once decoded');
  }
  return value as Record<string, unknown>;
}
