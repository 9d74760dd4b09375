/** Default timeout of every outgoing request: a peer that never answers stalls nothing. */
export const REQUEST_TIMEOUT_MS = 2000;

export class RequestError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

export interface RequestOptions {
  method?: 'GET' | 'POST';
  body?: string;
  timeoutMs?: number;
}

/** A JSON request with a hard timeout; non-2xx answers and network errors become RequestError. */
export async function requestJson<R = unknown>(url: string, options: RequestOptions = {}): Promise<R> {
  const { method = 'GET', body, timeoutMs = REQUEST_TIMEOUT_MS } = options;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      signal: AbortSignal.timeout(timeoutMs),
      ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }),
    });
  } catch (err) {
    throw new RequestError(describeFailure(err, timeoutMs));
  }
  const text = await res.text().catch(() => '');
  if (!res.ok) throw new RequestError(`HTTP ${res.status}: ${text.slice(0, 200)}`, res.status);
  try {
    return (text === '' ? undefined : JSON.parse(text)) as R;
  } catch {
    throw new RequestError(`HTTP ${res.status}: answer is not JSON`, res.status);
  }
}

function describeFailure(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return `no answer within ${timeoutMs} ms`;
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  const code = (cause as { code?: string }).code;
  return code ?? (cause instanceof Error ? cause.message : String(cause));
}
