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
  /** A string is sent as JSON; bytes with `contentType`. */
  body?: string | Uint8Array;
  contentType?: string;
  accept?: string;
  /** e.g. `Authorization` */
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/** An answer's content type and bytes. */
export interface Answer {
  contentType: string;
  bytes: Uint8Array;
}

/** A request with a hard timeout; non-2xx answers and network errors become RequestError. */
export async function request(url: string, options: RequestOptions = {}): Promise<Answer> {
  const { method = 'GET', body, timeoutMs = REQUEST_TIMEOUT_MS } = options;
  const headers: Record<string, string> = { ...options.headers };
  if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  if (options.accept !== undefined) headers.accept = options.accept;
  try {
    const res = await fetch(url, { method, signal: AbortSignal.timeout(timeoutMs), headers, ...(body === undefined ? {} : { body }) });
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (!res.ok) throw new RequestError(`HTTP ${res.status}: ${Buffer.from(bytes.subarray(0, 200)).toString('utf8')}`, res.status);
    return { contentType: res.headers.get('content-type') ?? '', bytes };
  } catch (err) {
    if (err instanceof RequestError) throw err;
    throw new RequestError(describeFailure(err, timeoutMs));
  }
}

/** A JSON request; an answer that is not JSON is an error. */
export async function requestJson<R = unknown>(url: string, options: RequestOptions = {}): Promise<R> {
  const { bytes } = await request(url, options);
  const text = Buffer.from(bytes).toString('utf8');
  try {
    return (text === '' ? undefined : JSON.parse(text)) as R;
  } catch {
    throw new RequestError('answer is not JSON');
  }
}

function describeFailure(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return `no answer within ${timeoutMs} ms`;
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  const code = (cause as { code?: string }).code;
  return code ?? (cause instanceof Error ? cause.message : String(cause));
}
