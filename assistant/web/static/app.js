// Chat page: asks POST /ask, shows numbered citations, sends 👍/👎 to POST /feedback.
// Every text from the server or the user goes into the page through textContent, never innerHTML.
"use strict";

const CONVERSATION_KEY = "khuyencong-conversation";
const NETWORK_ERROR = "Không kết nối được máy chủ. Kiểm tra mạng rồi thử lại.";
const KEPT_NOTE = "Câu hỏi vẫn ở ô nhập để gửi lại.";
const EXPIRED_NOTE = "Cuộc trò chuyện trước đã hết hạn (30 phút không hỏi), nên câu hỏi này được hỏi như một câu hỏi mới.";
const MAX_COMMENT_CHARS = 2000; // assistant/feedback.py MAX_COMMENT_CHARS

const $ = (id) => document.getElementById(id);

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

async function postJSON(url, body) {
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    });
  } catch (_) {
    throw new Error(NETWORK_ERROR);
  }
  let data = null;
  try {
    data = await response.json();
  } catch (_) {
    data = null;
  }
  if (!response.ok) {
    const message = data && data.error ? data.error.message : `Máy chủ trả lỗi ${response.status}.`;
    const error = new Error(message);
    error.code = data && data.error ? data.error.code : "";
    throw error;
  }
  return data;
}

// ------------------------------------------------------------- length limits
// Text is never cut: a paste longer than the limit stays whole, and the counter says by how much.
// Characters are counted as the server counts them (code points of the NFC text, trimmed).
function charCount(text) {
  return [...text.normalize("NFC").trim()].length;
}

// Show "n/limit" near the limit and a warning past it; returns a check: true when `box` is within it.
function watchLength(box, counter, limit) {
  const check = () => {
    const used = charCount(box.value);
    const over = used > limit;
    counter.hidden = used < limit * 0.8;
    counter.classList.toggle("over", over);
    box.setAttribute("aria-invalid", String(over));
    counter.textContent = over
      ? `Dài ${used} ký tự, quá giới hạn ${limit} ký tự: hãy rút gọn rồi gửi.`
      : `${used}/${limit} ký tự`;
    return !over;
  };
  box.addEventListener("input", check);
  check();
  return check;
}

// ------------------------------------------------------------------ messages
function scrollToEnd() {
  window.scrollTo({ top: document.body.scrollHeight });
}

function addUserMessage(question) {
  const item = el("li", "message user");
  item.append(el("p", "bubble", question));
  $("messages").append(item);
  return item;
}

function addPending() {
  const item = el("li", "message assistant pending");
  item.append(el("p", "bubble", "Đang tìm trong tài liệu…"));
  $("messages").append(item);
  scrollToEnd();
  return item;
}

function addError(message) {
  const item = el("li", "message assistant error");
  item.setAttribute("role", "alert");
  item.append(el("p", "bubble", message));
  $("messages").append(item);
}

// Answer text with its [n] markers turned into buttons that open citation n.
function answerText(text, citationList) {
  const paragraph = el("p", "answer-text");
  const parts = text.split(/(\[\d+\])/);
  for (const part of parts) {
    const match = /^\[(\d+)\]$/.exec(part);
    const target = match ? citationList.children[Number(match[1]) - 1] : null;
    if (!target) {
      paragraph.append(part);
      continue;
    }
    const button = el("button", "marker", part);
    button.type = "button";
    button.setAttribute("aria-label", `Xem nguồn ${match[1]}`);
    button.addEventListener("click", () => {
      const details = target.querySelector("details");
      details.open = true;
      details.scrollIntoView({ block: "center" });
    });
    paragraph.append(button);
  }
  return paragraph;
}

function citationItem(citation, number) {
  const item = el("li", "citation");
  const details = el("details");
  const summary = el("summary");
  summary.append(el("span", "citation-number", `[${number}]`), " ");
  summary.append(el("span", "citation-title", citation.title));
  summary.append(el("span", "citation-locator", ` — ${citation.locator}`));
  const quote = el("blockquote", "quote", citation.quote);
  const link = el("a", "open-doc", "Xem đoạn này trong văn bản gốc");
  link.href = citation.url;
  link.target = "_blank";
  link.rel = "noopener";
  details.append(summary, quote, link);
  item.append(details);
  return item;
}

