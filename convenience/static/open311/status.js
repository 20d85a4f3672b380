// 工单查询: number + phone, POSTed (the phone stays out of URLs); the answer carries no names.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const esc = (t) => String(t == null ? "" : t).replace(/[&<>"']/g, (c) => ({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const when = (t) => (t ? new Date(t).toLocaleString("zh-CN") : "—");

  $("query").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("out").classList.add("hidden"); $("failed").classList.add("hidden");
    const body = { number: $("number").value.trim(), phone: $("phone").value.trim() };
    if (!body.number || !body.phone) {
      $("failed").textContent = "请填写工单编号和来电号码。"; $("failed").classList.remove("hidden"); return;
    }
    $("send").disabled = true;
    try {
      const res = await fetch("/api/v1/convenience/public/workorder-status", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      const out = await res.json();
      if (!res.ok) {
        $("failed").textContent = res.status === 404 ? out.detail : "查询失败，请核对后重试。";
        $("failed").classList.remove("hidden"); return;
      }
      $("out").innerHTML = `<dl><dt>工单编号</dt><dd>${esc(out.number)}</dd>` +
        `<dt>状态</dt><dd><strong>${esc(out.state_label)}</strong></dd>` +
        (out.progress ? `<dt>处置进展</dt><dd>${esc(out.progress)}</dd>` : "") +
        `<dt>受理时间</dt><dd>${when(out.created_at)}</dd><dt>派单时间</dt><dd>${when(out.dispatched_at)}</dd>` +
        `<dt>办理时限</dt><dd>${when(out.due_at)}</dd><dt>答复时间</dt><dd>${when(out.replied_at)}</dd>` +
        (out.reply ? `<dt>答复内容</dt><dd>${esc(out.reply)}</dd>` : "") +
        `<dt>办结时间</dt><dd>${when(out.closed_at)}</dd></dl>`;
      $("out").classList.remove("hidden");
    } catch (e) {
      $("failed").textContent = "网络异常，请稍后再试。"; $("failed").classList.remove("hidden");
    } finally { $("send").disabled = false; }
  });
})();
