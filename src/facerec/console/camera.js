// @ts-check
// The camera page: the camera's frames go to WS /api/stream as JPEGs, and each tracked face comes back
// boxed with who it is. A frame is sent only once the previous one is answered, and at most MAX_FPS a
// second, so the service never has to drop frames for this page. Each answered frame is drawn over the
// live video with its boxes, so that a box never trails the face it belongs to.

import { $, KEY_STORAGE, api, element, loadCollections, report, wireKey } from "./common.js";

const MAX_FPS = 10;
const JPEG_QUALITY = 0.8;
const EVENTS_KEPT = 100;
const SUBPROTOCOL = "facerec"; // with the key as `apikey.<KEY>`: a browser cannot set headers on a WebSocket

/** @typedef {{x: number, y: number, width: number, height: number}} Box */
/** @typedef {{personId: string | null, displayName: string | null, score: number | null, verdict: string}} Identity */
/** @typedef {Identity & {trackId: number, box: Box}} StreamFace */
/** @typedef {Identity & {type: string, seq: number, trackId: number}} TrackEvent */

/** One run of the camera: its media, its socket, and what was counted. */
class Run {
  /** @param {MediaStream} media @param {WebSocket} socket */
  constructor(media, socket) {
    this.media = media;
    this.socket = socket;
    this.canvas = /** @type {HTMLCanvasElement} */ (element("canvas"));
    this.sent = 0; // frames sent: the service numbers them alike (`seq`)
    this.answered = 0;
    this.dropped = 0;
    this.lastSentAt = -Infinity;
    this.opened = false;
    /** @type {ReturnType<typeof setTimeout> | undefined} */ this.timer = undefined;
    /** @type {string | null} the message of the last error that was not about one frame */ this.failure = null;
  }
}

/** @type {Run | null} */
let run = null;

/** @param {string} text @param {boolean} [failed] */
function setStatus(text, failed = false) {
  const status = $("camera-status");
  status.className = "status";
  if (failed) report(status, text);
  else status.textContent = text;
}

