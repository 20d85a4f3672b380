// 最近的办理地点: ask the phone where it is, then reload with lon/lat (the page is
// rendered on the server; without a location it says so).
document.addEventListener("DOMContentLoaded", () => {
  const hint = document.getElementById("locate");
  const params = new URLSearchParams(location.search);
  if (!hint || !hint.dataset.item || params.has("lon")) return;
  if (!navigator.geolocation) { hint.textContent = "无法获取位置：请允许定位后重试"; return; }
  navigator.geolocation.getCurrentPosition((position) => {
    params.set("lon", position.coords.longitude.toFixed(6));
    params.set("lat", position.coords.latitude.toFixed(6));
    location.search = params.toString();
  }, () => { hint.textContent = "无法获取位置：请允许定位后重试"; }, {timeout: 10000});
});