// `asked`: the question as typed; `note`: a line above the answer (the conversation had expired).
function addAnswer(data, asked, note) {
  const item = el("li", data.found ? "message assistant" : "message assistant not-found");
  item.dataset.answerId = data.answer_id;
  const bubble = el("div", "bubble");
  if (note) bubble.append(el("p", "conversation-note", note));
  if (data.resolved_question) {
    bubble.append(resolvedLine(data.resolved_question, asked));
  }
  const citationList = el("ol", "citations");
  data.citations.forEach((citation, index) => citationList.append(citationItem(citation, index + 1)));
  bubble.append(answerText(data.answer, citationList));
  if (data.citations.length) {
    bubble.append(el("h3", "sources-title", "Nguồn"), citationList);
  }
  bubble.append(feedbackBox(data.answer_id));
  item.append(bubble);
  $("messages").append(item);
  return item;
}

// A follow-up the server rewrote, with a way to ask it on its own when it was not one.
function resolvedLine(resolved, asked) {
  const line = el("p", "resolved", `Câu hỏi được hiểu là: “${resolved}”`);
  const alone = el("button", "ask-alone", "Không phải hỏi tiếp? Hỏi như câu hỏi mới");
  alone.type = "button";
  alone.addEventListener("click", () => {
    alone.disabled = true;
    ask(asked, { alone: true });
  });
  line.append(" ", alone);
  return line;
}

// ------------------------------------------------------------------ feedback
function feedbackBox(answerId) {
  const box = el("div", "feedback");
  const question = el("p", "feedback-question", "Câu trả lời có hữu ích không?");
  const up = voteButton("up", "👍", "Hữu ích");
  const down = voteButton("down", "👎", "Chưa hữu ích");
  const status = el("span", "feedback-status");
  status.setAttribute("role", "status");
  up.addEventListener("click", () => sendFeedback(box, answerId, true, null, up));
  down.addEventListener("click", () => showCommentForm(box, answerId, down));
  box.append(question, up, down, status);
  return box;
}

function voteButton(direction, emoji, label) {
  const button = el("button", `vote ${direction}`);
  button.type = "button";
  button.append(el("span", "emoji", emoji), " ", el("span", "vote-label", label));
  return button;
}

async function sendFeedback(box, answerId, helpful, comment, button) {
  const status = box.querySelector(".feedback-status");
  for (const vote of box.querySelectorAll(".vote")) vote.disabled = true;
  try {
    await postJSON("/feedback", { answer_id: answerId, helpful, comment });
    button.setAttribute("aria-pressed", "true");
    const form = box.querySelector(".comment-form");
    if (form) form.remove();
    status.textContent = "Cảm ơn bạn đã góp ý!";
    box.classList.add("sent");
  } catch (error) {
    status.textContent = error.message;
    for (const vote of box.querySelectorAll(".vote")) vote.disabled = false;
  }
}

function showCommentForm(box, answerId, button) {
  if (box.querySelector(".comment-form")) return;
  const form = el("form", "comment-form");
  const label = el("label", null, "Câu trả lời chưa đúng hay còn thiếu gì? (không bắt buộc)");
  const input = el("textarea");
  input.rows = 2;
  label.append(input);
  const counter = el("p", "char-count");
  counter.setAttribute("aria-live", "polite");
  const withinLimit = watchLength(input, counter, MAX_COMMENT_CHARS);
  const submit = el("button", "send-comment", "Gửi góp ý");
  submit.type = "submit";
  form.append(label, counter, submit);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!withinLimit()) {
      input.focus();
      return;
    }
    sendFeedback(box, answerId, false, input.value.trim() || null, button);
  });
  box.append(form);
  input.focus();
}

// ------------------------------------------------------------------- asking
function currentFilters() {
  const filters = {};
  const province = $("filter-province").value;
  const kind = $("filter-kind").value;
  const year = $("filter-year").value;
  if (province) filters.province = province;
  if (kind) filters.kind = kind;
  if (year) filters.year = Number(year);
  return Object.keys(filters).length ? filters : null;
}

