// FashionFunctions page: classify, train, compare models. Plain browser JavaScript, no dependencies.
"use strict";

const $ = (selector, root = document) => root.querySelector(selector);
const KEY_STORAGE = "fashion-functions-key";
const CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];
const percent = (p, digits = 1) => (p * 100).toFixed(digits) + "%";

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function showError(element, message) {
  element.textContent = message;
  element.hidden = !message;
}

// ---- API access: the function key (Azure) is asked for once and kept for the tab ----

class ApiError extends Error {
  constructor(status, problem) {
    super(problem && problem.detail ? problem.detail : `The server answered ${status}.`);
    this.status = status;
    this.problem = problem;
  }
}

// Calls refused at the same time (the page loads several lists at once) share one prompt.
let keyPrompt = null;

function askForKey() {
  if (keyPrompt) return keyPrompt;
  const dialog = $("#key-dialog");
  const input = $("#key-input");
  input.value = "";
  keyPrompt = new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      const key = dialog.returnValue === "ok" ? input.value.trim() : "";
      if (key) sessionStorage.setItem(KEY_STORAGE, key);
      keyPrompt = null;
      resolve(key);
      if (key) access.load();
    }, { once: true });
    dialog.showModal();
  });
  return keyPrompt;
}

// Every call says X-Requested-With, which a page on another site cannot add unasked: the app refuses a POST that
// has neither it nor a JSON or image body. The key goes in a header, never in a URL, where logs would keep it.
function apiHeaders(extra = {}) {
  const headers = new Headers(extra);
  const key = sessionStorage.getItem(KEY_STORAGE);
  if (key) headers.set("x-functions-key", key);
  headers.set("X-Requested-With", "fetch");
  return headers;
}

async function api(path, options = {}, retried = false) {
  const headers = apiHeaders(options.headers || {});
  const key = headers.get("x-functions-key");
  let response;
  try {
    response = await fetch(path, { ...options, headers });
  } catch (e) {
    throw new ApiError(0, { detail: "The app could not be reached: " + e.message });
  }
  if (response.status === 401 && !retried) {
    // Forget only the key this call was refused with: one entered meanwhile (for another call) is tried instead.
    if (sessionStorage.getItem(KEY_STORAGE) === key) sessionStorage.removeItem(KEY_STORAGE);
    if (sessionStorage.getItem(KEY_STORAGE) || await askForKey()) return api(path, options, true);
  }
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") ? await response.json().catch(() => null) : null;
  if (!response.ok) {
    throw new ApiError(response.status, body && typeof body === "object" ? body : { detail: `${response.status} ${response.statusText}` });
  }
  return body;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Server-sent events read with fetch (EventSource cannot send headers). onEvent gets each record and says whether it
// is the last. The server ends a stream after a while: it is resumed with Last-Event-ID, missing nothing (every
// event is the whole record); 204 means the job is finished and its last record was already received.
async function followEvents(path, onEvent, signal) {
  let lastId = null;
  while (!signal.aborted) {
    const headers = apiHeaders({ Accept: "text/event-stream" });
    if (lastId) headers.set("Last-Event-ID", lastId);
    const response = await fetch(path, { headers, signal });
    if (response.status === 204) return;
    if (!response.ok || !response.body) throw new ApiError(response.status, null);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer = (buffer + value).replace(/\r\n?/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const lines = buffer.slice(0, end).split("\n");
        buffer = buffer.slice(end + 2);
        const data = lines.filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trimStart()).join("\n");
        const id = lines.find((l) => l.startsWith("id:"));
        if (id) lastId = id.slice(3).trimStart();
        if (data && onEvent(JSON.parse(data))) return;
      }
    }
    await sleep(500); // the server ended the stream at its lifetime: reconnect, a moment later
  }
}

// ---- charts: small SVG line charts, no library ----

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

