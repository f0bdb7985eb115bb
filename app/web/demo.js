// The demo page: enrol, verify and identify through the service's own API, and show what
// the model used (face box and landmarks, or the normalised ink crop), the score against
// the threshold, the operating point and the decision. Plain script, no build, no CDN.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { models: {} };

// -- the API ------------------------------------------------------------------------------

class Problem extends Error {
  constructor(status, body) {
    super(body.detail || body.title || `HTTP ${status}`);
    this.status = status;
    this.type = body.type || "about:blank";
    this.title = body.title || `HTTP ${status}`;
    this.detail = body.detail || "";
    this.body = body;
  }
}

async function api(method, path, form) {
  const headers = {};
  const key = $("api-key").value.trim();
  if (key) headers["X-API-Key"] = key;
  const response = await fetch(path, { method, headers, body: form });
  if (response.status === 204) return null;
  const text = await response.text();
  let body = {};
  try { body = text ? JSON.parse(text) : {}; } catch { body = { detail: text.slice(0, 300) }; }
  if (!response.ok) throw new Problem(response.status, body);
  return body;
}

function showProblem(error) {
  const box = $("problem");
  if (!error) { box.hidden = true; return; }
  $("problem-title").textContent = error instanceof Problem
    ? `${error.title} (${error.status})` : "Request failed";
  $("problem-detail").textContent = error instanceof Problem
    ? `${error.detail} [${error.type}]` : String(error.message || error);
  box.hidden = false;
}

async function busy(button, work) {
  button.disabled = true;
  showProblem(null);
  try { await work(); } catch (error) { showProblem(error); } finally { button.disabled = false; }
}

