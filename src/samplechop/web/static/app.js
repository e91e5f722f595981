// samplechop web app: upload, analyse, select, edit, play and download.

import { ApiError, download, getArrayBuffer, getJSON, postJSON, removeSession, upload } from "./api.js";
import { LearnPanel } from "./learn.js";
import { Pads, padForKey } from "./pads.js";
import { Player } from "./player.js";
import { Waveform } from "./waveform.js";

const $ = (id) => document.getElementById(id);

const POLL_MS = 250;
const SELECT_DELAY_MS = 120;
const MIN_GAP = 0.01; // seconds between two chops added or moved on the page

const state = {
  config: null,
  file: null, // the File on the page, to upload again when its session is gone
  session: null, // the server's status document once ready
  uploading: null, // {id}: the upload in flight, deleted when a newer one supersedes it
  duration: 0,
  chops: [], // [{id, time}], sorted by time
  selected: null,
  nextId: 1,
  selection: [], // the times of the last selection, for "Reset to selection"
  thresholdTouched: false,
  selectSeq: 0,
  selectTimer: null,
  uploadSeq: 0,
};

const player = new Player();
const learnPanel = new LearnPanel({ onError: showError });
const pads = new Pads($("pads"), { onPlay: playChop });
const waveform = new Waveform({
  container: $("wave"),
  canvas: $("wave-canvas"),
  layer: $("markers"),
  playhead: $("playhead"),
  onAdd: addChop,
  onMove: moveChop,
  onMoveEnd: (id) => {
    setEdited();
    mergeOnto(id);
    snapChop(id);
  },
  onSelect: selectChop,
  onAudition: (id) => playChop(indexOf(id)),
});

// ---- page state and messages --------------------------------------------------------

function setPageState(name) {
  document.body.dataset.state = name;
}

function showError(message) {
  const box = $("error");
  box.textContent = message;
  box.hidden = !message;
}

function showProgress(text, fraction) {
  const progress = $("progress");
  progress.hidden = false;
  $("progress-text").textContent = text;
  const busy = fraction === null;
  progress.classList.toggle("busy", busy);
  $("progress-fill").style.width = busy ? "" : `${Math.round(fraction * 100)}%`;
}

function hideProgress() {
  $("progress").hidden = true;
}

function sessionUrl(suffix = "") {
  return urlOf(state.session.id, suffix);
}

function urlOf(id, suffix = "") {
  return `/api/sessions/${encodeURIComponent(id)}${suffix}`;
}

// Forget the session on the page and on the server, and any upload still in flight.
function dropSessions() {
  if (state.session) removeSession(sessionUrl());
  state.session = null;
  const inFlight = state.uploading;
  state.uploading = null;
  // An upload still in flight is not aborted: the server may have its whole body
  // already, and an aborted request never learns the session's id. It is left to
  // answer, and its session is deleted as soon as the answer names it.
  if (inFlight && inFlight.id) removeSession(urlOf(inFlight.id));
}

// ---- upload and analysis ----------------------------------------------------------------

function checkFile(file) {
  const config = state.config;
  const name = file.name.toLowerCase();
  if (config && !config.suffixes.some((suffix) => name.endsWith(suffix))) {
    return `${file.name} is not a WAV, AIFF, FLAC, OGG or MP3 file`;
  }
  if (config && file.size > config.max_upload_mb * 1024 * 1024) {
    return `${file.name} is larger than this server's limit of ${config.max_upload_mb} MB`;
  }
  if (file.size === 0) return `${file.name} is empty`;
  return null;
}