// A question goes as a follow-up of this page's conversation, if it has one, unless `alone`:
// the server decides whether it is one (and says how it read it). A conversation the server no
// longer knows (expired) is dropped, and the question asked again on its own, with a note.
async function ask(question, { alone = false } = {}) {
  const text = question.trim();
  if (!text) return;
  $("welcome").hidden = true;
  addUserMessage(text);
  const pending = addPending();
  $("send").disabled = true;
  try {
    let note = "";
    let data;
    try {
      data = await postJSON("/ask", askBody(text, alone ? null : sessionStorage.getItem(CONVERSATION_KEY)));
    } catch (error) {
      if (error.code !== "conversation_unknown") throw error;
      note = EXPIRED_NOTE;
      data = await postJSON("/ask", askBody(text, null));
    }
    sessionStorage.setItem(CONVERSATION_KEY, data.conversation_id);
    pending.remove();
    // Show the beginning of the answer (its question just above), not its last line.
    addAnswer(data, text, note).previousElementSibling.scrollIntoView({ block: "start" });
  } catch (error) {
    pending.remove();
    addError(keepQuestion(question) ? `${error.message} ${KEPT_NOTE}` : error.message);
    scrollToEnd();
  } finally {
    $("send").disabled = false;
  }
}

function askBody(question, conversationId) {
  const body = { question };
  if (conversationId) body.conversation_id = conversationId;
  const filters = currentFilters();
  if (filters) body.filters = filters;
  return body;
}

// After a failure the question goes back into the box (unless something new was typed there meanwhile).
function keepQuestion(question) {
  const box = $("question");
  if (box.value.trim()) return false;
  box.value = question;
  box.dispatchEvent(new Event("input"));
  return true;
}

function newConversation() {
  sessionStorage.removeItem(CONVERSATION_KEY);
  $("messages").replaceChildren();
  $("welcome").hidden = false;
  $("question").focus();
}

// ------------------------------------------------------------------- filters
// The kinds come from GET /kinds (assistant/types.py DocumentKind), provinces and years from the documents.
async function loadFilterChoices() {
  try {
    const response = await fetch("/kinds");
    if (response.ok) {
      for (const kind of (await response.json()).kinds) $("filter-kind").append(new Option(kind.label, kind.value));
    }
  } catch (_) {
    // no kind choices: the filter keeps "Tất cả"
  }
  let documents = [];
  try {
    const response = await fetch("/documents");
    if (!response.ok) return;
    documents = (await response.json()).documents;
  } catch (_) {
    return;
  }
  const provinces = [...new Set(documents.map((d) => d.province).filter(Boolean))].sort();
  const years = [...new Set(documents.map((d) => d.year).filter(Boolean))].sort();
  for (const province of provinces) $("filter-province").append(new Option(province, province));
  for (const year of years) $("filter-year").append(new Option(String(year), String(year)));
}

function showFilterSummary() {
  const chosen = ["filter-province", "filter-kind", "filter-year"]
    .map((id) => $(id))
    .filter((select) => select.value)
    .map((select) => select.selectedOptions[0].textContent);
  $("filter-summary").textContent = chosen.length ? `(${chosen.join(", ")})` : "";
}

// ---------------------------------------------------------------------- wiring
function growTextarea() {
  const box = $("question");
  box.style.height = "auto";
  box.style.height = `${Math.min(box.scrollHeight, 160)}px`;
  box.style.overflowY = box.scrollHeight > 160 ? "auto" : "hidden";
}

document.addEventListener("DOMContentLoaded", () => {
  const form = $("ask-form");
  const input = $("question");
  const withinLimit = watchLength(input, $("question-count"), Number(input.dataset.maxChars) || 2000);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!withinLimit()) {
      input.focus();
      return;
    }
    const question = input.value;
    input.value = "";
    input.dispatchEvent(new Event("input"));
    ask(question);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  input.addEventListener("input", growTextarea);
  for (const button of document.querySelectorAll(".example")) {
    button.addEventListener("click", () => ask(button.textContent, { alone: true })); // a new topic
  }
  $("new-chat").addEventListener("click", newConversation);
  for (const id of ["filter-province", "filter-kind", "filter-year"]) {
    $(id).addEventListener("change", showFilterSummary);
  }
  loadFilterChoices();
});
