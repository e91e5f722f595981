// The waveform, drawn on a canvas, with the chops as numbered markers (DOM elements,
// so that they can be dragged, focused and found) and as shaded regions, and the
// network's score curve under it.

const FLAG_BAND = 20; // CSS pixels at the top kept for the markers' number flags
const GRAB_PIXELS = 7; // a click closer than this to a marker does not add a chop

export class Waveform {
  constructor({ container, canvas, layer, playhead, onAdd, onMove, onMoveEnd, onSelect, onAudition }) {
    this.container = container;
    this.canvas = canvas;
    this.layer = layer;
    this.playheadElement = playhead;
    this.callbacks = { onAdd, onMove, onMoveEnd, onSelect, onAudition };
    this.buffer = null;
    this.duration = 0;
    this.peaks = null;
    this.peaksWidth = 0;
    this.scores = null;
    this.scoreRate = 1;
    this.threshold = null;
    this.showScores = true;
    this.chops = [];
    this.selected = null;
    this.playing = null; // index of the chop that plays, or null
    this.elements = new Map(); // chop id -> marker element
    this.drag = null;

    container.addEventListener("click", (event) => this.clicked(event));
    new ResizeObserver(() => this.render()).observe(container);
  }

  setAudio(buffer) {
    this.buffer = buffer;
    this.duration = buffer.duration;
    this.peaks = null;
    this.render();
  }

  setScores(scores, rate, threshold) {
    this.scores = scores;
    this.scoreRate = rate;
    this.threshold = threshold;
    this.render();
  }

  setThreshold(threshold) {
    this.threshold = threshold;
    this.render();
  }

  setShowScores(show) {
    this.showScores = show;
    this.render();
  }

  // chops: [{id, time}] sorted by time; selected: an id or null
  setChops(chops, selected) {
    this.chops = chops;
    this.selected = selected;
    this.placeMarkers();
    this.render();
  }

  setPlaying(index) {
    this.playing = index;
    this.render();
  }

  setPlayhead(time) {
    if (time === null || !this.duration) {
      this.playheadElement.hidden = true;
      return;
    }
    this.playheadElement.hidden = false;
    this.playheadElement.style.left = `${this.xOf(time)}px`;
  }

  width() {
    return this.container.clientWidth;
  }

  xOf(time) {
    return this.duration ? (time / this.duration) * this.width() : 0;
  }

  timeAt(clientX) {
    const box = this.container.getBoundingClientRect();
    const x = Math.min(Math.max(clientX - box.left, 0), box.width);
    return box.width ? (x / box.width) * this.duration : 0;
  }

  clicked(event) {
    if (!this.duration || event.target.closest(".marker")) return;
    const time = this.timeAt(event.clientX);
    const x = this.xOf(time);
    if (this.chops.some((chop) => Math.abs(this.xOf(chop.time) - x) < GRAB_PIXELS)) return;
    this.callbacks.onAdd(time);
  }

  placeMarkers() {
    const alive = new Set();
    this.chops.forEach((chop, index) => {
      alive.add(chop.id);
      let element = this.elements.get(chop.id);
      if (!element) {
        element = this.createMarker(chop.id);
        this.elements.set(chop.id, element);
        this.layer.appendChild(element);
      }
      element.dataset.index = String(index + 1);
      element.dataset.time = chop.time.toFixed(6);
      element.querySelector(".flag").textContent = String(index + 1);
      element.setAttribute("aria-label", `chop ${index + 1} at ${chop.time.toFixed(3)} s`);
      element.setAttribute("aria-valuenow", chop.time.toFixed(3));
      element.classList.toggle("selected", chop.id === this.selected);
    });
    for (const [id, element] of this.elements) {
      if (!alive.has(id)) {
        element.remove();
        this.elements.delete(id);
      }
    }
    this.positionMarkers();
  }

  // Put each marker at its time; a flag that would cover the one before it goes a row down.
  positionMarkers() {
    const rowEnds = [-Infinity, -Infinity]; // right edge of the last flag in each row
    this.chops.forEach((chop, index) => {
      const element = this.elements.get(chop.id);
      if (!element) return;
      const x = this.xOf(chop.time);
      const row = x < rowEnds[0] + 3 && x >= rowEnds[1] + 3 ? 1 : 0;
      rowEnds[row] = x + (element.firstChild.offsetWidth || 9 + 7 * String(index + 1).length);
      element.style.left = `${x}px`;
      element.classList.toggle("low", row === 1);
    });
  }