// Upload a file and open it in the editor. keepChops: chops to show instead of a new
// selection (when a file is uploaded again because its session is gone).
async function startUpload(file, { keepChops = null } = {}) {
  showError("");
  const problem = checkFile(file);
  if (problem) {
    showError(problem);
    return;
  }
  const seq = ++state.uploadSeq;
  player.ensureContext(); // created on the user's gesture, so that it may play later
  player.stop();
  dropSessions();
  state.file = file;
  const mine = { id: null };
  state.uploading = mine;
  $("editor").hidden = true;
  setPageState("uploading");
  showProgress(`Uploading ${file.name}… 0%`, 0);
  // a superseded upload is deleted on the server as soon as its id is known
  const superseded = () => {
    if (seq === state.uploadSeq) return false;
    if (mine.id) removeSession(urlOf(mine.id));
    return true;
  };
  try {
    let status = await upload("/api/sessions", file, (fraction) => {
      showProgress(`Uploading ${file.name}… ${Math.round(fraction * 100)}%`, fraction);
    });
    mine.id = status.id;
    if (superseded()) return;
    setPageState("analysing");
    while (status.state === "queued" || status.state === "analysing") {
      showProgress(describeWait(status), null);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      if (superseded()) return;
      status = await getJSON(urlOf(status.id));
    }
    if (superseded()) return;
    if (status.state === "failed") throw new ApiError(status.error || "the analysis failed", 422);
    state.session = status;
    state.uploading = null;
    showProgress(`Loading the audio of ${status.name}…`, null);
    const buffer = await player.load(await getArrayBuffer(sessionUrl("/audio")));
    if (seq !== state.uploadSeq) return;
    openEditor(status, buffer);
    if (keepChops) {
      state.chops = keepChops;
      render();
    } else {
      await runSelect();
    }
    hideProgress();
    setPageState("ready");
  } catch (error) {
    if (superseded()) return;
    hideProgress();
    setPageState("error");
    showError(error.message || String(error));
  }
}

// The page came back (from the back/forward cache): if its session is gone, upload
// the file again and keep the chops on the page; if it cannot, say so.
async function checkSessionStillThere() {
  if (!state.session) return;
  try {
    await getJSON(sessionUrl());
  } catch (error) {
    if (error.status !== 404) return;
    const chops = state.chops.map((chop) => ({ ...chop }));
    state.session = null;
    if (state.file) {
      showError("");
      await startUpload(state.file, { keepChops: chops });
    } else {
      $("editor").hidden = true;
      setPageState("error");
      showError("this sample is no longer on the server: choose it again");
    }
  }
}

function describeWait(status) {
  const facts = status.info ? ` (${status.info.duration.toFixed(1)} s of audio)` : "";
  if (status.state === "queued") {
    const ahead = status.queue_position || 0;
    return `Waiting for the analyser${ahead ? ` (${ahead} ahead)` : ""}…`;
  }
  const elapsed = status.elapsed ? ` ${status.elapsed.toFixed(1)} s` : "";
  return `Analysing ${status.name}${facts}…${elapsed}`;
}

function openEditor(status, buffer) {
  state.duration = status.info.duration;
  state.chops = [];
  state.selected = null;
  $("file-name").textContent = status.name;
  const info = status.info;
  const reduced = info.preview_rate && info.preview_rate < info.sample_rate
    ? ` · heard here at ${info.preview_rate} Hz (the kit keeps ${info.sample_rate} Hz)` : "";
  $("file-facts").textContent =
    `${info.duration.toFixed(2)} s · ${info.sample_rate} Hz · ` +
    `${info.channels === 1 ? "mono" : info.channels === 2 ? "stereo" : `${info.channels} channels`} · ` +
    `${info.format}${reduced}`;
  const used = $("model-used");
  const model = status.model;
  used.hidden = !model;
  if (model) {
    used.textContent = model.personal ? `chopped with your model “${model.name}”` : `chopped with the ${model.name}`;
    used.classList.toggle("personal", Boolean(model.personal));
    used.dataset.model = model.id;
  }
  if (!state.thresholdTouched) {
    $("threshold").value = String(status.analysis.threshold);
    $("threshold-out").textContent = Number(status.analysis.threshold).toFixed(2);
  }
  $("editor").hidden = false;
  waveform.setAudio(buffer);
  waveform.setScores(status.analysis.scores, status.analysis.score_rate, currentThreshold());
  render();
}

// ---- selection ---------------------------------------------------------------------

