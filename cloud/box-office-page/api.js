// @ts-check
/**
 * The box office's one way to the cloud: `/api/v1` calls with the bearer token the person pasted, kept
 * in sessionStorage (this tab only, never in an address, gone when the tab closes). A call never
 * throws: an unreachable cloud is status 0, and every answer comes back with its parsed JSON body and
 * the error envelope's code, so each caller says in its own words what went wrong.
 */

const TOKEN_KEY = 'box-office-bearer-token';
// Generous for a counter on venue Wi-Fi; a person is waiting, so not endless either.
const REQUEST_TIMEOUT_MS = 15_000;

/** The token in this tab, or null. */
export function storedToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** Keeps a pasted token (a leading "Bearer " is dropped); false when nothing was pasted. @param {string} raw */
export function keepToken(raw) {
  const value = raw.trim().replace(/^Bearer\s+/i, '');
  if (!value) return false;
  sessionStorage.setItem(TOKEN_KEY, value);
  return true;
}

export function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/**
 * @typedef {{ status: number, body: any, code: string | null, message: string | null }} Answer
 *   status 0: the cloud could not be reached (or did not answer in time).
 */

/**
 * Calls `/api/v1{path}` with the stored token.
 * @param {'GET' | 'POST'} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<Answer>}
 */
export async function api(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json', authorization: `Bearer ${storedToken() ?? ''}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      cache: 'no-store',
      credentials: 'omit',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch {
    return { status: 0, body: null, code: null, message: null };
  }
  let parsed = null;
  if ((response.headers.get('content-type') ?? '').includes('json')) {
    parsed = await response.json().catch(() => null);
  }
  const error = parsed && typeof parsed === 'object' ? parsed.error : null;
  return {
    status: response.status,
    body: parsed,
    code: typeof error?.code === 'string' ? error.code : null,
    message: typeof error?.message === 'string' ? error.message : null,
  };
}

/**
 * Every page of a list (bounded: a box office never needs more than `maxPages` of them).
 * @param {string} path the list's path, without `limit` or `cursor`
 * @param {number} [maxPages]
 * @returns {Promise<{ items: any[], answer: Answer }>} `answer` is the first failing one, or the last
 */
export async function allPages(path, maxPages = 10) {
  const items = [];
  const join = path.includes('?') ? '&' : '?';
  let cursor = '';
  let answer;
  for (let page = 0; page < maxPages; page++) {
    answer = await api(
      'GET',
      `${path}${join}limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    if (answer.status !== 200) return { items, answer };
    items.push(...answer.body.items);
    if (!answer.body.nextCursor) break;
    cursor = answer.body.nextCursor;
  }
  return { items, answer: /** @type {Answer} */ (answer) };
}
