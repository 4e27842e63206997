// The staff page: every call carries the token as `Authorization: Bearer`, kept in this tab's
// sessionStorage only (no cookie). All text goes in with textContent, never innerHTML.
"use strict";

(() => {
  const API = "/admin/api";
  const TOKEN_KEY = "khuyencong-admin-token";
  const POLL_MS = 700;
  const $ = (id) => document.getElementById(id);
  let maxUploadMb = 20;
  let kindLabels = {}; // kind -> label, from the public GET /kinds (assistant/types.py DocumentKind)
  const CHANNELS = { api: "Trang web / API", telegram: "Telegram", zalo: "Zalo" };

  // ------------------------------------------------------------ calls
  class ApiError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  async function call(path, options = {}) {
    const headers = Object.assign({}, options.headers || {}, { Authorization: "Bearer " + token() });
    let response;
    try {
      response = await fetch(API + path, Object.assign({}, options, { headers }));
    } catch (_) {
      throw new ApiError(0, "Không kết nối được máy chủ. Kiểm tra mạng rồi thử lại.");
    }
    if (response.status === 401) {
      logout("Mã quản trị không đúng hoặc đã đổi. Hãy đăng nhập lại.");
      throw new ApiError(401, "Cần đăng nhập lại.");
    }
    if (!response.ok) {
      let message = "Yêu cầu không thực hiện được (mã " + response.status + ").";
      try { message = (await response.json()).error.message || message; } catch (_) { /* not JSON */ }
      throw new ApiError(response.status, message);
    }
    return options.raw ? response : response.json();
  }

  const token = () => sessionStorage.getItem(TOKEN_KEY) || "";

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  // ------------------------------------------------------------ login
  async function login(event) {
    event.preventDefault();
    const error = $("login-error");
    error.hidden = true;
    sessionStorage.setItem(TOKEN_KEY, $("token").value.trim());
    try {
      await showPanel();
    } catch (failure) {
      if (failure.status !== 401) { error.textContent = failure.message; error.hidden = false; }
    }
  }

  function logout(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    $("panel").hidden = true;
    $("logout").hidden = true;
    $("login").hidden = false;
    $("token").value = "";
    const error = $("login-error");
    error.textContent = message || "";
    error.hidden = !message;
  }

  async function showPanel() {
    await loadStatus();  // a wrong token fails here, and logs out
    $("login").hidden = true;
    $("panel").hidden = false;
    $("logout").hidden = false;
    await loadKindLabels();
    await loadDocuments();
  }

  async function loadKindLabels() {
    try {
      const response = await fetch("/kinds");
      if (response.ok) kindLabels = Object.fromEntries((await response.json()).kinds.map((k) => [k.value, k.label]));
    } catch (_) {
      // the table shows the kinds' names instead
    }
  }

  function showTab(id) {
    for (const tab of document.querySelectorAll(".tab")) tab.classList.toggle("active", tab.dataset.tab === id);
    for (const panel of document.querySelectorAll(".tab-panel")) panel.hidden = panel.id !== id;
    if (id === "feedback-tab") loadFeedback().catch(showError);
    if (id === "unanswered-tab") loadUnanswered().catch(showError);
  }

  function showError(failure) {
    if (failure.status === 401) return;
    const job = $("job");
    job.hidden = false;
    job.className = "job failed";
    $("job-stage").textContent = "Có lỗi";
    $("job-message").textContent = failure.message;
  }

  // ------------------------------------------------------- documents
  async function loadStatus() {
    const status = await call("/status");
    maxUploadMb = status.max_upload_mb || maxUploadMb;
    const line = $("index-status");
    if (!status.index_loaded) {
      line.textContent = "Chưa có chỉ mục: " + (status.message || "") ;
      return status;
    }
    const vectors = status.vectors_expected
      ? "vectơ ngữ nghĩa " + status.vectors + "/" + status.vectors_expected + (status.vectors >= status.vectors_expected ? " (đủ)" : " (đang điền)")
      : "không dùng vectơ (chỉ từ khóa)";
    line.textContent = "Tìm theo từ khóa: sẵn sàng · " + status.documents + " tài liệu, " + status.chunks + " đoạn · " + vectors;
    return status;
  }

  async function loadDocuments() {
    const { documents } = await call("/documents");
    const body = $("documents").querySelector("tbody");
    body.replaceChildren();
    for (const doc of documents) {
      const row = el("tr");
      row.dataset.id = doc.id;
      row.append(el("td", doc.id), el("td", doc.title), el("td", (kindLabels[doc.kind] || doc.kind) + (doc.number ? " · " + doc.number : "")),
        el("td", doc.date || doc.year || ""), el("td", doc.indexed ? "đang dùng để trả lời" : "chưa lập chỉ mục"));
      const cell = el("td");
      const remove = el("button", "Xóa", "danger remove");
      remove.type = "button";
      remove.addEventListener("click", () => removeDocument(doc));
      cell.append(remove);
      row.append(cell);
      body.append(row);
    }
  }

  async function upload(event) {
    event.preventDefault();
    const file = $("upload-file").files[0];
    if (!file) return;
    if (file.size > maxUploadMb * 1024 * 1024) {
      showError({ message: "Tệp quá lớn (tối đa " + maxUploadMb + " MB)." });
      return;
    }
    await runJob("Đang tải lên " + file.name, () => call("/documents/upload?filename=" + encodeURIComponent(file.name), {
      method: "POST", body: file, headers: { "Content-Type": "application/octet-stream" },
    }));
    $("upload-form").reset();
  }

  async function addUrl(event) {
    event.preventDefault();
    const url = $("upload-url").value.trim();
    await runJob("Đang tải văn bản từ " + url, () => call("/documents/url", {
      method: "POST", body: JSON.stringify({ url }), headers: { "Content-Type": "application/json" },
    }));
    $("url-form").reset();
  }

  async function removeDocument(doc) {
    if (!window.confirm("Xóa “" + doc.title + "” khỏi corpus và chỉ mục?")) return;
    await runJob("Đang xóa " + doc.id, () => call("/documents/" + encodeURIComponent(doc.id), { method: "DELETE" }));
  }

  async function runJob(first, start) {
    const buttons = document.querySelectorAll("#upload-form button, #url-form button, button.remove");
    buttons.forEach((b) => { b.disabled = true; });
    const job = $("job");
    job.hidden = false;
    job.className = "job";
    $("job-stage").textContent = first;
    $("job-message").textContent = "";
    $("job-result").replaceChildren();
    $("job-progress").hidden = true;
    try {
      const { job: id } = await start();
      let state;
      do {
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        state = await call("/jobs/" + id);
        showJob(state);
      } while (state.state === "queued" || state.state === "running");
      if (state.state === "done" && state.result && state.result.confirm) {
        offerConfirmation(id);
        return;
      }
      await loadStatus();
      await loadDocuments();
    } catch (failure) {
      showError(failure);
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  }

  function showJob(state) {
    const job = $("job");
    const bar = $("job-progress");
    job.className = "job " + state.state;
    bar.hidden = !(state.state === "running" && state.total > 0);
    bar.max = state.total || 1;
    bar.value = state.done || 0;
    $("job-stage").textContent = state.total > 0 && state.state === "running"
      ? state.stage + " (" + state.done + "/" + state.total + ")" : state.stage;
    $("job-message").textContent = state.message || "";
    const result = $("job-result");
    result.replaceChildren();
    if (state.state !== "done" || !state.result) return;
    if (state.result.removed) {
      $("job-stage").textContent = "Đã xóa " + state.result.removed.id + ": " + state.result.removed.title;
      return;
    }
    for (const doc of state.result.documents || []) {
      const said = state.result.confirm ? "Trợ lý nhận ra: " : doc.searchable ? "Đã sẵn sàng để hỏi: " : "Đã thêm: ";
      result.append(el("p", said + doc.title, state.result.confirm ? "recognised" : "ready"));
      const facts = el("dl", null, "facts");
      facts.append(el("dt", "mã"), el("dd", doc.id));
      for (const fact of doc.facts) facts.append(el("dt", fact.label), el("dd", fact.value));
      result.append(facts);
      for (const warning of doc.warnings) result.append(el("p", "Cảnh báo: " + warning, "hint"));
      if (state.result.confirm) continue;
      const ask = el("a", "Mở trang hỏi đáp để thử");
      ask.href = "/";
      result.append(ask);
    }
  }

  function offerConfirmation(id) {
    const row = el("p", null, "confirm-row");
    const add = el("button", "Thêm vào corpus");
    add.type = "button";
    add.id = "confirm-add";
    const cancel = el("button", "Hủy", "secondary");
    cancel.type = "button";
    cancel.id = "cancel-add";
    add.addEventListener("click", () => runJob("Đang thêm vào corpus", () => call("/jobs/" + id + "/confirm", { method: "POST" })));
    cancel.addEventListener("click", async () => {
      try {
        const done = await call("/jobs/" + id + "/cancel", { method: "POST" });
        showJob(await call("/jobs/" + done.job));
      } catch (failure) { showError(failure); }
    });
    row.append(add, document.createTextNode(" "), cancel);
    $("job-result").append(row);
  }

  // --------------------------------------------------------- feedback
  function feedbackQuery() {
    const params = new URLSearchParams();
    for (const [name, id] of [["since", "fb-since"], ["until", "fb-until"], ["channel", "fb-channel"], ["q", "fb-text"]]) {
      const value = $(id).value.trim();
      if (value) params.set(name, value);
    }
    return params.toString();
  }


  async function loadFeedback(event) {
    if (event) event.preventDefault();
    const { count, items } = await call("/feedback?" + feedbackQuery());
    $("feedback-count").textContent = count ? count + " góp ý chưa hữu ích" : "Không có góp ý chưa hữu ích nào trong khoảng này.";
    const body = $("feedback-rows").querySelector("tbody");
    body.replaceChildren();
    for (const item of items) {
      const row = el("tr");
      row.append(el("td", item.date), el("td", CHANNELS[item.channel] || item.channel), el("td", item.question),
        el("td", item.answer, "answer-cell"), el("td", item.comment || "—"));
      body.append(row);
    }
  }

  async function downloadCsv() {
    try {
      const response = await call("/feedback.csv?" + feedbackQuery(), { raw: true });
      const link = el("a");
      link.href = URL.createObjectURL(await response.blob());
      link.download = "gop-y-chua-huu-ich.csv";
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 1000);
    } catch (failure) {
      showError(failure);
    }
  }

  // ------------------------------------------------------- unanswered
  async function loadUnanswered() {
    const params = new URLSearchParams();
    if ($("show-handled").checked) params.set("include_handled", "true");
    if ($("un-since").value) params.set("since", $("un-since").value);
    const { count, groups } = await call("/unanswered?" + params.toString());
    $("unanswered-count").textContent = count ? count + " nhóm câu hỏi" : "Không có câu hỏi nào chưa trả lời được.";
    const list = $("unanswered");
    list.replaceChildren();
    for (const group of groups) {
      const item = el("li", null, "group" + (group.handled ? " handled" : ""));
      const title = el("p", null, "group-question");
      title.append(el("span", group.count + "×", "group-count"), document.createTextNode(group.question));
      item.append(title);
      if (group.variants.length > 1) item.append(el("p", "Cách hỏi khác: " + group.variants.slice(1, 6).join(" · "), "group-variants"));
      const meta = "Lần cuối " + group.last_date + " · lần đầu " + group.first_date + " · " +
        group.channels.map((c) => CHANNELS[c] || c).join(", ") + (group.handled_date ? " · đã xử lý " + group.handled_date : "");
      item.append(el("p", meta, "group-meta"));
      const mark = el("button", group.handled ? "Mở lại" : "Đánh dấu đã xử lý", "secondary mark-handled");
      mark.type = "button";
      mark.addEventListener("click", async () => {
        try {
          await call("/unanswered/handled", {
            method: "POST", headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ key: group.key, handled: !group.handled }),
          });
          await loadUnanswered();
        } catch (failure) { showError(failure); }
      });
      item.append(mark);
      list.append(item);
    }
  }

  // ------------------------------------------------------------- start
  document.addEventListener("DOMContentLoaded", () => {
    const weekAgo = new Date(Date.now() - 7 * 86400000);
    $("fb-since").value = weekAgo.toISOString().slice(0, 10);
    $("un-since").value = weekAgo.toISOString().slice(0, 10);  // the week's, as the feedback
    $("login-form").addEventListener("submit", login);
    $("logout").addEventListener("click", () => logout(""));
    $("upload-form").addEventListener("submit", upload);
    $("url-form").addEventListener("submit", addUrl);
    $("feedback-filters").addEventListener("submit", (event) => loadFeedback(event).catch(showError));
    $("fb-csv").addEventListener("click", downloadCsv);
    $("show-handled").addEventListener("change", () => loadUnanswered().catch(showError));
    $("un-since").addEventListener("change", () => loadUnanswered().catch(showError));
    for (const tab of document.querySelectorAll(".tab")) tab.addEventListener("click", () => showTab(tab.dataset.tab));
    if (token()) showPanel().catch(() => logout(""));
  });
})();
