// The HTTP side: the hub's JSON API and the upload service, with errors turned into plain words
// (translated by their code).

import { has, language, t } from './i18n.js';

/** A failed call: `status` (0 when the server could not be reached), `code`, and a plain message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Codes whose server message names the problem (which field); shown as given in English. */
const DETAILED = new Set(['invalid', 'bad_request']);

/**
 * Turns an error body `{error:{code,message}}` into an ApiError worded for people, in the page's
 * language: the code picks the catalogue's sentence (`api.<code>`); an unknown code shows the
 * server's (English) message in English, and the status otherwise.
 */
function toError(status, body) {
  const code = body?.error?.code ?? (status === 413 ? 'too_large' : status === 429 ? 'rate_limited' : 'error');
  const given = body?.error?.message;
  const english = language() === 'en';
  let message;
  if (given && english && DETAILED.has(code)) message = sentence(given);
  else if (has(`api.${code}`)) message = t(`api.${code}`);
  else message = given && english ? sentence(given) : t('api.failed', { status });
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
    throw new ApiError(0, 'offline', t('api.offline'));
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
    xhr.onerror = () => reject(new ApiError(0, 'offline', t('api.uploadOffline')));
    xhr.onabort = () => reject(new ApiError(0, 'aborted', t('api.aborted')));
    const form = new FormData();
    form.append('file', file, file.name || 'upload');
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}

function uploadError(status, body) {
  if (status === 401) return new ApiError(401, 'invalid_token', t('api.invalid_token'));
  const byStatus = { 413: 'too_large', 415: 'unsupported_type', 422: 'unprocessable' };
  if (!body?.error?.code && byStatus[status]) return new ApiError(status, byStatus[status], t(`api.${byStatus[status]}`));
  return toError(status, body);
}

/** A URL of the upload service that carries the token, for <img> and <audio>. */
export function mediaUrl(uploadUrl, path) {
  if (!path) return '';
  const sep = path.includes('?') ? '&' : '?';
  return `${uploadUrl}${path}${sep}token=${encodeURIComponent(token ?? '')}`;
}