function currentN() {
  const n = Math.round(Number($("n").value));
  return Number.isFinite(n) ? n : 16;
}

function currentThreshold() {
  return Number($("threshold").value);
}

function settingsBody() {
  return {
    n: currentN(),
    lam: Number($("lam").value),
    threshold: state.thresholdTouched ? currentThreshold() : null,
  };
}

function scheduleSelect() {
  clearTimeout(state.selectTimer);
  state.selectTimer = setTimeout(runSelect, SELECT_DELAY_MS);
}

async function runSelect() {
  if (!state.session) return;
  const seq = ++state.selectSeq;
  $("select-state").textContent = "selecting…";
  setPending(+1);
  try {
    const result = await postJSON(sessionUrl("/select"), settingsBody());
    if (seq !== state.selectSeq) return;
    state.selection = result.chops.map((chop) => chop.start);
    setChops(state.selection);
    $("notes").textContent = result.notes.join(" ");
    $("select-state").textContent = `${result.chops.length} chops from ${result.candidates} candidates`;
    showError("");
  } catch (error) {
    if (seq !== state.selectSeq) return;
    $("select-state").textContent = "";
    showError(error.message);
  } finally {
    setPending(-1);
  }
}

function setChops(times) {
  state.chops = times.map((time) => ({ id: state.nextId++, time }));
  state.selected = null;
  $("reselect").disabled = true;
  render();
}

// ---- editing -------------------------------------------------------------------------

function indexOf(id) {
  return state.chops.findIndex((chop) => chop.id === id);
}

function sortChops() {
  state.chops.sort((a, b) => a.time - b.time);
}

function clampTime(time) {
  return Math.min(Math.max(time, 0), Math.max(0, state.duration - MIN_GAP));
}

function setEdited() {
  $("reselect").disabled = false;
  render();
}

function addChop(time) {
  if (state.chops.length >= (state.config ? state.config.max_chops : 512)) {
    showError("that is as many chops as a kit can hold");
    return;
  }
  const clamped = clampTime(time);
  const near = state.chops.find((chop) => Math.abs(chop.time - clamped) < MIN_GAP);
  if (near) { // a chop is there already: select it rather than stack a second one
    selectChop(near.id);
    return;
  }
  const chop = { id: state.nextId++, time: clamped };
  state.chops.push(chop);
  sortChops();
  state.selected = chop.id;
  setEdited();
  snapChop(chop.id);
}

// A chop that lands on another one (dragged onto it, or snapped to the same attack)
// merges into it: the page never shows two pads where the kit would cut one chop.
function mergeOnto(id) {
  const index = indexOf(id);
  if (index < 0) return;
  const moved = state.chops[index];
  const other = state.chops.find((chop) => chop.id !== id && Math.abs(chop.time - moved.time) < MIN_GAP);
  if (!other) return;
  state.chops.splice(index, 1);
  state.selected = other.id;
  $("select-state").textContent = `two chops met at ${other.time.toFixed(3)} s: merged into one`;
  setEdited();
}

// Move a chop the producer placed onto the start of its attack (as the selection's are).
async function snapChop(id) {
  const chop = state.chops[indexOf(id)];
  if (!chop || !$("snap").checked || !state.session) return;
  const placed = chop.time;
  setPending(+1);
  try {
    const answer = await postJSON(sessionUrl("/snap"), { time: placed });
    const current = state.chops[indexOf(id)];
    if (current && current.time === placed) {
      current.time = answer.time;
      sortChops();
      render();
      mergeOnto(id);
    }
  } catch (error) {
    showError(error.message);
  } finally {
    setPending(-1);
  }
}

// Requests that will change the chops when they answer (the page's tests wait for 0).
let pending = 0;
function setPending(change) {
  pending += change;
  document.body.dataset.pending = String(pending);
}

function moveChop(id, time) {
  const index = indexOf(id);
  if (index < 0) return;
  state.chops[index].time = clampTime(time);
  sortChops();
  render();
}

function selectChop(id) {
  state.selected = id;
  render();
}