  createMarker(id) {
    const element = document.createElement("div");
    element.className = "marker";
    element.tabIndex = 0;
    element.setAttribute("role", "slider");
    element.setAttribute("aria-valuemin", "0");
    element.setAttribute("aria-valuemax", this.duration.toFixed(3));
    const flag = document.createElement("span");
    flag.className = "flag";
    element.appendChild(flag);
    element.addEventListener("pointerdown", (event) => {
      if (event.button !== 0) return;
      event.preventDefault();
      event.stopPropagation();
      element.setPointerCapture(event.pointerId);
      element.focus({ preventScroll: true });
      this.drag = { id, startX: event.clientX, moved: false };
      element.classList.add("dragging");
      this.callbacks.onSelect(id);
    });
    element.addEventListener("pointermove", (event) => {
      if (!this.drag || this.drag.id !== id) return;
      if (!this.drag.moved && Math.abs(event.clientX - this.drag.startX) < 3) return;
      this.drag.moved = true;
      this.callbacks.onMove(id, this.timeAt(event.clientX));
    });
    const finish = (event) => {
      if (!this.drag || this.drag.id !== id) return;
      const moved = this.drag.moved;
      this.drag = null;
      element.classList.remove("dragging");
      if (element.hasPointerCapture(event.pointerId)) element.releasePointerCapture(event.pointerId);
      if (moved) this.callbacks.onMoveEnd(id);
      else if (event.type === "pointerup") this.callbacks.onAudition(id);
    };
    element.addEventListener("pointerup", finish);
    element.addEventListener("pointercancel", finish);
    element.addEventListener("click", (event) => event.stopPropagation());
    return element;
  }

  // min and max of every column of device pixels, over all channels
  computePeaks(columns) {
    const buffer = this.buffer;
    const peaks = new Float32Array(columns * 2);
    const channels = [];
    for (let c = 0; c < buffer.numberOfChannels; c += 1) channels.push(buffer.getChannelData(c));
    const perColumn = buffer.length / columns;
    for (let column = 0; column < columns; column += 1) {
      const from = Math.floor(column * perColumn);
      const to = Math.max(from + 1, Math.floor((column + 1) * perColumn));
      let low = 0;
      let high = 0;
      for (const data of channels) {
        for (let i = from; i < to && i < data.length; i += 1) {
          const value = data[i];
          if (value < low) low = value;
          if (value > high) high = value;
        }
      }
      peaks[2 * column] = low;
      peaks[2 * column + 1] = high;
    }
    return peaks;
  }

  render() {
    const ratio = window.devicePixelRatio || 1;
    const cssWidth = this.container.clientWidth;
    const cssHeight = this.container.clientHeight;
    if (!cssWidth || !cssHeight) return;
    const width = Math.round(cssWidth * ratio);
    const height = Math.round(cssHeight * ratio);
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    const g = this.canvas.getContext("2d");
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.clearRect(0, 0, width, height);
    if (!this.buffer) return;
    const top = FLAG_BAND * ratio;
    const x = (time) => (time / this.duration) * width;

    // regions: alternate shades, the selected chop and the one that plays highlighted
    this.chops.forEach((chop, index) => {
      const end = index + 1 < this.chops.length ? this.chops[index + 1].time : this.duration;
      let fill = index % 2 ? "rgba(255,255,255,0.035)" : "rgba(255,255,255,0.075)";
      if (chop.id === this.selected) fill = "rgba(255,127,0,0.16)";
      if (index === this.playing) fill = "rgba(255,127,0,0.30)";
      g.fillStyle = fill;
      g.fillRect(x(chop.time), top, Math.max(1, x(end) - x(chop.time)), height - top);
    });

    // waveform
    if (!this.peaks || this.peaksWidth !== width) {
      this.peaks = this.computePeaks(width);
      this.peaksWidth = width;
    }
    const middle = top + (height - top) / 2;
    const half = ((height - top) / 2) * 0.92;
    g.fillStyle = getComputedStyle(document.documentElement).getPropertyValue("--wave") || "#6fb7c9";
    for (let column = 0; column < width; column += 1) {
      const low = this.peaks[2 * column];
      const high = this.peaks[2 * column + 1];
      const y0 = middle - high * half;
      const y1 = middle - low * half;
      g.fillRect(column, y0, 1, Math.max(1, y1 - y0));
    }

    // score curve and threshold
    if (this.showScores && this.scores && this.scores.length) {
      const base = height - 2 * ratio;
      const span = (height - top) * 0.85;
      g.strokeStyle = "rgba(230,200,79,0.9)";
      g.lineWidth = 1.5 * ratio;
      g.beginPath();
      this.scores.forEach((score, index) => {
        const px = x(index / this.scoreRate);
        const py = base - score * span;
        if (index === 0) g.moveTo(px, py);
        else g.lineTo(px, py);
      });
      g.stroke();
      if (this.threshold !== null) {
        g.setLineDash([6 * ratio, 4 * ratio]);
        g.strokeStyle = "rgba(230,200,79,0.5)";
        g.lineWidth = ratio;
        g.beginPath();
        g.moveTo(0, base - this.threshold * span);
        g.lineTo(width, base - this.threshold * span);
        g.stroke();
        g.setLineDash([]);
      }
    }

    // keep the markers where the (possibly resized) waveform puts them
    this.positionMarkers();
  }
}
