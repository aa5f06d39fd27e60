// The one path to the node: its HTTP/JSON API (docs/api.md), with the
// session's token. Nothing here talks to any other host.

const TOKEN_KEY = 'lmx.token';

// The token lives for the browser session only (sessionStorage), never in
// localStorage or a cookie.
export const session = {
  get token() { return sessionStorage.getItem(TOKEN_KEY) || ''; },
  signIn(token) { sessionStorage.setItem(TOKEN_KEY, token.trim()); },
  signOut() { sessionStorage.removeItem(TOKEN_KEY); },
};

export class ApiError extends Error {
  constructor(error) {
    super(error.message || error.status || 'request failed');
    this.code = error.code;      // the HTTP status
    this.status = error.status;  // the canonical code, e.g. PERMISSION_DENIED
    this.details = error.details || [];
  }
  // The field violations of a google.rpc.BadRequest detail.
  get violations() {
    const bad = this.details.find((d) => (d['@type'] || '').endsWith('google.rpc.BadRequest'));
    return bad ? bad.fieldViolations || [] : [];
  }
  detail(type) { return this.details.find((d) => (d['@type'] || '').endsWith(type)); }
}

export function authHeaders() {
  return session.token ? { Authorization: `Bearer ${session.token}` } : {};
}

// A streaming method answers an array of messages: their repeated fields
// are concatenated, and the rest (origins, columns) come from the first.
export function merge(messages) {
  if (!Array.isArray(messages)) return messages;
  const out = {};
  for (const message of messages) {
    if (message && message.error) throw new ApiError(message.error);
    for (const [key, value] of Object.entries(message)) {
      if (Array.isArray(value) && key !== 'origins' && key !== 'columns') {
        out[key] = (out[key] || []).concat(value);
      } else if (!(key in out)) {
        out[key] = value;
      }
    }
  }
  return out;
}

async function parse(response) {
  const text = await response.text();
  let body;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    throw new ApiError({ code: response.status, status: 'UNKNOWN', message: text.slice(0, 500) });
  }
  if (!response.ok) {
    throw new ApiError(body.error || { code: response.status, status: 'UNKNOWN', message: response.statusText });
  }
  return merge(body);
}

// Calls `/api/v1/<method>` with `request` as its JSON body.
export async function call(method, request = {}, { signal } = {}) {
  let response;
  try {
    response = await fetch(`/api/v1/${method}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...authHeaders() },
      body: JSON.stringify(request),
      signal,
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError({ code: 0, status: 'UNAVAILABLE', message: `the node did not answer: ${e.message}` });
  }
  return parse(response);
}

// Publishes `file` (a File or Blob) through PublishService/Publish. The
// browser streams the file from disk (XMLHttpRequest.send(File)), so the
// page never holds it; `progress(sent, total)` follows the upload.
export function publish(file, parameters, progress) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(parameters)) {
    if (value !== undefined && value !== null && value !== '') query.set(key, String(value));
  }
  const xhr = new XMLHttpRequest();
  const done = new Promise((resolve, reject) => {
    xhr.open('POST', `/api/v1/PublishService/Publish?${query}`);
    for (const [key, value] of Object.entries(authHeaders())) xhr.setRequestHeader(key, value);
    xhr.setRequestHeader('Content-Type', 'text/csv');
    // Once the whole file is sent the node may commit it whatever happens to
    // the connection: only a cut before that is known to write nothing.
    let whole = false;
    xhr.upload.onprogress = (e) => progress && progress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.upload.onload = () => { whole = true; };
    const lost = (what) => (whole
      ? `${what} after the whole file was sent: the node may have written it. Look at the release calendar and the completeness below, or lmx peers, before sending it again.`
      : `${what} before the whole file was sent; nothing was written`);
    xhr.onerror = () => reject(new ApiError({ code: 0, status: 'UNAVAILABLE', message: lost('the connection was lost') }));
    xhr.onabort = () => reject(new ApiError({ code: 0, status: 'CANCELLED', message: lost('the upload was stopped') }));
    xhr.onload = () => {
      let body;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        reject(new ApiError({ code: xhr.status, status: 'UNKNOWN', message: xhr.responseText.slice(0, 500) }));
        return;
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else reject(new ApiError(body.error || { code: xhr.status, status: 'UNKNOWN', message: xhr.statusText }));
    };
    xhr.send(file);
  });
  return { done, abort: () => xhr.abort(), get sent() { return whole; } };
}