/** series: [{name, points: [[x, y]]}]; draws axes, grid, lines and a legend into container. */
function lineChart(container, title, series, { yMin, yMax, format = (v) => v.toFixed(2) } = {}) {
  container.replaceChildren();
  const width = 480, height = 220, left = 46, right = 12, top = 28, bottom = 30;
  const all = series.flatMap((s) => s.points);
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title });
  chart.append(svg("title", {}, title));
  chart.append(svg("text", { x: left, y: 14, "font-weight": "600" }, title));
  if (all.length === 0) {
    chart.append(svg("text", { x: left, y: height / 2 }, "No epochs yet"));
    container.append(chart);
    return;
  }
  const maxX = Math.max(1, ...all.map((p) => p[0]));
  let lo = yMin ?? Math.min(...all.map((p) => p[1]));
  let hi = yMax ?? Math.max(...all.map((p) => p[1]));
  if (hi - lo < 1e-9) { lo -= 0.05; hi += 0.05; }
  const x = (v) => left + ((v - (maxX > 1 ? 1 : 0)) / Math.max(1, maxX - 1)) * (width - left - right);
  const y = (v) => top + (1 - (v - lo) / (hi - lo)) * (height - top - bottom);
  for (let i = 0; i <= 4; i++) {
    const v = lo + ((hi - lo) * i) / 4;
    chart.append(svg("line", { class: "grid", x1: left, x2: width - right, y1: y(v), y2: y(v) }));
    chart.append(svg("text", { x: left - 4, y: y(v) + 4, "text-anchor": "end" }, format(v)));
  }
  chart.append(svg("line", { class: "axis", x1: left, x2: left, y1: top, y2: height - bottom }));
  chart.append(svg("line", { class: "axis", x1: left, x2: width - right, y1: height - bottom, y2: height - bottom }));
  const step = Math.max(1, Math.ceil(maxX / 10));
  for (let e = 1; e <= maxX; e += step) {
    chart.append(svg("text", { x: x(e), y: height - bottom + 14, "text-anchor": "middle" }, String(e)));
  }
  chart.append(svg("text", { x: width - right, y: height - 2, "text-anchor": "end" }, "epoch"));
  series.forEach((s, i) => {
    if (s.points.length === 0) return;
    chart.append(svg("polyline", { class: `s${i}`, points: s.points.map((p) => `${x(p[0])},${y(p[1])}`).join(" ") }));
    for (const p of s.points) {
      const dot = svg("circle", { class: `s${i} point`, cx: x(p[0]), cy: y(p[1]), r: 3 });
      dot.append(svg("title", {}, `${s.name}, epoch ${p[0]}: ${format(p[1])}`));
      chart.append(dot);
    }
    const lx = left + 90 + i * 110;
    chart.append(svg("rect", { class: `s${i}`, x: lx, y: 9, width: 12, height: 3 }));
    chart.append(svg("text", { x: lx + 16, y: 14 }, s.name));
  });
  container.append(chart);
}

function metricSeries(metrics) {
  const trainAccuracy = (m) => m.accuracy ?? m.trainAccuracy;
  const accuracy = [
    { name: "train", points: metrics.filter((m) => trainAccuracy(m) != null).map((m) => [m.epoch, trainAccuracy(m)]) },
    { name: "test", points: metrics.filter((m) => m.testAccuracy != null).map((m) => [m.epoch, m.testAccuracy]) },
  ];
  const validation = metrics.filter((m) => m.validationAccuracy != null);
  if (validation.length) accuracy.push({ name: "validation", points: validation.map((m) => [m.epoch, m.validationAccuracy]) });
  return { loss: [{ name: "training loss", points: metrics.map((m) => [m.epoch, m.loss]) }], accuracy };
}

function drawCurves(lossContainer, accuracyContainer, metrics) {
  const series = metricSeries(metrics || []);
  lineChart(lossContainer, "Loss", series.loss, { yMin: 0 });
  lineChart(accuracyContainer, "Accuracy", series.accuracy, { format: (v) => percent(v, 0) });
}

// ---- classify ----

