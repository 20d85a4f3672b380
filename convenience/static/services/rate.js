// 好差评 rating link: posts the level, stage and phone to the public API.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("rate");
  const out = document.getElementById("result");
  const channel = new URLSearchParams(location.search).get("via") === "sms" ? "sms" : "qr";
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    const body = {number: form.dataset.number, stage: data.stage, level: Number(data.level),
                  comment: data.comment || "", phone: data.phone, channel};
    const response = await fetch("/api/v1/convenience/public/ratings", {
      method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
    out.textContent = response.ok ? "感谢您的评价！" :
      response.status === 409 ? "该环节尚未办理到，暂不能评价" : "提交失败：请核对手机号";
    out.className = response.ok ? "" : "error";
    if (response.ok) form.hidden = true;
  });
});
