// 随手拍: services from Open311 (/open311/v2/services.json), the report to the app's own
// endpoint (the same path as an Open311 POST), the progress from /open311/v2/requests/{id}.json.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  let services = {};
  let photo = null;

  function show(el, html) { el.innerHTML = html; el.classList.remove("hidden"); }
  function esc(text) {
    return String(text == null ? "" : text).replace(/[&<>"']/g, (c) => ({
      "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }

  async function loadServices() {
    const res = await fetch("/open311/v2/services.json");
    const list = await res.json();
    const select = $("service");
    select.innerHTML = '<option value="">请选择</option>';
    const groups = {};
    for (const s of list) {
      services[s.service_code] = s;
      (groups[s.group] = groups[s.group] || []).push(s);
    }
    for (const [group, items] of Object.entries(groups)) {
      const og = document.createElement("optgroup");
      og.label = group || "其他";
      for (const s of items) {
        const o = document.createElement("option");
        o.value = s.service_code; o.textContent = s.service_name;
        og.appendChild(o);
      }
      select.appendChild(og);
    }
  }

  async function showNotice() {
    const code = $("service").value;
    $("notice").textContent = "";
    if (!code) return;
    const res = await fetch(`/open311/v2/services/${encodeURIComponent(code)}.json`);
    if (!res.ok) return;
    const def = await res.json();
    const info = (def.attributes || []).filter((a) => !a.variable).map((a) => a.description);
    $("notice").textContent = info.join("；");
  }

  function locate() {
    if (!navigator.geolocation) { $("where").textContent = "此设备不支持定位，请填写地址。"; return; }
    $("where").textContent = "正在定位…";
    navigator.geolocation.getCurrentPosition((pos) => {
      $("lat").value = pos.coords.latitude.toFixed(6);
      $("long").value = pos.coords.longitude.toFixed(6);
      $("where").textContent = `已定位（精度约 ${Math.round(pos.coords.accuracy)} 米）`;
    }, () => { $("where").textContent = "定位失败，请手动填写经纬度或地址。"; },
    { enableHighAccuracy: true, timeout: 15000 });
  }

  // A phone's photo is several MB: sent as a JPEG of at most 1600 px.
  function readPhoto(file) {
    return new Promise((resolve, reject) => {
      const img = new Image();
      img.onload = () => {
        const scale = Math.min(1, 1600 / Math.max(img.width, img.height));
        const canvas = document.createElement("canvas");
        canvas.width = Math.round(img.width * scale); canvas.height = Math.round(img.height * scale);
        canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
        const url = canvas.toDataURL("image/jpeg", 0.85);
        URL.revokeObjectURL(img.src);
        resolve(url);
      };
      img.onerror = reject;
      img.src = URL.createObjectURL(file);
    });
  }

  async function onPhoto() {
    const file = $("photo").files[0];
    photo = null; $("preview").classList.add("hidden");
    if (!file) return;
    const url = await readPhoto(file);
    photo = { content_type: "image/jpeg", data: url.split(",")[1] };
    $("preview").src = url; $("preview").classList.remove("hidden");
  }

  async function send(event) {
    event.preventDefault();
    $("failed").classList.add("hidden");
    const lat = $("lat").value.trim(), long = $("long").value.trim();
    const body = { service_code: $("service").value, description: $("description").value.trim(),
                   address_string: $("address").value.trim() || null,
                   phone: $("phone").value.trim() || null, photos: photo ? [photo] : [] };
    if (lat && long) { body.lat = Number(lat); body.long = Number(long); }
    if (!body.service_code) { show($("failed"), "请选择问题类型。"); return; }
    if (!(lat && long) && !body.address_string) { show($("failed"), "请定位或填写地址。"); return; }
    $("send").disabled = true;
    try {
      const res = await fetch("/api/v1/convenience/public/reports", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      const out = await res.json();
      if (!res.ok) { show($("failed"), esc(out.detail || "提交失败，请稍后再试。")); return; }
      show($("done"), `<strong>提交成功</strong><dl><dt>受理编号</dt><dd>${esc(out.service_request_id)}</dd>` +
        `<dt>状态</dt><dd>${esc(out.status_notes || "已受理")}</dd>` +
        `<dt>说明</dt><dd>${esc(out.service_notice)}</dd></dl><p class="hint">请记下受理编号，用于查询办理进度。</p>`);
      $("lookup").value = out.service_request_id;
      $("report").reset(); photo = null; $("preview").classList.add("hidden");
    } catch (e) {
      show($("failed"), "网络异常，请稍后再试。");
    } finally { $("send").disabled = false; }
  }

  async function check() {
    const id = $("lookup").value.trim();
    if (!/^\d+$/.test(id)) { $("progress").textContent = "请输入受理编号（数字）。"; return; }
    const res = await fetch(`/open311/v2/requests/${id}.json`);
    if (!res.ok) { $("progress").textContent = "没有找到该编号。"; return; }
    const r = (await res.json())[0];
    $("progress").innerHTML = `<dl><dt>状态</dt><dd>${r.status === "closed" ? "已办结" : "办理中"}</dd>` +
      `<dt>进展</dt><dd>${esc(r.status_notes || "已受理")}</dd><dt>类型</dt><dd>${esc(r.service_name)}</dd>` +
      `<dt>更新时间</dt><dd>${esc(new Date(r.updated_datetime).toLocaleString("zh-CN"))}</dd></dl>`;
  }

  $("service").addEventListener("change", showNotice);
  $("locate").addEventListener("click", locate);
  $("photo").addEventListener("change", onPhoto);
  $("report").addEventListener("submit", send);
  $("check").addEventListener("click", check);
  loadServices().catch(() => show($("failed"), "问题类型加载失败，请刷新重试。"));
})();
