/* The console's words (/console), Chinese first, English on the switch (i18n.js).
 *
 * Also the shared namespace of the console's scripts: strings.js, queue.js, detail.js,
 * clocks.js, actions.js and console.js each add their part to window.gridgovConsole.
 */
(function () {
  "use strict";

  const STATES = {
    reported: ["信息收集", "Reported"], filed: ["立案", "Filed"], dispatched: ["派遣", "Dispatched"],
    handling: ["处理", "Handling"], handled: ["反馈", "Handled"], verified: ["核查", "Verified"],
    closed: ["结案", "Closed"], evaluated: ["评价", "Evaluated"], returned: ["退回", "Returned"],
    rework: ["返工", "Rework"], suspended: ["挂账", "Suspended"], void: ["作废", "Void"],
    merged: ["并单", "Merged"],
  };
  // The moves, by the workflow's labels (grid/incidents/workflow.py) and hand-offs.
  const ACTIONS = {
    file: ["立案", "File"], dispatch: ["派遣", "Dispatch"], accept: ["签收", "Accept"],
    return: ["退回", "Return"], handle: ["处理反馈", "Report handled"],
    verify: ["核查通过", "Verify"], rework: ["返工", "Rework"], close: ["结案", "Close"],
    evaluate: ["评价", "Evaluate"], suspend: ["挂账", "Suspend"], resume: ["解挂", "Resume"],
    void: ["作废", "Void"], merge: ["并单", "Merge"],
    escalate: ["上报上级", "Escalate"], assign: ["下派", "Assign down"],
    refer: ["转办", "Refer"], sign: ["签收流转", "Sign hand-off"],
    "return-handoff": ["退回流转", "Return hand-off"],
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
    "actions.none": ["当前没有您可办理的操作", "Nothing for you to do now"],
    "actions.confirm": ["确认{action}", "Confirm: {action}"], "actions.cancel": ["取消", "Cancel"],
    "input.reason": ["理由/说明", "Reason / note"],
    "input.reason-required": ["理由（必填）", "Reason (required)"],
    "input.rating": ["评分（1–5）", "Rating (1–5)"], "input.into": ["并入事件编号", "Merge into no."],
    "result.done": ["已{action}：事件 #{id} 现为「{state}」（版本 {version}）",
                    "{action}: incident #{id} is now {state} (version {version})"],
    "result.handoff": ["已{action}：事件 #{id}", "{action}: incident #{id}"],
    "result.handoff-to": ["已{action}：事件 #{id} 至「{to}」，待签收",
                          "{action}: incident #{id} sent to {to}, awaiting signature"],
    "problem.409": ["冲突：事件已变化或此操作当前不可办理",
                    "Conflict: the incident changed or this move is not possible now"],
    "problem.409-stale": [
      "事件已被他人改动，现为「{state}」（版本 {version}），已刷新",
      "Someone else moved the incident: it is now {state} (version {version}); refreshed"],
    "problem.403": ["无权办理", "Not allowed"], "problem.404": ["不在您的辖区内", "Not in your territory"],
    "problem.422": ["输入有误", "Invalid input"], "problem.other": ["操作失败", "The move failed"],
    "problem.allowed": ["当前可办理：{list}", "Possible now: {list}"],
    "problem.nothing": ["无", "nothing"],
  };

  const table = {};
  const put = (prefix, entries) => {
    for (const [key, [zh, en]] of Object.entries(entries)) table[`${prefix}${key}`] = {zh, en};
  };
  put("state.", STATES);
  put("action.", ACTIONS);
  put("event.", EVENTS);
  put("", PLAIN);
  window.gridgovI18n.add(table);

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
    const {t} = window.gridgovI18n;
    return hours >= 24 ? t("duration.dh", {d: Math.floor(hours / 24), h: hours % 24})
      : t("duration.hm", {h: hours, m: minutes % 60});
  }

  window.gridgovConsole = {
    STATES: Object.keys(STATES),
    // No more work: the queues of the unit leave these out (grid/incidents/enums.py FINAL).
    FINAL: ["closed", "evaluated", "void", "merged"],
    DEADLINES: ["red", "yellow", "green"],
    formatTime,
    formatDuration,
  };
})();