const classify = {
  lastBlob: null,

  async send(blob, name) {
    const error = $("#classify-error");
    showError(error, "");
    const model = $("#classify-model").value;
    const query = new URLSearchParams({ explain: "true" });
    if (model) query.set("model", model);
    const preview = $("#input-preview");
    if (preview.src.startsWith("blob:")) URL.revokeObjectURL(preview.src);
    preview.src = URL.createObjectURL(blob);
    $("#result").setAttribute("aria-busy", "true");
    try {
      const answer = await api(`api/classify?${query}`, {
        method: "POST",
        headers: { "Content-Type": blob.type || "application/octet-stream" },
        body: blob,
      });
      this.show(answer);
    } catch (e) {
      $("#answer").hidden = true;
      showError(error, (name ? name + ": " : "") + e.message);
    } finally {
      $("#result").removeAttribute("aria-busy");
    }
  },

  show(answer) {
    $("#answer-label").textContent = answer.className;
    $("#answer-confidence").textContent = percent(answer.confidence);
    $("#answer-model").textContent = answer.modelId;
    const seen = $("#model-input");
    seen.hidden = !answer.modelInput;
    seen.closest("figure").hidden = !answer.modelInput;
    if (answer.modelInput) seen.src = "data:image/png;base64," + answer.modelInput;
    const list = $("#probabilities");
    list.replaceChildren();
    const names = Object.keys(answer.probabilities);
    for (const name of names) {
      const p = answer.probabilities[name];
      const fill = el("span", { class: "fill" });
      fill.style.width = percent(p, 2);
      list.append(el("li", { class: name === answer.className ? "top" : null },
        el("span", { class: "name" }, name),
        el("span", { class: "bar", role: "meter", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": (p * 100).toFixed(1), "aria-label": name }, fill),
        el("span", { class: "value" }, percent(p))));
    }
    $("#answer").hidden = false;
  },

  setUp() {
    const drop = $("#drop");
    for (const id of ["#file", "#camera"]) {
      $(id).addEventListener("change", (e) => {
        const file = e.target.files[0];
        if (file) this.send(file, file.name);
        e.target.value = "";
      });
    }
    drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
    drop.addEventListener("dragleave", () => drop.classList.remove("over"));
    drop.addEventListener("drop", (e) => {
      e.preventDefault();
      drop.classList.remove("over");
      const file = [...e.dataTransfer.files][0];
      if (file) this.send(file, file.name);
    });
    drop.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); $("#file").click(); }
    });
    document.addEventListener("paste", (e) => {
      const item = [...(e.clipboardData?.items || [])].find((i) => i.type.startsWith("image/"));
      if (item) this.send(item.getAsFile(), "pasted image");
    });
    this.setUpCanvas();
    this.loadSamples();
  },

  setUpCanvas() {
    const canvas = $("#canvas");
    const context = canvas.getContext("2d");
    const clear = () => { context.fillStyle = "#000"; context.fillRect(0, 0, canvas.width, canvas.height); };
    clear();
    let last = null;
    const at = (e) => {
      const box = canvas.getBoundingClientRect();
      return [(e.clientX - box.left) * (canvas.width / box.width), (e.clientY - box.top) * (canvas.height / box.height)];
    };
    canvas.addEventListener("pointerdown", (e) => { canvas.setPointerCapture(e.pointerId); last = at(e); });
    canvas.addEventListener("pointermove", (e) => {
      if (!last) return;
      const point = at(e);
      context.strokeStyle = "#fff";
      context.lineWidth = 22;
      context.lineCap = "round";
      context.lineJoin = "round";
      context.beginPath();
      context.moveTo(...last);
      context.lineTo(...point);
      context.stroke();
      last = point;
    });
    const stop = () => { last = null; };
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
    $("#clear-drawing").addEventListener("click", clear);
    $("#classify-drawing").addEventListener("click", () => canvas.toBlob((blob) => this.send(blob, "drawing"), "image/png"));
  },

  async loadSamples() {
    const container = $("#samples");
    try {
      const response = await fetch("assets/samples/samples.json");
      if (!response.ok) throw new Error(`${response.status}`);
      const samples = await response.json();
      for (const sample of samples) {
        const url = "assets/samples/" + sample.file;
        container.append(el("button", {
          type: "button",
          title: sample.description,
          "data-sample": sample.file,
          onclick: async () => {
            const blob = await (await fetch(url)).blob();
            this.send(blob, sample.file);
          },
        }, el("img", { src: url, alt: "" }), sample.file));
      }
    } catch {
      container.append(el("p", { class: "muted" }, "No samples available."));
    }
  },
};

// ---- training jobs ----