function deleteSelected() {
  const index = indexOf(state.selected);
  if (index < 0) return;
  state.chops.splice(index, 1);
  const next = state.chops[Math.min(index, state.chops.length - 1)];
  state.selected = next ? next.id : null;
  setEdited();
}

function nudgeSelected(seconds) {
  const index = indexOf(state.selected);
  if (index < 0) return;
  moveChop(state.selected, state.chops[index].time + seconds);
  setEdited();
  mergeOnto(state.selected);
}

function render() {
  waveform.setChops(state.chops, state.selected);
  pads.render(state.chops, state.duration, state.selected);
  $("delete").disabled = indexOf(state.selected) < 0;
  const empty = state.chops.length === 0;
  $("download-kit").disabled = empty;
  $("download-labels").disabled = empty;
  $("save-library").disabled = empty;
  document.body.dataset.chops = String(state.chops.length);
}

// ---- playback ---------------------------------------------------------------------------

function playChop(index) {
  const chop = state.chops[index];
  if (!chop) return;
  const end = index + 1 < state.chops.length ? state.chops[index + 1].time : state.duration;
  player.play(chop.time, end, index);
  pads.setPlaying(index);
  waveform.setPlaying(index);
  document.body.dataset.playing = String(index + 1);
  followPlayhead();
}

function playAll() {
  if (player.playing && player.region && player.region.tag === "all") {
    player.stop();
    return;
  }
  player.play(0, state.duration, "all");
  document.body.dataset.playing = "all";
  followPlayhead();
}

player.onStop = () => {
  pads.setPlaying(null);
  waveform.setPlaying(null);
  waveform.setPlayhead(null);
  document.body.dataset.playing = "";
};

// One animation-frame loop draws the playhead while anything plays, however many
// pads are hit meanwhile.
let playheadFrame = 0;
function followPlayhead() {
  if (playheadFrame) return;
  const step = () => {
    const position = player.position();
    waveform.setPlayhead(position);
    playheadFrame = position !== null ? requestAnimationFrame(step) : 0;
  };
  playheadFrame = requestAnimationFrame(step);
}

// ---- downloads ---------------------------------------------------------------------------

async function downloadFile(kind) {
  if (!state.session || !state.chops.length) return;
  const body = {
    times: state.chops.map((chop) => chop.time),
    lam: Number($("lam").value),
    threshold: state.thresholdTouched ? currentThreshold() : null,
  };
  const suffix = kind === "kit" ? ".zip" : ".txt";
  $("download-state").textContent = kind === "kit" ? "building the kit…" : "";
  try {
    const name = await download(sessionUrl(`/${kind === "kit" ? "kit" : "labels"}`), body,
      `${state.session.stem}${suffix}`);
    $("download-state").textContent = `saved ${name}`;
    showError("");
  } catch (error) {
    $("download-state").textContent = "";
    showError(error.message);
  }
}

// Keep the upload and the chops on the page in the library, to learn from.
async function saveToLibrary() {
  if (!state.session || !state.chops.length) return;
  $("download-state").textContent = "saving to the library…";
  try {
    const answer = await postJSON(sessionUrl("/library"), { times: state.chops.map((chop) => chop.time) });
    $("download-state").textContent = `saved ${answer.entry.name} to the library (${answer.count} samples)`;
    showError("");
  } catch (error) {
    $("download-state").textContent = "";
    showError(error.message);
  }
  await learnPanel.refreshLibrary();
}

// ---- wiring --------------------------------------------------------------------------------

function wireUpload() {
  const input = $("file");
  input.addEventListener("change", () => {
    if (input.files.length) startUpload(input.files[0]);
    input.value = "";
  });
  const zone = document.body;
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    $("upload").classList.add("over");
  });
  zone.addEventListener("dragleave", (event) => {
    if (event.target === zone || !zone.contains(event.relatedTarget)) $("upload").classList.remove("over");
  });
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    $("upload").classList.remove("over");
    const files = event.dataTransfer && event.dataTransfer.files;
    if (files && files.length) startUpload(files[0]);
  });
}

