// The "Learn my taste" panel: the library, learning in the background, the models.

import { deleteResource, getJSON, postJSON, upload } from "./api.js";

const $ = (id) => document.getElementById(id);

const POLL_MS = 500;

const PHASES = {
  starting: () => "Starting (loading PyTorch)…",
  building: (job) => `Reading the ${job.samples} samples…`,
  training: (job) => `Training: step ${job.done} of ${job.total}`,
  checking: () => "Checking both models on the held-out samples…",
};

function element(tag, { text = "", className = "", attributes = {} } = {}) {
  const node = document.createElement(tag);
  if (text) node.textContent = text;
  if (className) node.className = className;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

function day(iso) {
  return iso ? iso.slice(0, 16).replace("T", " ") : "";
}

function figures(source) {
  if (source.f_base === null || source.f_base === undefined) return "";
  return `held-out F ${source.f_base.toFixed(3)} → ${source.f_learnt.toFixed(3)}`;
}

export class LearnPanel {
  // onError(message): shows a message in the page's error box.
  constructor({ onError }) {
    this.onError = onError;
    this.count = 0;
    this.minimum = 3;
    this.available = true;
    this.running = false;
    this.pollTimer = null;
    $("learn-start").addEventListener("click", () => this.start());
    $("learn-cancel").addEventListener("click", () => this.cancel());
    const input = $("model-import");
    input.addEventListener("change", () => {
      if (input.files.length) this.importModel(input.files[0]);
      input.value = "";
    });
  }

  async init() {
    await Promise.all([this.refreshLibrary(), this.refreshModels(), this.refreshLearning()]);
  }

  // ---- the library -----------------------------------------------------------------------

  async refreshLibrary() {
    try {
      this.renderLibrary(await getJSON("/api/library"));
    } catch (error) {
      this.onError(error.message);
    }
  }

  renderLibrary(listing) {
    this.count = listing.count;
    document.body.dataset.library = String(listing.count);
    $("library-count").textContent = listing.count === 1 ? "1 sample" : `${listing.count} samples`;
    const list = $("library-list");
    list.replaceChildren();
    for (const entry of listing.entries) {
      const item = element("li", { attributes: { "data-id": entry.id } });
      item.append(element("span", { text: entry.name, className: "name" }),
        element("span", { text: `${entry.chops} chops · ${day(entry.updated)}`, className: "hint" }));
      const remove = element("button", { text: "Delete", className: "small",
        attributes: { type: "button", title: `Delete ${entry.name} from the library` } });
      remove.addEventListener("click", () => this.removeEntry(entry.id));
      item.append(remove);
      list.append(item);
    }
    if (!listing.entries.length) {
      list.append(element("li", { text: "Nothing yet: correct a sample's chops, then Save to library.",
        className: "hint" }));
    }
    this.renderStartButton();
  }

  async removeEntry(id) {
    try {
      await deleteResource(`/api/library/${encodeURIComponent(id)}`);
    } catch (error) {
      this.onError(error.message);
    }
    await this.refreshLibrary();
  }

  // ---- learning ----------------------------------------------------------------------------

  renderStartButton() {
    const enough = this.count >= this.minimum;
    $("learn-start").disabled = this.running || !this.available || !enough;
    $("learn-needs").textContent = enough || !this.available ? ""
      : `Learning needs at least ${this.minimum} samples in the library (${this.minimum - this.count} more).`;
  }

  async refreshLearning() {
    try {
      this.renderLearning(await getJSON("/api/learn"));
    } catch (error) {
      this.onError(error.message);
    }
  }

  renderLearning(status) {
    this.available = status.available;
    this.minimum = status.min_samples;
    const install = $("learn-install");
    install.hidden = status.available;
    if (!status.available) {
      install.replaceChildren("Learning needs the train extra (PyTorch): ",
        element("code", { text: status.install }), ", then restart samplechop serve.");
    }
    const job = status.job;
    const wasRunning = this.running;
    this.running = Boolean(job && (job.state === "running" || job.state === "cancelling"));
    document.body.dataset.learn = job ? job.state : "";
    $("learn-cancel").hidden = !this.running;
    const progress = $("learn-progress");
    const result = $("learn-result");
    result.classList.remove("error");
    if (!job) {
      progress.hidden = true;
      result.textContent = "";
    } else {
      progress.hidden = false;
      $("learn-fill").style.width = `${Math.round(job.fraction * 100)}%`;
      $("learn-progress").dataset.fraction = String(job.fraction);
      const phase = PHASES[job.phase] ? PHASES[job.phase](job) : job.phase;
      $("learn-text").textContent = job.state === "cancelling" ? "Cancelling…" : phase;
      result.textContent = "";
      if (job.state === "done") {
        $("learn-text").textContent = `Done in ${Math.round(job.elapsed)} s`;
        const report = job.report;
        const kept = job.model ? `Kept as “${job.model.name}”: choose it below. ` : "";
        const numbers = figures(report);
        result.textContent = `${kept}${numbers ? `${numbers}: ` : ""}${report.verdict}.`;
      } else if (job.state === "failed") {
        result.textContent = job.error;
        result.classList.add("error");
      } else if (job.state === "cancelled") {
        result.textContent = "Cancelled: no model was made.";
      }
    }
    this.renderStartButton();
    if (this.running) this.schedulePoll();
    else if (wasRunning) this.refreshModels();
  }

  schedulePoll() {
    clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => this.refreshLearning(), POLL_MS);
  }

  async start() {
    try {
      const name = $("learn-name").value.trim();
      this.renderLearning(await postJSON("/api/learn", name ? { name } : {}));
    } catch (error) {
      this.onError(error.message);
      await this.refreshLearning();
    }
  }

  async cancel() {
    try {
      this.renderLearning(await postJSON("/api/learn/cancel", {}));
    } catch (error) {
      this.onError(error.message);
    }
  }

  // ---- the models ------------------------------------------------------------------------------

  async refreshModels() {
    try {
      this.renderModels(await getJSON("/api/models"));
    } catch (error) {
      this.onError(error.message);
    }
  }

  renderModels(listing) {
    const list = $("model-list");
    list.replaceChildren();
    document.body.dataset.model = listing.active;
    for (const model of listing.models) {
      const item = element("li", { attributes: { "data-id": model.id } });
      const label = element("label", { className: "choice" });
      const radio = element("input", { attributes: { type: "radio", name: "model", value: model.id } });
      radio.checked = model.id === listing.active;
      radio.addEventListener("change", () => this.choose(model.id));
      label.append(radio, element("span", { text: model.name, className: "name" }));
      item.append(label);
      if (model.personal) {
        const facts = [model.origin === "learnt" ? "learnt" : "imported", day(model.created), figures(model)]
          .filter(Boolean).join(" · ");
        item.append(element("span", { text: facts, className: "hint" }));
        const save = element("a", { text: "Download", className: "button small",
          attributes: { href: `/api/models/${encodeURIComponent(model.id)}/file`, download: "" } });
        const remove = element("button", { text: "Delete", className: "small",
          attributes: { type: "button", title: `Delete the model ${model.name}` } });
        remove.addEventListener("click", () => this.removeModel(model.id));
        item.append(save, remove);
      }
      list.append(item);
    }
  }

  async choose(id) {
    try {
      this.renderModels(await postJSON("/api/models/active", { id }));
      $("model-state").textContent = "New uploads are chopped with this model.";
    } catch (error) {
      this.onError(error.message);
      await this.refreshModels();
    }
  }

  async removeModel(id) {
    try {
      await deleteResource(`/api/models/${encodeURIComponent(id)}`);
    } catch (error) {
      this.onError(error.message);
    }
    await this.refreshModels();
  }

  async importModel(file) {
    $("model-state").textContent = `Importing ${file.name}…`;
    try {
      const model = await upload("/api/models", file, () => {});
      $("model-state").textContent = `Imported “${model.name}”.`;
    } catch (error) {
      $("model-state").textContent = "";
      this.onError(error.message);
    }
    await this.refreshModels();
  }
}