const jobs = {
  items: new Map(),
  order: [],
  next: null,
  selected: null,
  stream: null,
  poll: null,

  async load(more = false) {
    try {
      const page = await api(`api/training-jobs?limit=20${more && this.next ? "&next=" + encodeURIComponent(this.next) : ""}`);
      if (!more) { this.items.clear(); this.order = []; }
      for (const job of page.items) this.remember(job);
      this.next = page.next;
      $("#more-jobs").hidden = !this.next;
      this.render();
    } catch (e) {
      showError($("#train-error"), e.message);
    }
  },

  remember(job) {
    if (!this.items.has(job.id)) {
      this.order.push(job.id);
      this.order.sort((a, b) => (a < b ? 1 : -1));
    }
    this.items.set(job.id, job);
  },

  render() {
    const body = $("#jobs tbody");
    body.replaceChildren();
    if (this.order.length === 0) {
      body.append(el("tr", {}, el("td", { colspan: "4", class: "muted" }, "No jobs yet.")));
    }
    for (const id of this.order) {
      const job = this.items.get(id);
      const last = job.metrics && job.metrics.length ? job.metrics[job.metrics.length - 1] : null;
      const row = el("tr", { class: id === this.selected ? "selected" : null, "data-job": id },
        el("td", {}, el("button", { type: "button", class: "secondary small", onclick: () => this.select(id), "aria-label": `Show job ${id}` }, id.replace(/^job-/, ""))),
        el("td", {}, el("span", { class: `status ${job.status}` }, job.status)),
        el("td", {}, `${job.epoch || 0}/${job.options?.epochs ?? "?"}`),
        el("td", {}, last && last.testAccuracy != null ? percent(last.testAccuracy) : "—"));
      body.append(row);
    }
  },

  select(id) {
    this.selected = id;
    this.render();
    this.showDetail(this.items.get(id));
    this.watch(id);
  },

  showDetail(job) {
    if (!job || job.id !== this.selected) return;
    $("#job").hidden = false;
    $("#job-id").textContent = job.id;
    const status = $("#job-status");
    status.textContent = job.status;
    status.className = `status ${job.status}`;
    const parts = [`epoch ${job.epoch || 0} of ${job.options?.epochs ?? "?"}`];
    if (job.modelId) parts.push(`model ${job.modelId}${job.promoted ? " (made current)" : ""}`);
    $("#job-progress").textContent = parts.join(" · ");
    showError($("#job-error"), job.error || "");
    drawCurves($("#job-loss"), $("#job-accuracy"), job.metrics);
    $("#cancel-job").hidden = ["succeeded", "failed", "cancelled"].includes(job.status);
  },

  update(job) {
    this.remember(job);
    this.render();
    this.showDetail(job);
    if (["succeeded", "failed", "cancelled"].includes(job.status)) {
      this.stopWatching();
      if (job.status === "succeeded") models.load();
      if (job.promoted && job.modelId) statusLine.expect(job.modelId);
      else statusLine.show();
    }
  },

  stopWatching() {
    if (this.stream) { this.stream.abort(); this.stream = null; }
    if (this.poll) { clearInterval(this.poll); this.poll = null; }
  },

  watch(id) {
    this.stopWatching();
    const job = this.items.get(id);
    if (job && ["succeeded", "failed", "cancelled"].includes(job.status)) return;
    if (typeof TextDecoderStream === "undefined") { this.startPolling(id); return; }
    const stream = new AbortController();
    this.stream = stream;
    const finished = (record) => ["succeeded", "failed", "cancelled"].includes(record.status);
    followEvents(`api/training-jobs/${encodeURIComponent(id)}/events`, (record) => { this.update(record); return finished(record); }, stream.signal)
      .catch(() => {
        // Refused (at the instance's stream cap, say) or cut off: poll instead, unless the page stopped watching.
        if (this.stream !== stream) return;
        this.stream = null;
        this.startPolling(id);
      });
  },

  startPolling(id) {
    if (this.poll) return;
    const tick = async () => {
      try { this.update(await api(`api/training-jobs/${encodeURIComponent(id)}`)); } catch (e) { showError($("#train-error"), e.message); }
    };
    this.poll = setInterval(tick, 2000);
    tick();
  },

  async submit(form) {
    showError($("#train-error"), "");
    const data = new FormData(form);
    const body = {
      epochs: Number(data.get("epochs")),
      batchSize: Number(data.get("batchSize")),
      learningRate: Number(data.get("learningRate")),
      seed: Number(data.get("seed")),
      promote: access.may("PromoteModel") && data.get("promote") === "on",
    };
    // Absent fields take the server's defaults; these two are sent only when changed.
    if (Number(data.get("hiddenUnits")) !== 128) body.hiddenUnits = Number(data.get("hiddenUnits"));
    if (Number(data.get("validationSize")) !== 0) body.validationSize = Number(data.get("validationSize"));
    if (data.get("trainLimit")) body.trainLimit = Number(data.get("trainLimit"));
    try {
      const job = await api("api/training-jobs", {
        method: "POST",
        headers: { "Content-Type": "application/json", "Idempotency-Key": crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random() },
        body: JSON.stringify(body),
      });
      this.remember(job);
      this.select(job.id);
    } catch (e) {
      showError($("#train-error"), e.message);
    }
  },

  async cancel() {
    if (!this.selected) return;
    try {
      this.update(await api(`api/training-jobs/${encodeURIComponent(this.selected)}/cancel`, { method: "POST" }));
    } catch (e) {
      showError($("#train-error"), e.message);
    }
  },

  setUp() {
    $("#train-form").addEventListener("submit", (e) => { e.preventDefault(); this.submit(e.target); });
    $("#refresh-jobs").addEventListener("click", () => this.load());
    $("#more-jobs").addEventListener("click", () => this.load(true));
    $("#cancel-job").addEventListener("click", () => this.cancel());
    this.load();
  },
};