function streamUrl() {
  const url = new URL("/api/stream", location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  url.searchParams.set("collection", $("collection").value);
  return url.href;
}

function subprotocols() {
  const key = sessionStorage.getItem(KEY_STORAGE);
  return key ? [SUBPROTOCOL, `apikey.${key}`] : [SUBPROTOCOL];
}

async function start() {
  if (!navigator.mediaDevices?.getUserMedia) {
    setStatus("This page cannot use a camera here: browsers allow it only over https or on localhost.", true);
    return;
  }
  const collection = $("collection").value;
  setControls(true);
  try {
    // Before the socket: a missing key is asked for, a wrong collection is said in words
    await api(`/api/collections/${encodeURIComponent(collection)}`);
    setStatus("Asking for the camera…");
    const media = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
    const video = $("video");
    video.srcObject = media;
    await video.play();
    $("screen").hidden = false;
    setStatus("Connecting…");
    openStream(new Run(media, new WebSocket(streamUrl(), subprotocols())), collection);
  } catch (error) {
    setControls(false);
    setStatus(error instanceof Error ? error.message : String(error), true);
  }
}

/** @param {Run} current @param {string} collection */
function openStream(current, collection) {
  run = current;
  $("events").replaceChildren();
  showCounters(current);
  current.socket.onopen = () => {
    current.opened = true;
    setStatus(`Streaming to “${collection}”.`);
    sendFrame(current);
  };
  current.socket.onmessage = (/** @type {MessageEvent<string>} */ event) => receive(current, JSON.parse(event.data));
  current.socket.onclose = (/** @type {CloseEvent} */ event) => {
    if (run !== current) return; // stopped here
    const refused = "the service refused the stream (too many streams open, or a key that does not reach it)";
    const why = current.failure ?? (current.opened ? `the service closed the stream (code ${event.code})` : refused);
    stop(`Stopped: ${why}`, true);
  };
}

/** @param {Run} current */
function sendFrame(current) {
  if (run !== current || current.socket.readyState !== WebSocket.OPEN) return;
  const wait = current.lastSentAt + 1000 / MAX_FPS - performance.now();
  if (wait > 0) {
    current.timer = setTimeout(() => sendFrame(current), wait);
    return;
  }
  const video = $("video");
  current.canvas.width = video.videoWidth;
  current.canvas.height = video.videoHeight;
  current.canvas.getContext("2d")?.drawImage(video, 0, 0);
  current.lastSentAt = performance.now();
  current.canvas.toBlob(
    (/** @type {Blob | null} */ blob) => {
      if (run !== current || current.socket.readyState !== WebSocket.OPEN) return;
      if (!blob) {
        current.timer = setTimeout(() => sendFrame(current), 1000 / MAX_FPS);
        return;
      }
      current.sent += 1;
      current.socket.send(blob);
      showCounters(current);
    },
    "image/jpeg",
    JPEG_QUALITY,
  );
}

/** @param {Run} current @param {any} message */
function receive(current, message) {
  if (run !== current) return;
  if (message.type === "frame") {
    showFaces(current, message.faces);
  } else if (message.type === "error") {
    const text = message.error?.message ?? "error";
    if (message.seq === undefined) current.failure = text; // the stream is about to close
    else setStatus(`Frame ${message.seq}: ${text}`, true);
  } else if (["track_started", "identified", "track_ended"].includes(message.type)) {
    addEvent(message);
  }
  if ((message.type === "frame" || message.type === "error") && message.seq !== undefined) {
    current.answered += 1;
    current.dropped += message.dropped ?? 0;
    showCounters(current);
    if (message.seq === current.sent) sendFrame(current);
  }
}

/** Who a face or an event is, in words. @param {Identity} identity */
function describe(identity) {
  const name = identity.displayName ?? (identity.verdict === "pending" ? "Deciding…" : "Not registered");
  const score = identity.score === null ? "" : ` · ${identity.score.toFixed(2)}`;
  return `${name} · ${identity.verdict}${score}`;
}

/** @param {Run} current @param {StreamFace[]} faces */
function showFaces(current, faces) {
  const { width, height } = current.canvas; // still the answered frame: the next is drawn once it is sent
  const picture = $("picture");
  picture.width = width;
  picture.height = height;
  picture.getContext("2d")?.drawImage(current.canvas, 0, 0);
  const boxes = faces.map((face) => {
    const box = element("div", `track ${face.verdict}`);
    box.style.left = `${(100 * face.box.x) / width}%`;
    box.style.top = `${(100 * face.box.y) / height}%`;
    box.style.width = `${(100 * face.box.width) / width}%`;
    box.style.height = `${(100 * face.box.height) / height}%`;
    box.append(element("span", "label", describe(face)));
    return box;
  });
  $("tracks").replaceChildren(...boxes);
  const items = faces.map((face) => element("li", `face-now ${face.verdict}`, `Face ${face.trackId}: ${describe(face)}`));
  $("faces-now").replaceChildren(...(items.length ? items : [element("li", "muted", "Nobody.")]));
}

/** @param {TrackEvent} event */
function addEvent(event) {
  const what = {
    track_started: "came into view",
    identified: `identified: ${describe(event)}`,
    track_ended: `left (${describe(event)})`,
  }[event.type];
  const item = element("li", `event ${event.type}`);
  item.append(element("span", "seq", `frame ${event.seq}`), ` Face ${event.trackId} ${what}`);
  const list = $("events");
  list.prepend(item);
  while (list.children.length > EVENTS_KEPT) list.lastElementChild.remove();
}

/** @param {Run} current */
function showCounters(current) {
  $("sent").textContent = String(current.sent);
  $("answered").textContent = String(current.answered);
  $("dropped").textContent = String(current.dropped);
}

/** @param {boolean} running */
function setControls(running) {
  $("start").disabled = running;
  $("stop").disabled = !running;
  $("collection").disabled = running;
}

/** Close the stream and release the camera. @param {string} why @param {boolean} [failed] */
function stop(why, failed = false) {
  const current = run;
  if (!current) return;
  run = null;
  clearTimeout(current.timer);
  if (current.socket.readyState <= WebSocket.OPEN) current.socket.close(1000, "stopped");
  for (const track of current.media.getTracks()) track.stop();
  $("video").srcObject = null;
  $("picture").width = 0; // a later start shows the live video until its first answer
  $("screen").hidden = true;
  $("tracks").replaceChildren();
  $("faces-now").replaceChildren();
  setControls(false);
  setStatus(why, failed);
}

async function main() {
  wireKey();
  $("start").onclick = start;
  $("stop").onclick = () => stop("Stopped. The camera is off.");
  addEventListener("pagehide", () => stop("Stopped."));
  await loadCollections("default");
}

main();