// -- small DOM helpers ----------------------------------------------------------------------

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    // style through the CSSOM: the page's Content-Security-Policy refuses style attributes
    if (name === "class") node.className = value;
    else if (name === "style") node.style.cssText = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) {
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function facts(pairs) {
  const list = element("dl", { class: "facts" });
  for (const [term, value] of pairs) {
    if (value === undefined) continue;
    list.append(element("dt", {}, term), element("dd", {}, value === null ? "—" : value));
  }
  return list;
}

const percent = (rate) => (rate === null || rate === undefined ? "—" : `${(100 * rate).toPrecision(3)} %`);
const modality = () => $("modality").value;

// A photo with the face box and landmarks the model used, drawn over it.
async function annotated(file, face, caption) {
  const figure = element("figure");
  const bitmap = await createImageBitmap(file).catch(() => null);
  if (!bitmap) return figure;
  const canvas = element("canvas", { "aria-label": caption, role: "img" });
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const context = canvas.getContext("2d");
  context.drawImage(bitmap, 0, 0);
  if (face) {
    const line = Math.max(2, Math.round(bitmap.width / 150));
    context.lineWidth = line;
    context.strokeStyle = "#16c172";
    context.strokeRect(face.box.x, face.box.y, face.box.width, face.box.height);
    context.fillStyle = "#ffb000";
    for (const [x, y] of Object.values(face.landmarks)) {
      context.beginPath();
      context.arc(x, y, line * 1.5, 0, 2 * Math.PI);
      context.fill();
    }
  }
  figure.append(canvas, element("figcaption", {}, caption));
  return figure;
}

function modelInput(preview, caption) {
  return element("figure", {},
    element("img", { src: preview.model_input, alt: caption, "data-role": "model-input" }),
    element("figcaption", {}, caption));
}

async function preview(file) {
  const form = new FormData();
  form.append("modality", modality());
  form.append("image", file);
  return api("POST", "/v1/preview", form);
}

// The score against the threshold, on a bar centred on the threshold.
function scoreBar(score, threshold, match) {
  const span = Math.max(Math.abs(score - threshold) * 1.25, Math.abs(threshold) * 0.5, 0.05);
  const low = threshold - span;
  const position = (value) => Math.min(100, Math.max(0, (100 * (value - low)) / (2 * span)));
  const bar = element("div", {
    class: "bar", role: "meter", "aria-label": "score against the threshold",
    "aria-valuemin": low.toFixed(4), "aria-valuemax": (threshold + span).toFixed(4),
    "aria-valuenow": score.toFixed(4),
  });
  bar.append(
    element("div", { class: `fill ${match ? "match" : ""}`, style: `width: ${position(score)}%` }),
    element("div", { class: "threshold", style: `left: calc(${position(threshold)}% - 1px)`, title: "threshold" }),
  );
  const legend = element("div", { class: "bar-legend" },
    element("span", {}, "less alike"), element("span", {}, `threshold ${threshold.toFixed(4)}`),
    element("span", {}, "more alike"));
  return element("div", {}, bar, legend);
}

function operatingPoint(rule) {
  const point = state.models[modality()]?.thresholds?.[rule.operating_point];
  return [
    ["Operating point", rule.operating_point || "explicit threshold"],
    ["FAR (target)", rule.far === null ? "—" : percent(rule.far)],
    ["FAR (calibration)", point ? percent(point.far) : "—"],
    ["FRR (calibration)", point ? percent(point.frr) : "—"],
  ];
}

// -- setup: key, models, tabs, drop zones --------------------------------------------------

async function loadKey() {
  const stored = sessionStorage.getItem("twinverify-key");
  if (stored) { $("api-key").value = stored; return; }
  try {
    const response = await fetch("/demo/default-key");
    if (response.ok) {
      $("api-key").value = (await response.json()).api_key;
      $("key-status").textContent = "Using the default gallery's key (this server runs on its embedded defaults).";
      return;
    }
  } catch { /* no default key: the user pastes one */ }
  $("key-status").textContent = "Paste a gallery's API key.";
}

async function loadModels() {
  const select = $("modality");
  try {
    const { models } = await api("GET", "/v1/models");
    const previous = select.value;
    select.replaceChildren();
    state.models = {};
    for (const model of models) {
      if (!model.enabled) continue;
      state.models[model.modality] = model;
      select.append(element("option", { value: model.modality }, `${model.modality} (${model.name}:${model.version})`));
    }
    if (previous && state.models[previous]) select.value = previous;
    $("model-status").textContent = select.options.length ? "" : "No modality is enabled on this server.";
    showProblem(null);
  } catch (error) {
    if (error instanceof Problem && error.status === 503) {
      $("model-status").textContent = "Models are loading…";
      setTimeout(loadModels, 1000);
      return;
    }
    showProblem(error);
  }
}

function setUpTabs() {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  const choose = (tab) => {
    for (const other of tabs) {
      const selected = other === tab;
      other.setAttribute("aria-selected", String(selected));
      other.tabIndex = selected ? 0 : -1;
      $(other.getAttribute("aria-controls")).hidden = !selected;
    }
    tab.focus();
    if (tab.id === "tab-subjects" || tab.id === "tab-verify") loadSubjects();
  };
  tabs.forEach((tab, index) => {
    tab.addEventListener("click", () => choose(tab));
    tab.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (step) choose(tabs[(index + step + tabs.length) % tabs.length]);
    });
  });
}

function setUpDrop(inputId, chosenId) {
  const input = $(inputId);
  const zone = input.closest(".drop");
  const show = () => {
    const chosen = $(chosenId);
    chosen.replaceChildren();
    for (const file of input.files) {
      chosen.append(element("figure", {},
        element("img", { src: URL.createObjectURL(file), alt: file.name }),
        element("figcaption", {}, file.name)));
    }
  };
  input.addEventListener("change", show);
  zone.addEventListener("dragover", (event) => { event.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    const files = new DataTransfer();
    const dropped = [...event.dataTransfer.files];
    for (const file of input.multiple ? dropped : dropped.slice(0, 1)) files.items.add(file);
    input.files = files.files;
    show();
  });
}

// -- enrol --------------------------------------------------------------------------------