// ---- models ----

const MORE_MODELS = "more:";

const models = {
  list: [],
  next: null,
  chosen: "",
  panes: [null, null],

  /** The first page of models, or with more=true the next page added to those shown. */
  async load(more = false) {
    showError($("#models-error"), "");
    let page;
    try {
      page = await api(`api/models?limit=20${more && this.next ? "&next=" + encodeURIComponent(this.next) : ""}`);
    } catch (e) {
      showError($("#models-error"), e.message);
      return;
    }
    this.list = more ? this.list.concat(page.items.filter((m) => !this.list.some((k) => k.modelId === m.modelId))) : page.items;
    this.next = page.next;
    $("#more-models").hidden = !this.next;
    this.render();
    const select = $("#classify-model");
    const chosen = select.value;
    select.replaceChildren(el("option", { value: "" }, "Current model"),
      ...this.list.map((m) => el("option", { value: m.modelId }, `${m.modelId} (${percent(m.testAccuracy)})`)),
      this.next ? el("option", { value: MORE_MODELS }, "More models…") : null);
    select.value = this.list.some((m) => m.modelId === chosen) ? chosen : "";
    if (!more) for (let i = 0; i < 2; i++) if (this.panes[i]) this.open(this.panes[i], i);
  },

  /** The picker's last option loads the next page and leaves the choice where it was. */
  async pick(select) {
    if (select.value !== MORE_MODELS) { this.chosen = select.value; return; }
    select.value = this.chosen || "";
    await this.load(true);
    select.value = this.chosen || "";
  },

  render() {
    const body = $("#model-list tbody");
    body.replaceChildren();
    if (this.list.length === 0) body.append(el("tr", {}, el("td", { colspan: "5", class: "muted" }, "No models yet: train one above.")));
    for (const m of this.list) {
      body.append(el("tr", { "data-model": m.modelId, class: this.panes.includes(m.modelId) ? "selected" : null },
        el("td", {}, el("code", {}, m.modelId), m.current ? el("span", { class: "badge" }, "current") : null),
        el("td", {}, percent(m.testAccuracy, 2)),
        el("td", {}, String(m.epochs)),
        el("td", {}, new Date(m.createdAt).toLocaleString()),
        el("td", {},
          el("button", { type: "button", class: "small", "data-action": "open", onclick: () => this.open(m.modelId, 0), "aria-label": `Open ${m.modelId}` }, "Open"),
          el("button", { type: "button", class: "secondary small", "data-action": "compare", onclick: () => this.open(m.modelId, 1), "aria-label": `Compare ${m.modelId} side by side` }, "Compare"))));
    }
  },

  async open(modelId, index) {
    this.panes[index] = modelId;
    this.render();
    const pane = $(`#pane-${index}`);
    pane.hidden = false;
    pane.setAttribute("aria-busy", "true");
    try {
      const manifest = await api(`api/models/${encodeURIComponent(modelId)}`);
      this.renderPane(pane, manifest, index);
    } catch (e) {
      pane.replaceChildren(el("p", { class: "error", role: "alert" }, e.message));
    } finally {
      pane.removeAttribute("aria-busy");
    }
  },

  renderPane(pane, manifest, index) {
    const summary = this.list.find((m) => m.modelId === manifest.modelId);
    const h = manifest.hyperparameters || {};
    const evaluation = manifest.testEvaluation;
    const names = manifest.classNames || CLASS_NAMES;
    const loss = el("div", { class: "chart" });
    const accuracy = el("div", { class: "chart" });
    pane.replaceChildren(
      el("h3", {}, el("code", {}, manifest.modelId), summary?.current ? el("span", { class: "badge" }, "current") : null),
      el("dl", {},
        el("dt", {}, "Test accuracy"), el("dd", {}, percent(manifest.testAccuracy, 2)),
        manifest.validationAccuracy != null ? [el("dt", {}, "Validation accuracy"), el("dd", {}, percent(manifest.validationAccuracy, 2))] : null,
        el("dt", {}, "Created"), el("dd", {}, new Date(manifest.createdAt).toLocaleString()),
        el("dt", {}, "Training"), el("dd", {}, `${h.epochs ?? manifest.epochs?.length} epochs, batch ${h.batchSize}, learning rate ${h.learningRate}, seed ${h.seed}`),
        el("dt", {}, "Hidden units"), el("dd", {}, String(manifest.hiddenUnits ?? h.hiddenUnits ?? 128))),
      el("p", { class: "buttons" },
        summary?.current || access.may("PromoteModel") ? el("button", { type: "button", class: "promote", disabled: summary?.current ? true : null, onclick: () => this.promote(manifest.modelId) }, summary?.current ? "Current model" : "Promote (make current)") : null,
        summary?.current || !access.may("DeleteModel") ? null : el("button", { type: "button", class: "danger delete", onclick: () => this.remove(manifest.modelId) }, "Delete"),
        el("button", { type: "button", class: "secondary", onclick: () => { this.panes[index] = null; pane.hidden = true; this.render(); } }, "Close")),
      loss, accuracy);
    drawCurves(loss, accuracy, manifest.epochs);
    if (evaluation) {
      pane.append(el("h4", {}, "Per-class test accuracy"), this.perClass(names, evaluation.perClassAccuracy));
      pane.append(el("h4", {}, `Confusion matrix (${evaluation.count.toLocaleString()} test images)`), this.confusion(names, evaluation.confusion));
    } else {
      pane.append(el("p", { class: "muted" }, "This model's manifest has no test-set evaluation."));
    }
  },

  perClass(names, accuracies) {
    return el("ol", { class: "bars per-class" }, accuracies.map((a, i) => {
      const fill = el("span", { class: "fill" });
      fill.style.width = percent(a, 2);
      return el("li", {}, el("span", { class: "name" }, names[i]),
        el("span", { class: "bar", role: "meter", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": (a * 100).toFixed(1), "aria-label": names[i] }, fill),
        el("span", { class: "value" }, percent(a)));
    }));
  },

  confusion(names, matrix) {
    const max = Math.max(1, ...matrix.flat());
    const table = el("table", { class: "confusion" },
      el("caption", { class: "caption" }, "Rows: true class; columns: predicted class. Darker: more images."),
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, el("span", { class: "visually-hidden" }, "true \\ predicted")),
        names.map((n) => el("th", { scope: "col", title: n }, n)))),
      el("tbody", {}, matrix.map((row, r) => el("tr", {}, el("th", { scope: "row", title: names[r] }, names[r]),
        row.map((count, c) => {
          const cell = el("td", { class: r === c ? "diagonal" : null, title: `true ${names[r]}, predicted ${names[c]}: ${count}` }, String(count));
          const strength = Math.sqrt(count / max);
          cell.style.background = `rgba(31, 95, 191, ${strength.toFixed(3)})`;
          cell.style.color = strength > 0.55 ? "#fff" : "#1b1f24";
          return cell;
        })))));
    return el("div", { class: "scroll" }, table);
  },

  async remove(modelId) {
    if (!window.confirm(`Delete model ${modelId}? Its weights and manifest are removed for good.`)) return;
    try {
      await api(`api/models/${encodeURIComponent(modelId)}`, { method: "DELETE" });
      this.panes = this.panes.map((p) => (p === modelId ? null : p));
      for (let i = 0; i < 2; i++) if (!this.panes[i]) $(`#pane-${i}`).hidden = true;
      await this.load();
    } catch (e) {
      showError($("#models-error"), e.message);
    }
  },

  setUp() {
    $("#more-models").addEventListener("click", () => this.load(true));
    $("#classify-model").addEventListener("change", (e) => this.pick(e.target));
    this.load();
  },

  async promote(modelId) {
    try {
      await api(`api/models/${encodeURIComponent(modelId)}/promote`, { method: "POST" });
      statusLine.expect(modelId);
      await this.load();
    } catch (e) {
      showError($("#models-error"), e.message);
    }
  },
};

