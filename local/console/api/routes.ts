/**
 * The console's JSON API: each GET reads through the target's AWS clients (the CLI's read functions where
 * they fit) one registry page at a time (`?cursor=` in, `next` out); each POST is the CLI command's effect.
 */
import type { Target } from '../../../cli/target';
import type { ChangeKind } from './changes';
import { modelDetail, modelsPage } from './models';

/** An error with the HTTP status it is answered with. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** What the handlers read and act on. */
export interface ApiContext {
  readonly target: Target;
  readonly stackName: string;
  /** Readers beyond the target's clients (optional: an endpoint without its reader answers 404). */
  readonly readers: Readonly<Record<string, never>>;
  readonly changed: (kind: ChangeKind) => void;
}

/** A JSON body, or raw bytes with their headers (artifacts, reports). */
export type ApiResult =
  | { readonly kind: 'json'; readonly body: unknown }
  | { readonly kind: 'raw'; readonly headers: Record<string, string>; readonly body: Uint8Array | string };

const json = (body: unknown): ApiResult => ({ kind: 'json', body });

/**
 * Answers one API request.
 *
 * @throws ApiError (404 for a path not served), or the readers' errors (NotFoundError, UsageError)
 */
export async function routeApi(
  context: ApiContext,
  method: string,
  url: URL,
  _body: unknown,
): Promise<ApiResult> {
  const parts = url.pathname.split('/').slice(2).map(decodeURIComponent);
  const cursor = url.searchParams.get('cursor') ?? undefined;
  const [first, second, third] = parts;
  if (method === 'GET' || method === 'HEAD') {
    if (first === 'session' && parts.length === 1)
      return json({ stackName: context.stackName, target: 'local', actions: true });
    if (first === 'models' && parts.length === 1) return json(await modelsPage(context.target, cursor));
    if (first === 'models' && second !== undefined && parts.length === 2)
      return json(await modelDetail(context.target, second, cursor));
  }
  void third;
  throw new ApiError(404, `${method} ${url.pathname} is not served`);
}
