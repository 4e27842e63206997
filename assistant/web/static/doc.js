// Document pages: /doc lists the documents; /doc/{id}?start=&end= shows one with the cited span marked.
// Text goes into the page through textContent and text nodes only.
"use strict";

let kindLabels = {}; // kind -> label, from GET /kinds (assistant/types.py DocumentKind)

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

async function getJSON(url) {
  let response;
  try {
    response = await fetch(url, { headers: { Accept: "application/json" } });
  } catch (_) {
    throw new Error("Không kết nối được máy chủ. Kiểm tra mạng rồi thử lại.");
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    throw new Error(data && data.error ? data.error.message : `Máy chủ trả lỗi ${response.status}.`);
  }
  return data;
}

function showError(message) {
  const status = document.getElementById("status");
  status.textContent = message;
  status.className = "status error";
  status.setAttribute("role", "alert");
}

function metaLine(doc) {
  const parts = [];
  if (doc.number) parts.push(`Số hiệu ${doc.number}`);
  if (doc.issuer) parts.push(doc.issuer);
  if (doc.province) parts.push(doc.province);
  if (doc.date) parts.push(`ngày ${doc.date.split("-").reverse().join("/")}`);
  else if (doc.year) parts.push(`năm ${doc.year}`);
  parts.push(kindLabels[doc.kind] || doc.kind);
  return parts.join(" · ");
}

// ------------------------------------------------------------------- the list
async function showList(main) {
  const data = await getJSON("/documents");
  document.title = "Tài liệu — Trợ lý Khuyến công";
  main.replaceChildren(el("h1", null, "Tài liệu đã lập chỉ mục"));
  const list = el("ul", "doc-list");
  for (const doc of data.documents) {
    const item = el("li");
    const link = el("a", null, doc.title);
    link.href = `/doc/${encodeURIComponent(doc.id)}`;
    item.append(link, el("p", "meta", metaLine(doc)));
    list.append(item);
  }
  main.append(list);
}

// --------------------------------------------------------------- one document
function citedSpan(params, length) {
  const start = Number.parseInt(params.get("start"), 10);
  const end = Number.parseInt(params.get("end"), 10);
  if (!Number.isFinite(start) || !Number.isFinite(end) || start < 0 || end <= start || end > length) return null;
  return { start, end };
}

// Text [a, b) into `target`, with the part inside `span` wrapped in <mark>.
function appendRange(target, text, a, b, span) {
  if (!span || span.end <= a || span.start >= b) {
    target.append(text.slice(a, b));
    return;
  }
  const s = Math.max(a, span.start);
  const e = Math.min(b, span.end);
  target.append(text.slice(a, s));
  const mark = el("mark", "cited", text.slice(s, e));
  target.append(mark);
  target.append(text.slice(e, b));
}

// Pieces covering the whole text: each chunk with its locator, and any text between chunks.
function pieces(text, chunks) {
  const result = [];
  let pos = 0;
  for (const chunk of [...chunks].sort((x, y) => x.start - y.start)) {
    if (chunk.start > pos) result.push({ start: pos, end: chunk.start, locator: "" });
    if (chunk.end > pos) result.push({ start: Math.max(pos, chunk.start), end: chunk.end, locator: chunk.locator });
    pos = Math.max(pos, chunk.end);
  }
  if (pos < text.length) result.push({ start: pos, end: text.length, locator: "" });
  return result.filter((piece) => text.slice(piece.start, piece.end).trim());
}

function renderText(text, chunks, span) {
  const body = el("div", "doc-text");
  for (const piece of pieces(text, chunks)) {
    const section = el("section", "chunk");
    if (piece.locator) section.append(el("p", "locator", piece.locator));
    const paragraph = el("p", "chunk-text");
    appendRange(paragraph, text, piece.start, piece.end, span);
    section.append(paragraph);
    body.append(section);
  }
  return body;
}

async function showDocument(main, docId) {
  const doc = await getJSON(`/documents/${encodeURIComponent(docId)}`);
  const span = citedSpan(new URLSearchParams(window.location.search), doc.text.length);
  document.title = `${doc.title} — Trợ lý Khuyến công`;
  main.replaceChildren(el("h1", null, doc.title), el("p", "meta", metaLine(doc)));
  if (doc.source) main.append(el("p", "meta source", `Nguồn: ${doc.source}`));
  if (span) {
    const note = el("p", "cited-note", "Đoạn được trích dẫn được tô màu vàng. ");
    const jump = el("button", "link-button", "Đến đoạn trích");
    jump.type = "button";
    note.append(jump);
    main.append(note);
    jump.addEventListener("click", () => scrollToCited());
  }
  main.append(renderText(doc.text, doc.chunks, span));
  if (span) scrollToCited();
}

function scrollToCited() {
  const mark = document.querySelector("mark.cited");
  if (mark) mark.scrollIntoView({ block: "center" });
}

document.addEventListener("DOMContentLoaded", async () => {
  const main = document.getElementById("content");
  const match = /^\/doc\/(.+)$/.exec(window.location.pathname);
  try {
    const { kinds } = await getJSON("/kinds");
    kindLabels = Object.fromEntries(kinds.map((kind) => [kind.value, kind.label]));
    if (match) await showDocument(main, decodeURIComponent(match[1]));
    else await showList(main);
  } catch (error) {
    showError(error.message);
  }
});