// ---- who is calling: GET /api/me names the caller and the functions it may call; the page offers only those ----

const access = {
  me: null,

  /** Whether the caller may call the function; true until the app has named a caller (nothing is hidden then). */
  may(fn) {
    return !this.me?.caller || this.me.functions.includes(fn);
  },

  describe(me) {
    if (me.authMode === "off") return "Auth off (local): you may do everything";
    if (!me.caller) return me.authMode === "keys" ? "No key yet: you will be asked for one" : "Not signed in";
    return `Signed in as ${me.caller}, ${me.role}: you may ${this.summary(me.functions)}`;
  },

  summary(functions) {
    const can = [["Classify", "classify"], ["CreateTrainingJob", "train"], ["PromoteModel", "promote"], ["DeleteModel", "delete models"]]
      .filter(([fn]) => functions.includes(fn)).map(([, what]) => what);
    return can.length ? can.join(", ") : "only read the status";
  },

  async load() {
    try {
      this.me = await api("api/me");
    } catch {
      this.me = null;
    }
    $("#who").textContent = this.me ? this.describe(this.me) : "";
    for (const element of document.querySelectorAll("[data-needs]")) element.hidden = !this.may(element.dataset.needs);
    for (let i = 0; i < 2; i++) if (models.panes[i]) models.open(models.panes[i], i); // their buttons follow the rights
  },
};