async function enrol(event) {
  event.preventDefault();
  await busy(event.submitter || $("enrol-form").querySelector("button"), async () => {
    const files = [...$("enrol-images").files];
    const form = new FormData();
    form.append("modality", modality());
    form.append("external_id", $("enrol-external-id").value.trim());
    form.append("create", "true");
    if ($("enrol-name").value.trim()) form.append("name", $("enrol-name").value.trim());
    for (const file of files) form.append("images", file);
    const out = $("enrol-result");
    out.replaceChildren();
    let result;
    try {
      result = await api("POST", "/v1/enroll", form);
    } catch (error) {
      if (error instanceof Problem && error.body.images) out.append(await imageTable(error.body.images, files));
      throw error;
    }
    out.append(
      element("p", { class: "decision match" },
        `${result.accepted} of ${files.length} images enrolled for ${result.subject.external_id}`),
      facts([["Subject", result.subject.id], ["New subject", result.subject_created ? "yes" : "no"],
             ["Model", `${result.model.name}:${result.model.version}`]]),
      await imageTable(result.images, files));
    loadSubjects();
  });
}

async function imageTable(images, files) {
  const faces = modality() === "face";
  const body = element("tbody");
  for (const image of images) {
    const file = files[image.index];
    const cells = [
      element("td", {}, image.filename),
      element("td", { class: image.accepted ? "accepted" : "rejected" },
        image.accepted ? "accepted" : `rejected: ${image.reason}`),
      element("td", {}, image.detail || (image.accepted ? "reference stored" : "")),
    ];
    if (faces) {
      const picture = file && image.face ? await annotated(file, image.face, image.filename) : "";
      cells.push(element("td", {}, element("div", { class: "thumbs" }, picture)));
    }
    body.append(element("tr", { "data-accepted": String(image.accepted) }, ...cells));
  }
  const headings = ["Image", "Outcome", "Detail", ...(faces ? ["Face used"] : [])];
  return element("table", {},
    element("thead", {}, element("tr", {}, ...headings.map((text) => element("th", {}, text)))),
    body);
}

// -- verify and identify ------------------------------------------------------------------

async function whatTheModelSaw(file, result, label) {
  const figures = element("div", { class: "thumbs" });
  const seen = await preview(file);
  if (seen.face) figures.append(await annotated(file, seen.face, `${label}: the face used`));
  figures.append(modelInput(seen, `${label}: the model's input`));
  return figures;
}

async function verify(event) {
  event.preventDefault();
  await busy($("verify-form").querySelector("button"), async () => {
    const probe = $("verify-probe").files[0];
    const againstImage = document.querySelector('input[name="against"]:checked').value === "image";
    const form = new FormData();
    form.append("modality", modality());
    form.append("image", probe);
    const second = $("verify-second").files[0];
    if (againstImage) {
      if (!second) throw new Error("choose the second image");
      form.append("image_b", second);
    } else {
      if (!$("verify-subject").value) throw new Error("enrol a subject first, or verify against a second image");
      form.append("subject_id", $("verify-subject").value);
    }
    const out = $("verify-result");
    out.replaceChildren();
    const result = await api("POST", "/v1/verify", form);
    out.append(
      element("p", { class: `decision ${result.match ? "match" : "no-match"}`, "data-decision": result.match ? "match" : "no-match" },
        result.match ? "Match" : "No match"),
      scoreBar(result.score, result.threshold, result.match),
      facts([
        ["Score", result.score.toFixed(4)],
        ["Threshold", result.threshold.toFixed(4)],
        ...operatingPoint(result.decision_rule),
        ["Evidence (log10 LR)", result.log10_likelihood_ratio],
        ["Against", result.subject ? `${result.subject.external_id || result.subject.id} (${result.references_compared} reference${result.references_compared === 1 ? "" : "s"})` : "the second image"],
        ["Model", `${result.model.name}:${result.model.version}`],
      ]),
      await whatTheModelSaw(probe, result, "probe"));
    if (againstImage) out.append(await whatTheModelSaw(second, result, "second image"));
  });
}

