// HTTP calls to the hub and the upload service, and the signed-in session.

const SESSION_KEY = 'natter_session';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** The saved session `{token, user}`, or null. */
export function loadSession() {
  try {
    return JSON.parse(localStorage.getItem(SESSION_KEY));
  } catch {
    return null;
  }
}

export function saveSession(session) {
  localStorage.setItem(SESSION_KEY, JSON.stringify(session));
}

export function clearSession() {
  localStorage.removeItem(SESSION_KEY);
}

/** Calls the hub's JSON API; throws ApiError with the server's plain-words message. */
export async function api(path, { method = 'GET', body, token } = {}) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'offline', 'The server cannot be reached. Check your connection.');
  }
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  if (!response.ok) {
    const error = data?.error ?? {};
    throw new ApiError(response.status, error.code ?? 'error', error.message ?? `Request failed (${response.status})`);
  }
  return data;
}

/** Uploads a file to the upload service with progress; resolves with the stored media. */
export function uploadMedia(config, token, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `${config.upload_url}/api/v1/media`);
    xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status === 201) resolve(data);
      else reject(new ApiError(xhr.status, data?.error?.code ?? 'error', data?.error?.message ?? `Upload failed (${xhr.status})`));
    };
    xhr.onerror = () => reject(new ApiError(0, 'offline', 'The upload service cannot be reached.'));
    const form = new FormData();
    form.append('file', file, file.name || 'upload');
    xhr.send(form);
  });
}

/** A URL of the upload service that carries the token (for <img> and <audio>). */
export function mediaUrl(config, token, path) {
  return `${config.upload_url}${path}?token=${encodeURIComponent(token)}`;
}
