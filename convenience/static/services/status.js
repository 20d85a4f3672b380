// 办件进度查询: number and phone go in a POST body to the public API (never in the URL).
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("status");
  const out = document.getElementById("result");
  const text = (value) => document.createTextNode(value == null ? "" : String(value));
  const when = (value) => value ? new Date(value).toLocaleString("zh-CN") : "—";
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = Object.fromEntries(new FormData(form));
    const response = await fetch("/api/v1/convenience/public/status", {
      method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
    out.replaceChildren();
    if (!response.ok) { out.className = "error"; out.append(text("未找到该办件：请核对编号和手机号")); return; }
    const data = await response.json();
    out.className = "";
    const dl = document.createElement("dl");
    for (const [label, value] of [["事项", data.item_name], ["状态", data.state_label],
                                  ["申请人", data.applicant], ["受理地点", data.intake_unit],
                                  ["受理时间", when(data.received_at)], ["承诺办结", when(data.due_at)],
                                  ["办结时间", when(data.finished_at)]]) {
      const dt = document.createElement("dt"); dt.append(text(label));
      const dd = document.createElement("dd"); dd.append(text(value));
      dl.append(dt, dd);
    }
    out.append(dl);
    if (data.deferred && data.deferred.length) {
      const p = document.createElement("p");
      p.append(text(`待补齐容缺材料：${data.deferred.map((m) => m.name).join("、")}，期限 ${when(data.supplement_due_at)}`));
      out.append(p);
    }
    const link = document.createElement("a");
    link.href = `/convenience/rate/${encodeURIComponent(data.number)}`;
    link.className = "button"; link.append(text("评价本次服务"));
    out.append(link);
  });
});