function wireControls() {
  const n = $("n");
  const range = $("n-range");
  n.addEventListener("input", () => {
    range.value = n.value;
    if (currentN() >= 1) scheduleSelect();
  });
  range.addEventListener("input", () => {
    n.value = range.value;
    scheduleSelect();
  });
  range.max = n.max; // one range for both: 1 to the most chops a kit holds
  $("lam").addEventListener("input", () => {
    $("lam-out").textContent = Number($("lam").value).toFixed(2);
    scheduleSelect();
  });
  $("threshold").addEventListener("input", () => {
    state.thresholdTouched = true;
    $("threshold-out").textContent = currentThreshold().toFixed(2);
    waveform.setThreshold(currentThreshold());
    scheduleSelect();
  });
  $("show-scores").addEventListener("change", () => waveform.setShowScores($("show-scores").checked));
  $("play").addEventListener("click", playAll);
  $("stop").addEventListener("click", () => player.stop());
  $("delete").addEventListener("click", deleteSelected);
  $("reselect").addEventListener("click", () => setChops(state.selection));
  $("download-kit").addEventListener("click", () => downloadFile("kit"));
  $("download-labels").addEventListener("click", () => downloadFile("labels"));
  $("save-library").addEventListener("click", saveToLibrary);
}

// Keys a focused control handles itself: every key of a form field (a slider's
// arrows and Backspace, a checkbox's Space), and Space and Enter of a button.
function ownsKey(target, key) {
  if (!(target instanceof Element)) return false;
  if (target.closest("input, select, textarea, [contenteditable]:not([contenteditable='false'])")) return true;
  return (key === " " || key === "Enter") && target.closest("button, a[href], label") !== null;
}

function wireKeys() {
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (ownsKey(target, event.key)) return;
    if (!state.session || $("editor").hidden) return;
    if (event.key === " ") {
      event.preventDefault();
      playAll();
    } else if (event.key === "Escape") {
      player.stop();
    } else if (event.key === "Delete" || event.key === "Backspace") {
      event.preventDefault();
      deleteSelected();
    } else if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
      if (indexOf(state.selected) < 0) return;
      event.preventDefault();
      nudgeSelected((event.key === "ArrowLeft" ? -1 : 1) * (event.shiftKey ? 0.1 : 0.01));
    } else if (!event.repeat) {
      const pad = padForKey(event.key);
      if (pad >= 0 && pad < state.chops.length) {
        event.preventDefault();
        playChop(pad);
      }
    }
  });
}

async function init() {
  wireUpload();
  wireControls();
  wireKeys();
  // A page kept in the back/forward cache keeps its session (it may come back); a
  // page that goes for good deletes it. Coming back, a session gone meanwhile is
  // uploaded again.
  window.addEventListener("pagehide", (event) => {
    if (!event.persisted) dropSessions();
  });
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) checkSessionStillThere();
  });
  try {
    state.config = await getJSON("/api/config");
    const config = state.config;
    $("limits").textContent = `WAV, AIFF, FLAC, OGG or MP3, up to ${config.max_upload_mb} MB ` +
      `and ${config.max_audio_minutes} minutes. The page plays a preview of at most ` +
      `${config.max_preview_mb} MB (long or high-rate files at a lower rate; the kit keeps the original); ` +
      `a kit may take ${config.max_kit_mb} MB, and the server keeps ${config.max_disk_mb} MB of files in all.`;
    $("keep").textContent = `${config.keep_minutes} minutes unused`;
    $("n").max = String(config.max_chops);
    $("n-range").max = String(config.max_chops);
    $("n").value = String(config.defaults.n);
    $("n-range").value = String(config.defaults.n);
    $("lam").value = String(config.defaults.lam);
    $("lam-out").textContent = Number(config.defaults.lam).toFixed(2);
  } catch (error) {
    showError(`the server did not answer: ${error.message}`);
    return;
  }
  await learnPanel.init();
}

init();
