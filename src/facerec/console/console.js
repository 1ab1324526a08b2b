// @ts-check
// The facerec web console: a plain ES module over the service's own /api, no framework, no build step.

import { $, api, element, loadCollections, report, wireKey } from "./common.js";

const PAGE_SIZE = 8;
const CHOICES_LIMIT = 100; // persons offered in "add to an existing person"
const TOP_K = 5;
// A chosen face of a group photo is sent as a crop: the box plus this share of its size on every side,
// so the detector finds it again as the most prominent face.
const CROP_PADDING = 0.4;
const THUMB_SIZE = 96;

/** @typedef {{x: number, y: number, width: number, height: number}} Box */
/** @typedef {{detScore: number, faceSize: number, sharpness: number,
 *   pose: {yaw: number, pitch: number, roll: number}, reasons: string[]}} Quality */
/** @typedef {{box: Box, detScore: number, quality: Quality}} Face */
/** @typedef {{id: string, displayName: string, faceCount: number}} Person */
/** @typedef {{id: string, personId: string, displayName: string, face: {box: Box}, hasImage: boolean}} FaceRecord */
/** @typedef {{personId: string, displayName: string, score: number, faceId?: string, id?: string}} Match */
/** @typedef {{verdict: string, matches: Match[], runnerUp: Match | null, threshold: number,
 *   thresholdName: string, ambiguityMargin: number}} SearchAnswer */

/** @type {Record<string, string>} */
const REASONS = {
  low_confidence: "low detector confidence",
  face_too_small: "face too small",
  blurry: "blurry",
  extreme_pose: "turned too far",
};

const state = {
  /** @type {File | null} */ file: null,
  /** @type {Face[]} */ faces: [],
  selected: -1,
  collection: "default",
  /** @type {(string | null)[]} the cursor of each page of people seen so far */ cursors: [null],
  page: 0,
  /** @type {Person | null} */ person: null,
};

/** @param {string} path @param {Record<string, string | null>} [query] */
function inCollection(path, query = {}) {
  const url = new URL(path, location.origin);
  url.searchParams.set("collection", state.collection);
  for (const [name, value] of Object.entries(query)) if (value) url.searchParams.set(name, value);
  return url.pathname + url.search;
}

/** @param {string} path @param {Record<string, string | null>} [query] */
async function getJson(path, query) {
  return (await api(inCollection(path, query))).json();
}

/** @param {string} path @param {FormData} form */
async function postForm(path, form) {
  return (await api(inCollection(path), { method: "POST", body: form })).json();
}

/** @param {number} value */
const score = (value) => value.toFixed(3);

// --- The photo and its faces

/** @param {File} file */
async function openPhoto(file) {
  const status = $("photo-status");
  state.file = file;
  state.faces = [];
  select(-1);
  $("faces").replaceChildren();
  $("boxes").replaceChildren();
  const photo = $("photo");
  URL.revokeObjectURL(photo.src);
  photo.src = URL.createObjectURL(file);
  $("stage").hidden = false;
  status.className = "status";
  status.textContent = "Finding faces…";
  const form = new FormData();
  form.append("image", file);
  form.append("allFaces", "true");
  try {
    const [answer] = await Promise.all([
      (await api("/api/face/encode", { method: "POST", body: form })).json(),
      photo.decode(),
    ]);
    state.faces = answer.faces ?? [answer.face];
    status.textContent = `${state.faces.length} face${state.faces.length === 1 ? "" : "s"} found. Choose one.`;
    showFaces();
    select(0);
  } catch (error) {
    report(status, error);
  }
}

function showFaces() {
  const photo = $("photo");
  const boxes = state.faces.map((face, index) => {
    const box = element("button", face.quality.reasons.length ? "box poor" : "box");
    box.title = `Face ${index + 1}`; // shown as the box's label (console.css)
    box.style.left = `${(100 * face.box.x) / photo.naturalWidth}%`;
    box.style.top = `${(100 * face.box.y) / photo.naturalHeight}%`;
    box.style.width = `${(100 * face.box.width) / photo.naturalWidth}%`;
    box.style.height = `${(100 * face.box.height) / photo.naturalHeight}%`;
    box.onclick = () => select(index);
    return box;
  });
  $("boxes").replaceChildren(...boxes);
  $("faces").replaceChildren(...state.faces.map(faceItem));
}

