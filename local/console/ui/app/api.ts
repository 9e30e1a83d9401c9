/// <reference lib="dom" />
/** The console's API client: GETs of JSON and the token-guarded actions (issue 12's API contract). */

/** A model in the list. */
export interface ModelSummary {
  name: string;
  production?: { version: number };
  latest?: { version: number; status: string; metricName?: string; metricValue?: number };
}

/** A status change in a version's timeline or the model's audit trail. */
export interface HistoryEntry {
  status?: string;
  type?: string;
  at: string;
  actor?: string;
  reason?: string;
  version?: number;
}

/** A model's version. */
export interface ModelVersion {
  version: number;
  status: string;
  metricName?: string;
  metricValue?: number;
  createdAt: string;
  runId: string;
  history: HistoryEntry[];
}

/** A model with its versions, aliases and audit trail. */
export interface ModelDetail {
  name: string;
  aliases: Record<string, number>;
  versions: ModelVersion[];
  audit: HistoryEntry[];
  next?: string;
}

/** A run in the list. */
export interface RunSummary {
  runId: string;
  model: string;
  status: string;
  step?: string;
  startedAt: string;
  endedAt?: string;
  durationMs?: number;
  costUsd?: number;
  version?: number;
}

/** A validation problem, located when the validator knows where. */
export interface Problem {
  row?: number;
  line?: number;
  column?: string;
  kind?: string;
  value?: string;
  expected?: string;
  message: string;
}

/** A run with its steps, reports and artifacts. */
export interface RunDetail {
  run: RunSummary & Record<string, unknown>;
  steps: { name: string; status: string; startedAt?: string; endedAt?: string }[];
  validation?: {
    accepted: boolean;
    problems: Problem[];
    problemCount?: number;
    rows?: number;
    columns?: string[];
    target?: string;
    stoppedEarly?: boolean;
  };
  training?: { rounds: { round: number; metrics: Record<string, number> }[] };
  evaluation?: { decision: string; reasons: string[]; metric?: string; value?: number; champion?: unknown };
  artifacts: { name: string; href: string }[];
}

/** Thrown for a response that is not 2xx, with the server's message when it sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function failure(response: Response): Promise<ApiError> {
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = (await response.json()) as { error?: unknown; message?: unknown };
    const said = body.message ?? body.error;
    if (typeof said === 'string') message = `${message}: ${said}`;
  } catch {
    // Not JSON: the status says enough.
  }
  return new ApiError(response.status, message);
}

/** GETs an API path (built with {@link apiPath}) as JSON. */
export async function get<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await fetch(path, {
    headers: { Accept: 'application/json' },
    ...(signal ? { signal } : {}),
  });
  if (!response.ok) throw await failure(response);
  return (await response.json()) as T;
}

/** An API path from its parts (each URI-encoded) and query parameters (missing ones left out). */
export function apiPath(
  parts: (string | number)[],
  query: Record<string, string | number | undefined> = {},
): string {
  const path = `/api/${parts.map((part) => encodeURIComponent(String(part))).join('/')}`;
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value));
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

const TOKEN_KEY = 'mlops-console-token';

/** The action token kept for this tab (sessionStorage: gone when the tab closes). */
export function token(): string | undefined {
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

/** Keeps (or, with undefined, forgets) the action token for this tab. */
export function setToken(value: string | undefined): void {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** POSTs an action as JSON with the token header; the server refuses it (403) without the right token. */
export async function act<T = unknown>(path: string, body: Record<string, unknown>): Promise<T> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' };
  const current = token();
  if (current) headers['X-Mlops-Token'] = current;
  const response = await fetch(path, { method: 'POST', headers, body: JSON.stringify(body) });
  if (!response.ok) throw await failure(response);
  const text = await response.text();
  return (text ? JSON.parse(text) : {}) as T;
}
