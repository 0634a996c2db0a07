// The HTTP side: the hub's JSON API and the upload service, with errors turned into plain words.

/** A failed call: `status` (0 when the server could not be reached), `code`, and a plain message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const PLAIN = {
  bad_credentials: 'That username and password do not match.',
  conflict: 'That username is already taken.',
  token_expired: 'Your session has expired. Please sign in again.',
  invalid_token: 'Your session is no longer valid. Please sign in again.',
  unauthenticated: 'Please sign in first.',
  unavailable: 'The server is busy right now. Please try again in a moment.',
  internal: 'Something went wrong on the server. Please try again.',
  not_found: 'That could not be found.',
};

/** Turns an error body `{error:{code,message}}` into an ApiError worded for people. */
function toError(status, body) {
  const code = body?.error?.code ?? (status === 413 ? 'too_large' : 'error');
  const given = body?.error?.message;
  const message = PLAIN[code] ?? (given ? sentence(given) : `The request failed (HTTP ${status}).`);
  return new ApiError(status, code, message);
}

function sentence(text) {
  const s = String(text).trim();
  return s.charAt(0).toUpperCase() + s.slice(1) + (/[.!?]$/.test(s) ? '' : '.');
}

/** The signed-in user's token, read by every call. */
let token = null;

export function setToken(value) {
  token = value;
}

export function getToken() {
  return token;
}

/** Listeners told when a call answers 401 (the session is over). */
const unauthorized = new Set();
export function onUnauthorized(fn) {
  unauthorized.add(fn);
}

/** Calls the hub: `api('/api/v1/x', {method, body})`; resolves with the JSON answer or null. */
export async function api(path, { method = 'GET', body } = {}) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'offline', 'The server cannot be reached. Check your connection and try again.');
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = toError(response.status, data);
    if (response.status === 401 && token && !path.endsWith('/login')) unauthorized.forEach((fn) => fn(error));
    throw error;
  }
  return data;
}

/**
 * Uploads a file to `{uploadUrl}/api/v1/media` with progress (0..1); resolves with the stored media
 * `{id, kind, mime, size, width, height, duration_ms, waveform, url, thumb_url}`.
 * Returns `{promise, abort}`.
 */
export function uploadMedia(uploadUrl, file, onProgress) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    xhr.open('POST', `${uploadUrl}/api/v1/media`);
    if (token) xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress?.(e.loaded / e.total);
    xhr.onload = () => {
      let data = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        data = null;
      }
      if (xhr.status === 201 || xhr.status === 200) resolve(data);
      else reject(uploadError(xhr.status, data));
    };
    xhr.onerror = () => reject(new ApiError(0, 'offline', 'The upload service cannot be reached. Please try again.'));
    xhr.onabort = () => reject(new ApiError(0, 'aborted', 'The upload was cancelled.'));
    const form = new FormData();
    form.append('file', file, file.name || 'upload');
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}

function uploadError(status, body) {
  const known = {
    413: 'That file is too large to send.',
    415: 'That kind of file cannot be sent. Please choose a JPEG, PNG, GIF or WebP image.',
    422: 'That file could not be read. It may be damaged.',
  };
  if (status === 401) return new ApiError(401, 'invalid_token', PLAIN.invalid_token);
  const error = toError(status, body);
  if (known[status] && !body?.error?.message) error.message = known[status];
  return error;
}

/** A URL of the upload service that carries the token, for <img> and <audio>. */
export function mediaUrl(uploadUrl, path) {
  if (!path) return '';
  const sep = path.includes('?') ? '&' : '?';
  return `${uploadUrl}${path}${sep}token=${encodeURIComponent(token ?? '')}`;
}
