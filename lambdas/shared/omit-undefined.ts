/**
 * With `exactOptionalPropertyTypes`, `{ a?: string }` means "absent or a string", never "present and
 * undefined". {@link omitUndefined} turns an object built from maybe-undefined values into that shape, for
 * the places where a key's presence matters (a stored item: the DynamoDB document client refuses undefined
 * attribute values unless configured to drop them; a JSON document; an exact target type). The stack's one
 * helper for it.
 */

/** `T` with every property that may be undefined made optional and without `undefined`. */
export type OmitUndefined<T> = {
  [K in keyof T as undefined extends T[K] ? never : K]: T[K];
} & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

/**
 * A copy of `value` without the properties whose value is undefined, in nested plain objects and arrays
 * too (other objects — Dates, Sets, class instances — are kept as they are).
 */
export function omitUndefined<T extends object>(value: T): OmitUndefined<T> {
  // The one cast: Object.fromEntries cannot know which keys the filter kept.
  return omitDeep(value) as OmitUndefined<T>;
}

function omitDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(omitDeep);
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, entry]) => entry !== undefined)
        .map(([key, entry]) => [key, omitDeep(entry)]),
    );
  }
  return value;
}