/** @param {Face} face @param {number} index */
function faceItem(face, index) {
  const item = element("li", "face");
  const q = face.quality;
  item.append(
    element("strong", "", `Face ${index + 1}`),
    element(
      "span",
      "muted",
      `detector ${q.detScore.toFixed(2)} · ${Math.round(q.faceSize)} px · sharpness ${q.sharpness.toFixed(2)}` +
        ` · yaw ${Math.round(q.pose.yaw)}° pitch ${Math.round(q.pose.pitch)}° roll ${Math.round(q.pose.roll)}°`,
    ),
  );
  const reasons = element("span", "badges");
  if (q.reasons.length === 0) reasons.append(element("span", "badge good", "good quality"));
  for (const reason of q.reasons) reasons.append(element("span", "badge poor", REASONS[reason] ?? reason));
  item.append(reasons);
  item.onclick = () => select(index);
  return item;
}

/** @param {number} index */
function select(index) {
  state.selected = index;
  document.querySelectorAll(".box").forEach((box, i) => box.classList.toggle("selected", i === index));
  document.querySelectorAll(".face").forEach((item, i) => item.classList.toggle("selected", i === index));
  for (const id of ["search-faces", "search-persons", "register", "add-face"]) $(id).disabled = index < 0;
  $("selection").textContent = index < 0 ? "Choose a photo, then a face on it." : `Face ${index + 1} of the photo.`;
  $("verdict").hidden = true;
  $("matches").replaceChildren();
  $("registered").hidden = true;
}

/** The photo to send for the chosen face: the whole photo when it has one face, else a crop around it.
 * @returns {Promise<Blob>} */
async function chosenPhoto() {
  if (!state.file || state.selected < 0) throw new Error("Choose a photo and a face first.");
  if (state.faces.length === 1) return state.file;
  const photo = $("photo");
  const { x, y, width, height } = state.faces[state.selected].box;
  const pad = CROP_PADDING * Math.max(width, height);
  const left = Math.max(0, x - pad);
  const top = Math.max(0, y - pad);
  const right = Math.min(photo.naturalWidth, x + width + pad);
  const bottom = Math.min(photo.naturalHeight, y + height + pad);
  const canvas = element("canvas");
  canvas.width = Math.round(right - left);
  canvas.height = Math.round(bottom - top);
  canvas.getContext("2d").drawImage(photo, left, top, canvas.width, canvas.height, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve, reject) =>
    canvas.toBlob((/** @type {Blob | null} */ blob) => (blob ? resolve(blob) : reject(new Error("crop failed"))), "image/jpeg", 0.95),
  );
}

/** @param {Record<string, string>} fields */
async function chosenForm(fields) {
  const form = new FormData();
  form.append("image", await chosenPhoto(), "face.jpg");
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  return form;
}

// --- Search

/** @param {"face" | "person"} kind */
async function search(kind) {
  const verdict = $("verdict");
  verdict.hidden = false;
  verdict.className = "verdict";
  verdict.textContent = "Searching…";
  $("matches").replaceChildren();
  try {
    const path = kind === "face" ? "/api/face/search" : "/api/persons/search";
    /** @type {SearchAnswer} */
    const answer = await postForm(path, await chosenForm({ topK: String(TOP_K) }));
    verdict.className = `verdict ${answer.verdict}`;
    verdict.textContent = explain(answer);
    $("matches").replaceChildren(...answer.matches.map((match) => matchItem(match)));
  } catch (error) {
    report(verdict, error);
  }
}

/** The verdict in words, with the threshold and margin it was decided by. @param {SearchAnswer} answer */
function explain(answer) {
  const threshold = `the ${answer.thresholdName} threshold (${answer.threshold.toFixed(2)})`;
  const margin = answer.ambiguityMargin.toFixed(2);
  const [top] = answer.matches;
  const other = answer.runnerUp;
  if (answer.verdict === "match") {
    const next = other ? `the next person, ${other.displayName} (${score(other.score)})` : "anyone else";
    return `Match: ${top.displayName} scores ${score(top.score)}, at or above ${threshold}, and at least ${margin} ahead of ${next}.`;
  }
  if (answer.verdict === "ambiguous" && other) {
    return `Ambiguous: ${top.displayName} scores ${score(top.score)}, above ${threshold}, but ${other.displayName} (${score(other.score)}) is within ${margin} of it. Have a person decide.`;
  }
  return `Unknown: nobody in “${state.collection}” scores at or above ${threshold}.`;
}

