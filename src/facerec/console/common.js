// @ts-check
// What the console's pages share: the API key in session storage, calls to /api, the collection picker.

export const KEY_STORAGE = "facerec.apiKey";

/** @param {string} id @returns {any} */
export const $ = (id) => document.getElementById(id);

export class ApiError extends Error {
  /** @param {number} status @param {string} code @param {string} message */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** @type {Promise<void> | null} */
let keyPrompt = null;

/** The dialog that asks for a key, added to the page the first time it is needed. It cannot be dismissed:
 * nothing works without a key. @returns {HTMLDialogElement} */
function keyDialog() {
  if ($("key-dialog")) return $("key-dialog");
  const dialog = element("dialog");
  dialog.id = "key-dialog";
  const form = element("form");
  form.id = "key-form";
  form.method = "dialog";
  const input = element("input");
  Object.assign(input, { id: "api-key", type: "password", autocomplete: "off", placeholder: "X-API-Key", required: true });
  input.setAttribute("aria-label", "API key");
  const problem = element("p", "error");
  problem.id = "key-error";
  problem.setAttribute("role", "alert");
  const submit = element("button", "", "Use this key");
  submit.id = "key-submit";
  form.append(
    element("h2", "", "API key needed"),
    element("p", "", "Access control is on: the service answered 401. The key is kept in this tab's session storage only."),
    input,
    problem,
    submit,
  );
  dialog.append(form);
  dialog.oncancel = (/** @type {Event} */ event) => event.preventDefault();
  document.body.append(dialog);
  return dialog;
}

/** Ask for an API key once, however many calls were refused meanwhile. @param {string} problem */
function askForKey(problem) {
  keyPrompt ??= new Promise((resolve) => {
    const dialog = keyDialog();
    $("key-error").textContent = problem;
    $("api-key").value = "";
    dialog.showModal();
    $("key-form").onsubmit = (/** @type {Event} */ event) => {
      event.preventDefault();
      sessionStorage.setItem(KEY_STORAGE, $("api-key").value.trim());
      dialog.close();
      keyPrompt = null;
      showKeyState();
      resolve();
    };
  });
  return keyPrompt;
}

/** A call to the API with the stored key; a 401 asks for a key and tries again.
 * @param {string} path @param {RequestInit} [init] @returns {Promise<Response>} */
export async function api(path, init = {}) {
  for (;;) {
    const key = sessionStorage.getItem(KEY_STORAGE);
    const headers = new Headers(init.headers);
    if (key) headers.set("X-API-Key", key);
    const response = await fetch(path, { ...init, headers });
    if (response.status === 401) {
      sessionStorage.removeItem(KEY_STORAGE);
      await askForKey(key ? "That key was refused." : "");
      continue;
    }
    if (!response.ok) {
      const body = await response.json().catch(() => null);
      const error = body?.error ?? { code: "http_error", message: response.statusText };
      throw new ApiError(response.status, error.code, error.message);
    }
    return response;
  }
}

/** @param {string} tag @param {string} [className] @param {string} [text] @returns {any} */
export function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** @param {HTMLElement} target @param {unknown} error */
export function report(target, error) {
  target.textContent = error instanceof Error ? error.message : String(error);
  target.classList.add("error");
}

export function showKeyState() {
  $("forget-key").hidden = sessionStorage.getItem(KEY_STORAGE) === null;
}

/** The collections the key reaches, as the options of `#collection`, with `current` chosen.
 * @param {string} current */
export async function loadCollections(current) {
  const answer = await (await api("/api/collections")).json();
  const options = answer.collections.map((/** @type {{name: string, personCount: number}} */ collection) => {
    const option = element("option", "", collection.name);
    option.value = collection.name;
    return option;
  });
  if (options.length) $("collection").replaceChildren(...options);
  $("collection").value = current;
}

/** A stored key can be forgotten. */
export function wireKey() {
  $("forget-key").onclick = () => {
    sessionStorage.removeItem(KEY_STORAGE);
    showKeyState();
  };
  showKeyState();
}
