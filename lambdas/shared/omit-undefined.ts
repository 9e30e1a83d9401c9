/**
 * With `exactOptionalPropertyTypes`, `{ a?: string }` means "absent or a string", never "present and
 * undefined". {@link omitUndefined} turns an object built from maybe-undefined values into that shape, for
 * the places where a key's presence matters (a stored item, a JSON document, an SDK request) or where the
 * target type is exact.
 */

/** `T` with every property that may be undefined made optional and without `undefined`. */
export type OmitUndefined<T> = {
  [K in keyof T as undefined extends T[K] ? never : K]: T[K];
} & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

/** A shallow copy of `value` without the properties whose value is undefined. */
export function omitUndefined<T extends object>(value: T): OmitUndefined<T> {
  const entries = Object.entries(value).filter(([, entry]) => entry !== undefined);
  // The one cast: Object.fromEntries cannot know which keys the filter kept.
  return Object.fromEntries(entries) as OmitUndefined<T>;
}