/** @param {Match} match */
function matchItem(match) {
  const item = element("li", "hit");
  const faceId = match.faceId ?? match.id ?? "";
  item.append(thumbnail(faceId), element("span", "name", match.displayName), element("span", "score", score(match.score)));
  const add = element("button", "link", "Add this face to them");
  add.onclick = () => registerFace({ personId: match.personId });
  item.append(add);
  return item;
}

/** A face's stored photo, cropped to the face. @param {string} faceId @param {FaceRecord} [known] */
function thumbnail(faceId, known) {
  const canvas = element("canvas", "thumb");
  canvas.width = canvas.height = THUMB_SIZE;
  drawThumbnail(canvas, faceId, known).catch(() => canvas.classList.add("missing"));
  return canvas;
}

/** @param {HTMLCanvasElement} canvas @param {string} faceId @param {FaceRecord} [known] */
async function drawThumbnail(canvas, faceId, known) {
  /** @type {FaceRecord} */
  const record = known ?? (await getJson(`/api/face/${faceId}`));
  if (!record.hasImage) throw new Error("no photo stored");
  const blob = await (await api(inCollection(`/api/face/${faceId}/image`))).blob();
  const bitmap = await createImageBitmap(blob);
  const { x, y, width, height } = record.face.box;
  const side = 1.3 * Math.max(width, height);
  const left = x + width / 2 - side / 2;
  const top = y + height / 2 - side / 2;
  canvas.getContext("2d")?.drawImage(bitmap, left, top, side, side, 0, 0, THUMB_SIZE, THUMB_SIZE);
  bitmap.close();
}

// --- Register

/** @param {{displayName?: string, personId?: string}} fields */
async function registerFace(fields) {
  const notice = $("registered");
  notice.hidden = false;
  notice.className = "notice";
  notice.textContent = "Registering…";
  try {
    const body = await chosenForm({ ...fields, mostProminent: "true" });
    const record = await postForm("/api/face/register", body);
    const lines = [`Registered face ${record.id.slice(0, 8)} of ${record.displayName}.`];
    const duplicate = record.possibleDuplicateOf;
    if (duplicate) {
      lines.push(
        `Possibly the same person as ${duplicate.displayName} (score ${score(duplicate.score)} at the strict threshold): both are kept; merge them if they are one.`,
      );
    }
    if (record.otherFaces.length) lines.push(`${record.otherFaces.length} other face(s) in the photo were left aside.`);
    notice.replaceChildren(...lines.map((line) => element("p", "", line)));
    if (duplicate) notice.classList.add("warning");
    $("display-name").value = "";
    await Promise.all([loadPeople(), loadPersonChoices()]);
  } catch (error) {
    report(notice, error);
  }
}

// --- People

async function loadPeople() {
  const list = $("people");
  try {
    const page = await getJson("/api/persons", {
      limit: String(PAGE_SIZE),
      cursor: state.cursors[state.page],
      displayName: $("name-prefix").value.trim(),
    });
    state.cursors[state.page + 1] = page.nextCursor;
    $("prev-page").disabled = state.page === 0;
    $("next-page").disabled = !page.nextCursor;
    list.replaceChildren(...page.persons.map(personItem));
    if (page.persons.length === 0) list.append(element("li", "muted", "Nobody yet."));
  } catch (error) {
    list.replaceChildren(element("li", "error", error instanceof Error ? error.message : String(error)));
  }
}

/** @param {Person} person */
function personItem(person) {
  const item = element("li", "person-row");
  item.append(element("span", "name", person.displayName), element("span", "muted", `${person.faceCount} face${person.faceCount === 1 ? "" : "s"}`));
  item.dataset.id = person.id;
  item.classList.toggle("selected", state.person?.id === person.id);
  item.onclick = () => showPerson(person);
  return item;
}

