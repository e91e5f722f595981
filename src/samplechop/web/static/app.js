// samplechop web app: upload, analyse, select, edit, play and download.

import { ApiError, download, getArrayBuffer, getJSON, postJSON, removeSession, upload } from "./api.js";
import { Pads, padForKey } from "./pads.js";
import { Player } from "./player.js";
import { Waveform } from "./waveform.js";

const $ = (id) => document.getElementById(id);

const POLL_MS = 250;
const SELECT_DELAY_MS = 120;
const MIN_GAP = 0.01; // seconds between two chops added or moved on the page

const state = {
  config: null,
  session: null, // the server's status document once ready
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
  return `/api/sessions/${encodeURIComponent(state.session.id)}${suffix}`;
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

async function startUpload(file) {
  showError("");
  const problem = checkFile(file);
  if (problem) {
    showError(problem);
    return;
  }
  const seq = ++state.uploadSeq;
  player.ensureContext(); // created on the user's gesture, so that it may play later
  player.stop();
  if (state.session) removeSession(sessionUrl());
  state.session = null;
  $("editor").hidden = true;
  setPageState("uploading");
  showProgress(`Uploading ${file.name}… 0%`, 0);
  try {
    let status = await upload("/api/sessions", file, (fraction) => {
      showProgress(`Uploading ${file.name}… ${Math.round(fraction * 100)}%`, fraction);
    });
    setPageState("analysing");
    while (status.state === "queued" || status.state === "analysing") {
      if (seq !== state.uploadSeq) return;
      showProgress(describeWait(status), null);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      status = await getJSON(`/api/sessions/${encodeURIComponent(status.id)}`);
    }
    if (seq !== state.uploadSeq) return;
    if (status.state === "failed") throw new ApiError(status.error || "the analysis failed", 422);
    state.session = status;
    showProgress(`Loading the audio of ${status.name}…`, null);
    const buffer = await player.load(await getArrayBuffer(sessionUrl("/audio")));
    if (seq !== state.uploadSeq) return;
    openEditor(status, buffer);
    await runSelect();
    hideProgress();
    setPageState("ready");
  } catch (error) {
    if (seq !== state.uploadSeq) return;
    hideProgress();
    setPageState("error");
    showError(error.message || String(error));
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
  state.duration = buffer.duration;
  state.chops = [];
  state.selected = null;
  $("file-name").textContent = status.name;
  const info = status.info;
  $("file-facts").textContent =
    `${info.duration.toFixed(2)} s · ${info.sample_rate} Hz · ` +
    `${info.channels === 1 ? "mono" : info.channels === 2 ? "stereo" : `${info.channels} channels`} · ${info.format}`;
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
  const chop = { id: state.nextId++, time: clampTime(time) };
  state.chops.push(chop);
  sortChops();
  state.selected = chop.id;
  setEdited();
  snapChop(chop.id);
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
}

function render() {
  waveform.setChops(state.chops, state.selected);
  pads.render(state.chops, state.duration, state.selected);
  $("delete").disabled = indexOf(state.selected) < 0;
  const empty = state.chops.length === 0;
  $("download-kit").disabled = empty;
  $("download-labels").disabled = empty;
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
  followPlayhead();
}

function playAll() {
  if (player.playing && player.region && player.region.tag === "all") {
    player.stop();
    return;
  }
  player.play(0, state.duration, "all");
  followPlayhead();
}

player.onStop = () => {
  pads.setPlaying(null);
  waveform.setPlaying(null);
  waveform.setPlayhead(null);
};

function followPlayhead() {
  const step = () => {
    const position = player.position();
    waveform.setPlayhead(position);
    if (position !== null) requestAnimationFrame(step);
  };
  requestAnimationFrame(step);
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
}

function wireKeys() {
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target instanceof HTMLInputElement && (target.type === "number" || target.type === "text")) return;
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
      if (indexOf(state.selected) < 0 || target instanceof HTMLInputElement) return;
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
  window.addEventListener("pagehide", () => {
    if (state.session) removeSession(sessionUrl());
  });
  try {
    state.config = await getJSON("/api/config");
    const config = state.config;
    $("limits").textContent = `WAV, AIFF, FLAC, OGG or MP3, up to ${config.max_upload_mb} MB ` +
      `and ${config.max_audio_minutes} minutes`;
    $("keep").textContent = `${config.keep_minutes} minutes unused`;
    $("n").max = String(config.max_chops);
    $("n").value = String(config.defaults.n);
    $("n-range").value = String(config.defaults.n);
    $("lam").value = String(config.defaults.lam);
    $("lam-out").textContent = Number(config.defaults.lam).toFixed(2);
  } catch (error) {
    showError(`the server did not answer: ${error.message}`);
  }
}

init();
