/* What the enforcement officer's field tools share (cases.js, spot.js, team.js): his
 * 执法证 shown as a card (number, issuer, expiry, from his memberships: GET
 * /api/v1/field/tools), amounts in 元 read and written as whole fen (never floats), and
 * the platform's problem codes in words — the simple procedure's ceiling named with its
 * amount and citation, as the server's 422 gives them.
 */
import * as i18n from "../../i18n.js";
import {element} from "../../session.js";

const t = i18n.t;
i18n.add({
  "enf.credential": {zh: "执法证", en: "Enforcement credential"},
  "enf.credentialNumber": {zh: "证号", en: "Number"},
  "enf.credentialIssuer": {zh: "发证机关", en: "Issued by"},
  "enf.credentialExpires": {zh: "有效期至", en: "Valid until"},
  "enf.credentialValid": {zh: "有效", en: "valid"},
  "enf.credentialExpired": {zh: "已过期，不能执法", en: "expired: cannot act"},
  "enf.noCredential": {zh: "没有执法证", en: "No enforcement credential"},
  "enf.citizen": {zh: "公民", en: "a citizen"},
  "enf.organisation": {zh: "法人或者其他组织", en: "an organisation"},
  "enf.limitExceeded": {
    zh: "超出当场处罚限额：对{party}罚款不得超过 {limit} 元（{citation}），{fine} 元须适用普通程序",
    en: "Above the on-the-spot limit: a fine on {party} is at most ¥{limit} ({citation}); ¥{fine} needs the ordinary procedure"},
  "problem.code.signature_required": {zh: "请当事人签名，或注明拒绝签名的情况",
                                      en: "The party signs, or note the refusal"},
  "problem.code.one_party_required": {zh: "当场处罚须有且只有一名当事人",
                                      en: "On the spot: exactly one party"},
  "problem.code.fine_mismatch": {zh: "选择罚款时须填写罚款金额", en: "A fine needs its amount"},
  "problem.code.penalty_required": {zh: "请选择处罚种类", en: "Choose the penalty"},
  "problem.code.not_a_member": {zh: "您不在该执法单位任职", en: "You hold no position in that unit"},
  "problem.code.area_outside_unit": {zh: "该地点不在本单位管辖范围内",
                                     en: "That place is outside the unit's territory"},
  "problem.code.party_id_invalid": {zh: "身份证号码无效", en: "The ID number is not valid"},
  "problem.code.party_uscc_invalid": {zh: "统一社会信用代码无效", en: "The credit code is not valid"},
  "problem.code.party_phone_invalid": {zh: "电话号码无效", en: "The phone number is not valid"},
  "problem.code.case_final": {zh: "案件已办结，不能再添加证据", en: "The case is closed"},
  "problem.code.not_your_case": {zh: "只有承办单位的执法人员可以添加证据",
                                 en: "Only the case unit's officers add evidence"},
});

// "200", "200.5", "200.50" 元 → 20000, 20050 fen; null when not an amount.
function fenOf(text) {
  const match = /^\s*(\d{1,10})(?:\.(\d{1,2}))?\s*$/.exec(text || "");
  if (!match) return null;
  return Number(match[1]) * 100 + Number((match[2] || "").padEnd(2, "0"));
}

function yuan(fen) {
  const whole = Math.trunc(fen / 100);
  const cents = fen % 100;
  return cents ? `${whole}.${String(cents).padStart(2, "0")}` : String(whole);
}

// The officer's memberships in enforcement units (the tools answer's).
function enforcementMemberships(memberships) {
  return memberships.filter((m) => m.platform === "enforcement");
}

function credentialCard(membership) {
  const card = document.createElement("div");
  card.className = "field-credential";
  const credential = membership.credential;
  card.dataset.valid = String(Boolean(credential && credential.valid));
  card.append(element("strong", `${t("enf.credential")} · ${membership.unit_name}`));
  if (!credential) {
    card.append(element("p", t("enf.noCredential")));
    return card;
  }
  const list = document.createElement("dl");
  for (const [key, value] of [["enf.credentialNumber", credential.number],
                              ["enf.credentialIssuer", credential.issuer || ""],
                              ["enf.credentialExpires", credential.expires_on || ""]]) {
    list.append(element("dt", t(key)), element("dd", value));
  }
  card.append(list, element("p", t(credential.valid ? "enf.credentialValid"
                                                    : "enf.credentialExpired")));
  return card;
}

// A refusal in words: the ceiling named with its amount and citation (the fine asked is
// the submission's own), else the code's words, else the server's detail.
function problemText(problem, {fineFen = null, fallback = ""} = {}) {
  if (problem && problem.code === "simple_limit_exceeded") {
    const party = problem.limit_key === "simple_citizen_max" ? t("enf.citizen")
      : t("enf.organisation");
    return t("enf.limitExceeded", {party, limit: yuan(problem.limit_fen),
                                   citation: problem.citation || "",
                                   fine: fineFen === null ? "" : yuan(fineFen)});
  }
  return i18n.problem(problem, fallback);
}

export {fenOf, yuan, enforcementMemberships, credentialCard, problemText};
