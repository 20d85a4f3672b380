/* A failed position fix in words: the browser's GeolocationPositionError code (1 no
 * permission, 2 no signal, 3 too slow) as a Chinese sentence, not "无法定位：2". */
import * as i18n from "../i18n.js";
import {t} from "../i18n.js";

i18n.add({
  "gps.1": {zh: "未允许定位，请在浏览器设置中允许本应用使用位置",
            en: "Location not allowed: allow it in the browser's settings"},
  "gps.2": {zh: "暂时无法获得定位信号，请到开阔处再试", en: "No position signal: try in the open"},
  "gps.3": {zh: "定位超时，请稍后再试", en: "Locating took too long: try again"},
  "gps.other": {zh: "定位失败", en: "Locating failed"},
});

function gpsReason(error) {
  const key = `gps.${error && error.code}`;
  return t(key) === key ? t("gps.other") : t(key);
}

export {gpsReason};