/** @param {Person} person */
async function showPerson(person) {
  state.person = person;
  $("person").hidden = false;
  $("person-name").textContent = person.displayName;
  const thumbs = $("person-faces");
  thumbs.replaceChildren();
  for (const row of document.querySelectorAll(".person-row")) {
    row.classList.toggle("selected", /** @type {HTMLElement} */ (row).dataset.id === person.id);
  }
  try {
    const page = await getJson(`/api/persons/${person.id}/faces`, { limit: "100" });
    thumbs.replaceChildren(...page.faces.map(personFace));
  } catch (error) {
    thumbs.replaceChildren(element("li", "error", error instanceof Error ? error.message : String(error)));
  }
}

/** @param {FaceRecord} record */
function personFace(record) {
  const item = element("li", "thumb-item");
  const remove = element("button", "danger small", "Delete");
  remove.title = `Delete face ${record.id}`;
  remove.onclick = async () => {
    if (!confirm(`Delete this face of ${record.displayName}? Its photo is erased too.`)) return;
    await api(inCollection(`/api/face/${record.id}`), { method: "DELETE" });
    await refreshAfterDelete();
  };
  item.append(thumbnail(record.id, record), remove);
  return item;
}

async function deletePerson() {
  const person = state.person;
  if (!person || !confirm(`Delete ${person.displayName} and all their faces and photos?`)) return;
  await api(inCollection(`/api/persons/${person.id}`), { method: "DELETE" });
  state.person = null;
  $("person").hidden = true;
  await Promise.all([loadPeople(), loadPersonChoices()]);
}

async function refreshAfterDelete() {
  await loadPeople();
  if (state.person) {
    const person = await getJson(`/api/persons/${state.person.id}`).catch(() => null);
    if (person) await showPerson(person);
    else $("person").hidden = true;
  }
}

async function loadPersonChoices() {
  const page = await getJson("/api/persons", { limit: String(CHOICES_LIMIT) });
  const first = element("option", "", "Add to an existing person…");
  first.value = "";
  const options = page.persons.map((/** @type {Person} */ person) => {
    const option = element("option", "", person.displayName);
    option.value = person.id;
    return option;
  });
  $("person-choice").replaceChildren(first, ...options);
}

async function changeCollection() {
  state.collection = $("collection").value;
  state.cursors = [null];
  state.page = 0;
  state.person = null;
  $("person").hidden = true;
  select(state.selected);
  await Promise.all([loadPeople(), loadPersonChoices()]);
}

// --- Wiring

function wire() {
  const drop = $("drop");
  $("file").onchange = () => $("file").files[0] && openPhoto($("file").files[0]);
  drop.ondragover = (/** @type {DragEvent} */ event) => {
    event.preventDefault();
    drop.classList.add("over");
  };
  drop.ondragleave = () => drop.classList.remove("over");
  drop.ondrop = (/** @type {DragEvent} */ event) => {
    event.preventDefault();
    drop.classList.remove("over");
    const file = event.dataTransfer?.files[0];
    if (file) openPhoto(file);
  };
  $("search-faces").onclick = () => search("face");
  $("search-persons").onclick = () => search("person");
  $("register-new").onsubmit = (/** @type {Event} */ event) => {
    event.preventDefault();
    registerFace({ displayName: $("display-name").value.trim() });
  };
  $("register-add").onsubmit = (/** @type {Event} */ event) => {
    event.preventDefault();
    registerFace({ personId: $("person-choice").value });
  };
  $("people-filter").onsubmit = (/** @type {Event} */ event) => {
    event.preventDefault();
    state.cursors = [null];
    state.page = 0;
    loadPeople();
  };
  $("prev-page").onclick = () => {
    state.page -= 1;
    loadPeople();
  };
  $("next-page").onclick = () => {
    state.page += 1;
    loadPeople();
  };
  $("delete-person").onclick = deletePerson;
  $("collection").onchange = changeCollection;
  wireKey();
}

async function start() {
  wire();
  await loadCollections(state.collection);
  await Promise.all([loadPeople(), loadPersonChoices()]);
}

start();
