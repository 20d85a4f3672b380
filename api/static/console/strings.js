/* The console's words (/console), Chinese first, English on the switch (i18n.js), and its
 * time formats. The states' and moves' Chinese names are not here: they come from the
 * server's workflow description (workflow.js); only their English names are.
 */
import * as i18n from "../i18n.js";
import {t} from "../i18n.js";

// English names of the incident's states and moves; the Chinese ones are the server's
// (GET /api/v1/workflows/incident, registered by workflow.js when the page logs in).
const STATES_EN = {
  reported: "Awaiting filing", filed: "Filed", dispatched: "Dispatched", handling: "In hand",
  handled: "To verify", verified: "Verified", closed: "Closed", evaluated: "Evaluated",
  returned: "Returned", rework: "In rework", suspended: "Suspended", void: "Void",
  merged: "Merged",
};
const MOVES_EN = {
  file: "File", dispatch: "Dispatch", accept: "Accept", return: "Return",
  handle: "Report handled", verify: "Verify", rework: "Rework", close: "Close",
  evaluate: "Evaluate", suspend: "Suspend", resume: "Resume", void: "Void", merge: "Merge",
};
// Timeline entries that are not moves of the workflow.
const EVENTS = {
  report: ["上报", "Reported"], photos: ["补充照片", "Photos added"],
  merged_in: ["并入重复事件", "Duplicate merged in"],
  "handoff.escalate": ["上报上级", "Escalated"], "handoff.assign": ["下派", "Assigned down"],
  "handoff.refer": ["转办", "Referred"], "handoff.sign": ["签收流转", "Hand-off signed"],
  "handoff.return": ["退回流转", "Hand-off returned"],
  open: ["立卷", "Opened"], "link.merged": ["关联：并单", "Linked: merged"],
  "link.referred": ["关联：转办", "Linked: referred"],
};
const PLAIN = {
  "console.title": ["事件受理台", "Incident console"],
  "nav.console": ["受理台", "Console"], "nav.map": ["地图", "Map"],
  "nav.kpis": ["考核指标", "KPIs"],
  "queue.mine": ["本单位待办", "My unit's queue"], "queue.verify": ["待核查", "To verify"],
  "queue.sign": ["待签收", "To sign"],
  "queue.all": ["辖区全部", "All in my territory"], "queue.refresh": ["刷新", "Refresh"],
  "queue.counts": ["各状态数量", "Count per state"], "queue.loading": ["加载中…", "Loading…"],
  "queue.empty": ["没有符合条件的事件", "No incident matches"],
  "queue.no-read": ["您的角色不能查看事件", "Your role cannot read incidents"],
  "filter.state": ["状态", "State"], "filter.deadline": ["期限", "Deadline"],
  "filter.major": ["大类", "Class"], "filter.minor": ["小类", "Subclass"],
  "filter.area": ["区域", "Area"], "filter.any": ["全部", "All"],
  "filter.q": ["编号/关键词/地址", "No., words or address"],
  "filter.reporter": ["上报人", "Reporter"],
  "filter.since": ["上报日期从", "Reported from"], "filter.until": ["至", "to"],
  "queue.export-xlsx": ["导出Excel", "Export to Excel"],
  "queue.export-csv": ["导出CSV", "Export as CSV"],
  "export.filename": ["事件列表", "incidents"],
  "detail.print": ["打印案卷", "Print the case sheet"],
  "handoffs.kind": ["流转方式", "Kind"], "handoffs.route": ["从 → 至", "From → to"],
  "handoffs.status": ["状态", "Status"], "handoffs.reason": ["理由", "Reason"],
  "handoffs.sent": ["发起", "Sent"], "handoffs.answered": ["答复", "Answered"],
  "detail.map-link": ["在地图上查看", "Show on the map"],
  "filter.my-area": ["全辖区", "My whole territory"],
  "list.id": ["编号", "No."], "list.deadline": ["期限", "Deadline"],
  "list.category": ["类别", "Category"], "list.state": ["状态", "State"],
  "list.place": ["位置", "Place"], "list.due": ["到期", "Due"],
  "pager.prev": ["上一页", "Previous"], "pager.next": ["下一页", "Next"],
  "pager.text": ["第 {from}–{to} 件，共 {total} 件", "{from}–{to} of {total}"],
  "detail.empty": ["从左侧队列选择一件事件", "Pick an incident from the queue"],
  "detail.version": ["版本 {v}", "version {v}"],
  "field.category": ["类别", "Category"], "field.urgency": ["紧急程度", "Urgency"],
  "field.source": ["来源", "Source"], "field.description": ["描述", "Description"],
  "field.address": ["地址", "Address"], "field.reported_at": ["上报时间", "Reported"],
  "field.filed_at": ["立案时间", "Filed"], "field.closed_at": ["结案时间", "Closed"],
  "field.step": ["当前环节", "Current step"], "field.due": ["环节期限", "Step due"],
  "field.left": ["剩余时间", "Time left"], "field.owner": ["责任单位", "Held by"],
  "field.handler": ["处置单位", "Handling unit"], "field.rework": ["返工次数", "Reworks"],
  "field.handler-user": ["承办人 {name}", "handler {name}"],
  "field.escalations": ["上报次数", "Escalations"], "field.rating": ["评价", "Rating"],
  "field.chain": ["所在区域", "Area"], "field.warnings": ["提示", "Warnings"],
  "left.in": ["还剩 {t}（自然时间）", "{t} left (calendar time)"],
  "left.over": ["已超期 {t}（自然时间）", "overdue by {t} (calendar time)"],
  "left.title": ["期限按工作日历计算；剩余时间按自然时间计",
                 "The deadline counts working time (calendar); the time left is calendar time"],
  "left.none": ["无计时", "no clock running"],
  "duration.dh": ["{d}天{h}小时", "{d} d {h} h"], "duration.hm": ["{h}小时{m}分", "{h} h {m} min"],
  "source.grid_worker": ["网格员上报", "grid worker"], "source.patrol": ["巡查", "patrol"],
  "source.hotline": ["12345 热线", "12345 hotline"], "source.citizen_app": ["市民随手拍", "citizen app"],
  "source.inspection": ["执法/监管检查", "inspection"],
  "step.filing": ["立案", "filing"], "step.dispatch": ["派遣", "dispatch"],
  "step.handling": ["处理", "handling"], "step.verification": ["核查", "verification"],
  "section.photos": ["照片", "Photos"],
  "section.duplicates": ["疑似重复", "Possible duplicates"],
  "section.timeline": ["处置过程", "Timeline"], "section.handoffs": ["流转记录", "Hand-offs"],
  "section.actions": ["可办理操作", "What you can do"],
  "section.clocks": ["计时", "Clocks"], "section.links": ["关联事项", "Linked subjects"],
  "clocks.none": ["无计时", "No clock"],
  "clock.name": ["计时", "Clock"], "clock.limit": ["时限", "Limit"],
  "clock.due": ["到期", "Due"], "clock.state": ["状态", "State"],
  "clock.citation": ["依据", "Basis"], "clock.named.step": ["环节时限", "Step limit"],
  "clock.extended": ["已延长 {by}", "extended by {by}"],
  "clock.stopped": ["已停止 {at}", "stopped {at}"],
  "clock.stopped-late": ["超期后停止 {at}", "stopped late {at}"],
  "clock.paused": ["暂停计时", "paused"],
  "limit.h": ["{n} 个工作小时", "{n} working hours"], "limit.d": ["{n} 个工作日", "{n} working days"],
  "limit.cd": ["{n} 个自然日", "{n} natural days"], "limit.mo": ["{n} 个月", "{n} months"],
  "subject.incident": ["事件", "Incident"], "subject.enforcement_case": ["执法案件", "Case"],
  "subject.inspection": ["检查", "Inspection"], "subject.application": ["办件", "Application"],
  "subject.work_order": ["工单", "Work order"],
  "link.merged.to": ["已并入", "Merged into"], "link.merged.from": ["并入本件", "Merged in"],
  "link.referred.to": ["转办生成", "Referred as"],
  "link.referred.from": ["转办自", "Referred from"],
  "photos.none": ["无照片", "No photos"], "photos.failed": ["照片加载失败", "Photo failed to load"],
  "photo.close": ["关闭", "Close"],
  "photo.kind.report": ["上报", "report"], "photo.kind.before": ["处理前", "before"],
  "photo.kind.after": ["处理后", "after"],
  "duplicates.none": ["无", "None"],
  "handoff.status.pending": ["待签收", "awaiting signature"],
  "handoff.status.signed": ["已签收", "signed"], "handoff.status.returned": ["已退回", "returned"],
  "handoff.status.expired": ["超时未签收", "expired"],
  "handoff.pending-mine": ["流转待本单位签收", "A hand-off awaits your unit's signature"],
  "handoff.pending-other": ["流转待 {to} 签收", "A hand-off awaits {to}'s signature"],
};

const table = {};
const put = (prefix, entries) => {
  for (const [key, [zh, en]] of Object.entries(entries)) table[`${prefix}${key}`] = {zh, en};
};
for (const [name, en] of Object.entries(STATES_EN)) table[`state.${name}`] = {en};
for (const [name, en] of Object.entries(MOVES_EN)) table[`action.${name}`] = {en};
put("event.", EVENTS);
put("", PLAIN);
i18n.add(table);

// Times are shown in Asia/Shanghai, whatever the browser's zone (DESIGN.md).
const TIME = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit", hour12: false,
});

function formatTime(iso) {
  return iso ? TIME.format(new Date(iso)).replace(/\//g, "-") : "—";
}

function formatDuration(ms) {
  const minutes = Math.round(Math.abs(ms) / 60000);
  const hours = Math.floor(minutes / 60);
  return hours >= 24 ? t("duration.dh", {d: Math.floor(hours / 24), h: hours % 24})
    : t("duration.hm", {h: hours, m: minutes % 60});
}

const DEADLINES = ["red", "yellow", "green"];

export {DEADLINES, formatTime, formatDuration};