async function identify(event) {
  event.preventDefault();
  await busy($("identify-form").querySelector("button"), async () => {
    const probe = $("identify-probe").files[0];
    const form = new FormData();
    form.append("modality", modality());
    form.append("image", probe);
    form.append("top_k", "5");
    const out = $("identify-result");
    out.replaceChildren();
    const result = await api("POST", "/v1/identify", form);
    const heading = result.unknown
      ? element("p", { class: "decision no-match", "data-decision": "unknown" }, "Unknown: nobody passes the threshold")
      : element("p", { class: "decision match", "data-decision": "identified" },
          `Best: ${result.candidates[0].subject.external_id || result.candidates[0].subject.id}`);
    const rows = element("tbody");
    for (const candidate of result.candidates) {
      rows.append(element("tr", {},
        element("td", {}, candidate.subject.external_id || candidate.subject.id),
        element("td", {}, candidate.score.toFixed(4)),
        element("td", {}, scoreBar(candidate.score, result.threshold, true))));
    }
    out.append(heading,
      result.candidates.length
        ? element("table", {}, element("thead", {}, element("tr", {}, element("th", {}, "Subject"),
            element("th", {}, "Score"), element("th", {}, "Against the threshold"))), rows)
        : "",
      facts([["Threshold", result.threshold.toFixed(4)], ...operatingPoint(result.decision_rule),
             ["References searched", result.references_searched],
             ["Model", `${result.model.name}:${result.model.version}`]]),
      await whatTheModelSaw(probe, result, "probe"));
  });
}

// -- subjects -----------------------------------------------------------------------------

async function loadSubjects() {
  try {
    const page = await api("GET", "/v1/subjects?limit=200");
    const list = $("subjects-list");
    const select = $("verify-subject");
    const chosen = select.value;
    list.replaceChildren();
    select.replaceChildren();
    if (!page.items.length) list.append(element("li", {}, "Nobody is enrolled yet."));
    for (const subject of page.items) {
      const label = subject.external_id || subject.id;
      select.append(element("option", { value: subject.id }, label));
      const remove = element("button", { type: "button", class: "secondary", "aria-label": `Delete ${label}` }, "Delete");
      remove.addEventListener("click", () => busy(remove, async () => {
        if (!window.confirm(`Delete ${label} and every reference of theirs?`)) return;
        await api("DELETE", `/v1/subjects/${subject.id}`);
        await loadSubjects();
      }));
      list.append(element("li", { "data-subject": label }, element("span", {}, label), remove));
    }
    if (chosen) select.value = chosen;
  } catch (error) {
    showProblem(error);
  }
}

// -- start --------------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", async () => {
  setUpTabs();
  setUpDrop("enrol-images", "enrol-chosen");
  setUpDrop("verify-probe", "verify-probe-chosen");
  setUpDrop("verify-second", "verify-second-chosen");
  setUpDrop("identify-probe", "identify-probe-chosen");
  for (const radio of document.querySelectorAll('input[name="against"]')) {
    radio.addEventListener("change", () => {
      const image = radio.value === "image" && radio.checked;
      if (!radio.checked) return;
      $("verify-second-row").hidden = !image;
      $("verify-subject-row").hidden = image;
    });
  }
  $("connection").addEventListener("submit", (event) => event.preventDefault());
  $("enrol-form").addEventListener("submit", enrol);
  $("verify-form").addEventListener("submit", verify);
  $("identify-form").addEventListener("submit", identify);
  $("subjects-refresh").addEventListener("click", loadSubjects);
  $("api-key").addEventListener("change", () => {
    sessionStorage.setItem("twinverify-key", $("api-key").value.trim());
    loadModels();
    loadSubjects();
  });
  await loadKey();
  await loadModels();
  document.body.dataset.ready = "true";
});
