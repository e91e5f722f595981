// The server's JSON API: every error answer is {"error": "..."}, thrown as ApiError.

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

async function failure(response) {
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = await response.json();
    if (body && body.error) message = body.error;
  } catch (ignored) {
    // not JSON: keep the status line
  }
  return new ApiError(message, response.status);
}

export async function getJSON(url) {
  const response = await fetch(url, { cache: "no-store" });
  if (!response.ok) throw await failure(response);
  return response.json();
}

export async function postJSON(url, body, { signal } = {}) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
    signal,
  });
  if (!response.ok) throw await failure(response);
  return response.json();
}

export async function deleteResource(url) {
  const response = await fetch(url, { method: "DELETE" });
  if (!response.ok) throw await failure(response);
}

export async function getArrayBuffer(url) {
  const response = await fetch(url);
  if (!response.ok) throw await failure(response);
  return response.arrayBuffer();
}

// The file name of a Content-Disposition header (RFC 6266: filename* first).
export function dispositionName(header, fallback) {
  if (!header) return fallback;
  const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(header);
  if (extended) {
    try {
      return decodeURIComponent(extended[1].trim());
    } catch (ignored) {
      // malformed: try the plain name
    }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/.exec(header);
  return plain ? plain[1].trim() : fallback;
}

// POST JSON and save the answer as a file, named as the server says.
export async function download(url, body, fallbackName) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw await failure(response);
  const blob = await response.blob();
  const name = dispositionName(response.headers.get("Content-Disposition"), fallbackName);
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60000);
  return name;
}

// Upload a file as multipart/form-data (field "file"), reporting progress in [0, 1].
export function upload(url, file, onProgress) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", url);
    request.responseType = "json";
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    request.onload = () => {
      const body = request.response;
      if (request.status >= 200 && request.status < 300) resolve(body);
      else reject(new ApiError((body && body.error) || `upload failed (${request.status})`, request.status));
    };
    request.onerror = () => reject(new ApiError("the upload failed: the server could not be reached", 0));
    const form = new FormData();
    form.append("file", file, file.name);
    request.send(form);
  });
}

export function removeSession(url) {
  // keepalive lets the request finish while the page goes away
  fetch(url, { method: "DELETE", keepalive: true }).catch(() => {});
}