// ---- status line: GET /api/health, which answers 200 on a healthy app without a model (503 only when storage is down;
// /api/health/ready is for probes and answers 503 until a model is current) ----

const statusLine = {
  describe(body) {
    if (body.status !== "healthy") return `Unhealthy: ${body.reason || "storage " + body.storage}`;
    if (!body.currentModelId) return "Healthy · no model yet: train one below";
    if (!body.modelLoaded) return `Healthy · ${body.reason || `current model ${body.currentModelId}, not loaded yet`}`;
    return `Healthy · current model ${body.currentModelId}`;
  },

  /** Shows what the app says about itself; returns the current model id it named, or undefined. */
  async show() {
    const line = $("#health");
    try {
      const response = await fetch("api/health");
      const body = await response.json().catch(() => null);
      line.textContent = body ? this.describe(body) : `The app answered ${response.status} ${response.statusText}.`;
      return body?.currentModelId ?? undefined;
    } catch {
      line.textContent = "The app could not be reached.";
      return undefined;
    }
  },

  /** After a model was made current: the app keeps its health answer for a few seconds, so ask again until it names the model. */
  async expect(modelId, attempts = 8) {
    for (let i = 0; i < attempts; i++) {
      if (await this.show() === modelId) return;
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  },
};

document.addEventListener("DOMContentLoaded", () => {
  classify.setUp();
  jobs.setUp();
  models.setUp();
  statusLine.show();
  access.load();
});
