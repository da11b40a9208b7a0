// The console's words in Chinese and English; Chinese unless the staff
// member switched (kept in this browser).
const WORDS = {
  title: ['廊下镇运营控制台', 'Langxia operations console'],
  switchTo: ['English', '中文'],
  map: ['总览图', 'Overview map'],
  sla: ['时效看板', 'SLA board'],
  desk: ['派单台', 'Desk queue'],
  tickets: ['工单', 'Tickets'],
  approvals: ['审批', 'Approvals'],
  assessment: ['村居考核', 'Village assessment'],
  signOut: ['退出', 'Sign out'],
  signIn: ['登录', 'Sign in'],
  signInTitle: ['工作人员登录', 'Staff sign-in'],
  tokenLabel: ['身份令牌（区统一身份认证签发）', 'Identity token (from the district identity provider)'],
  devTitle: ['开发登录（仅限开发环境）', 'Development sign-in (development only)'],
  devNote: ['由边缘服务以开发密钥签发令牌；生产环境不可用。', 'The edge mints a token with the development secret; not available in production.'],
  role: ['角色', 'Role'],
  scope: ['网格范围（村居或微网格编码）', 'Scope (village or micro-grid code)'],
  name: ['姓名', 'Name'],
  colourBy: ['着色', 'Colour by'],
  openTickets: ['未办结工单', 'Open tickets'],
  onTimeRate: ['按时率', 'On-time rate'],
  microGrids: ['个微网格', 'micro-grids'],
  from: ['起', 'From'],
  to: ['止', 'To'],
  show: ['查询', 'Show'],
  unit: ['单位', 'Unit'],
  total: ['合计', 'Total'],
  received: ['受理', 'Received'],
  dispatched: ['派单', 'Dispatched'],
  closed: ['办结', 'Closed'],
  returns: ['退单', 'Returns'],
  returnsPerTicket: ['单均退单', 'Returns per ticket'],
  extensions: ['延期', 'Extensions'],
  escalations: ['升级', 'Escalations'],
  overdueNow: ['当前超期', 'Overdue now'],
  ageing: ['积压工单账龄', 'Backlog ageing'],
  fromStats: ['统计口径：派单服务 GetStatistics（按首次派单单位）；“当前超期”与账龄取自未办结工单列表。', 'Figures from dispatch GetStatistics (by the unit first dispatched to); "overdue now" and ageing from the open tickets.'],
  noStats: ['该角色无统计权限。', 'This role has no statistics.'],
  number: ['编号', 'Number'],
  channel: ['渠道', 'Channel'],
  category: ['类别', 'Category'],
  titleCol: ['标题', 'Title'],
  state: ['状态', 'State'],
  village: ['村居', 'Village'],
  assignee: ['承办', 'Assignee'],
  receivedAt: ['受理时间', 'Received'],
  dueAt: ['时限', 'Due'],
  none: ['暂无', 'None'],
  queue: ['队列', 'Queue'],
  qAll: ['全部', 'All'],
  qMine: ['本单位', 'Mine'],
  qOverdue: ['超期', 'Overdue'],
  history: ['流转记录', 'History'],
  legs: ['经办段', 'Legs'],
  tasks: ['协办任务', 'Co-handlers'],
  at: ['时间', 'At'],
  actor: ['操作人', 'Actor'],
  action: ['动作', 'Action'],
  reason: ['理由', 'Reason'],
  start: ['来由', 'Start'],
  givenAt: ['交办', 'Given'],
  signedAt: ['签收', 'Signed'],
  endedAt: ['结束', 'Ended'],
  outcome: ['结果', 'Outcome'],
  description: ['内容', 'Description'],
  days: ['天数（工作日）', 'Working days'],
  requestedBy: ['申请人', 'Requested by'],
  requestedAt: ['申请时间', 'Requested'],
  approve: ['批准', 'Approve'],
  refuse: ['驳回', 'Refuse'],
  decided: ['已处理', 'Decided'],
  pendingExtensions: ['待审批延期申请', 'Pending extension requests'],
  score: ['综合得分', 'Score'],
  fiveChief: ['五长制', 'Five-chief'],
  unified: ['一网统管', 'Unified management'],
  safety: ['城运安全', 'Safety'],
  weighted: ['加权', 'Weighted'],
  loading: ['加载中…', 'Loading…'],
  // The SLA board's figures (dispatch's definitions, in its README).
  noCases: ['无案件', 'no cases'],
  signingRate: ['按时签收率', 'On-time signing'],
  resolutionRate: ['按时办结率', 'On-time resolution'],
  solvedRate: ['实际解决率', 'Actually solved'],
  satisfactionRate: ['满意率', 'Satisfaction'],
  returnRate: ['退单率', 'Return rate'],
  transfers: ['转办', 'Transfers'],
  transfersPerTicket: ['单均转办', 'Transfers per case'],
  closureRate: ['办结率', 'Closure rate'],
  toSign: ['签收用时(分) 均/P90', 'To sign (min) avg/p90'],
  signToResolve: ['处置用时(时) 均/P90', 'Sign to resolve (h) avg/p90'],
  toClose: ['办结用时(时) 均/P90', 'To close (h) avg/p90'],
  returnsByUnit: ['退单率（计入退单单位）', 'Return rate (against the returning unit)'],
  onTimeByUnit: ['按时签收率与按时办结率', 'On-time signing and resolution'],
  repeatPlaces: ['同一地点重复投诉', 'Repeat reports at one place'],
  reports: ['投诉件数', 'Reports'],
  mergedCol: ['合并', 'Merged'],
  microGrid: ['微网格', 'Micro-grid'],
  risingCategories: ['上升类别（较上一同长周期）', 'Rising categories (vs the equal period before)'],
  thisPeriod: ['本期', 'This period'],
  previousPeriod: ['上期', 'Previous period'],
  overdueElsewhere: ['其他单位超期（期前派单）', 'Overdue elsewhere (dispatched before the period)'],
  openCount: ['未办结', 'Open'],
  boardNote: ['口径：派单服务 GetStatistics 按经办段计算（各率分母见派单服务说明）；退单计入退单单位；无案件的单位不计比率，显示“无案件”；“当前超期”与账龄取自未办结工单。', 'Figures from dispatch GetStatistics, computed from the legs (each rate\'s denominator as dispatch defines it); returns count against the unit that returned; a unit with no case shows "no cases", never a rate; "overdue now" and ageing come from the open tickets.'],
  // The footage review's identity read.
  showIdentity: ['查看身份', 'Show identity'],
  identityNote: ['查看申请人完整身份将记入视频访问日志。', 'Reading the applicant\'s full identity is written on the video access log.'],
};

// The words of a ticket's moves, the disclosure review, the map's layers
// and the annual report.
Object.assign(WORDS, {
  moves: ['办理操作', 'Moves'],
  moveNote: ['办理结果 / 理由', 'Result / reason'],
  satisfaction: ['满意度', 'Satisfaction'],
  move_accept: ['签收', 'Sign for'],
  move_start: ['开始办理', 'Start'],
  move_resolve: ['办结', 'Resolve'],
  move_return: ['退单', 'Return'],
  move_verify_true: ['核查属实', 'Verify as true'],
  move_verify_false: ['核查不实', 'Verify as untrue'],
  move_follow_up: ['回访', 'Follow up'],
  move_close: ['结案', 'Close'],
  move_reopen: ['重办', 'Reopen'],
  move_dispatch: ['派单', 'Dispatch'],
  move_reject: ['驳回', 'Reject'],
  move_merge: ['合并', 'Merge'],
  move_split: ['拆分', 'Split off'],
  change_receive: ['受理', 'Received'],
  change_escalate: ['升级督办', 'Escalated'],
  change_merge: ['合并', 'Merged'],
  change_split: ['拆分', 'Split off'],
  change_clock_paused: ['暂停计时', 'Clock paused'],
  change_clock_resumed: ['恢复计时', 'Clock resumed'],
  action_dispatch: ['派单', 'dispatch'],
  action_accept: ['签收', 'accept'],
  action_start: ['开始办理', 'start'],
  action_resolve: ['办结', 'resolve'],
  action_return: ['退单', 'return'],
  action_verify: ['核查', 'verify'],
  action_follow_up: ['回访', 'follow up'],
  action_close: ['结案', 'close'],
  action_reopen: ['重办', 'reopen'],
  action_refer: ['提请研判', 'refer to review'],
  action_reject: ['驳回', 'reject'],
  deskMoves: ['派单台操作', 'Desk moves'],
  deskNote: ['不指定单位则按网格责任链派单；指定单位须写明理由。驳回用于非案件（恶意、重复、非本镇、非受理范围），合并用于重复报告。', 'Without a unit the ticket goes along the responsibility chain; a unit of the desk’s choosing needs a reason. Reject what is not a case (prank, duplicate, outside the town, not a case); merge a report that repeats another.'],
  unitKind: ['单位类型', 'Unit kind'],
  unitCode: ['单位编码', 'Unit code'],
  chain: ['按责任链', 'Along the chain'],
  kind_micro_grid: ['微网格', 'Micro-grid'],
  kind_workstation: ['工作站', 'Workstation'],
  kind_department: ['职能部门', 'Department'],
  kind_town_centre: ['镇中心', 'Town centre'],
  kind_leader: ['分管领导', 'Leader'],
  rejectReason: ['驳回原因', 'Why rejected'],
  reject_prank: ['恶意/骚扰', 'Prank'],
  reject_duplicate: ['重复', 'Duplicate'],
  reject_outside_the_town: ['非本镇辖区', 'Outside the town'],
  reject_not_a_case: ['非受理范围', 'Not a case'],
  mergeInto: ['合并到工单编号', 'Merge into ticket number'],
  duplicateOf: ['重复于', 'Duplicate of'],
  disclosures: ['视频公开审批', 'Footage disclosure'],
  disclosureNote: ['申请人信息已脱敏，点“查看身份”方显示完整身份（该查看记入视频访问日志）；批准为现场查看或脱敏复制，驳回须写明理由。每次审批记入视频访问日志。', 'Applicants are masked; "Show identity" reveals one in full (that read is on the video access log). Approve as a supervised viewing or a redacted copy, or refuse with a reason. Every decision is on the video access log.'],
  applicant: ['申请人', 'Applicant'],
  purpose: ['用途', 'Purpose'],
  cameras: ['摄像头', 'Cameras'],
  window: ['时段', 'Window'],
  disputeTicket: ['关联工单', 'Dispute ticket'],
  approveViewing: ['批准查看', 'Approve viewing'],
  approveCopy: ['批准脱敏复制', 'Approve copy'],
  purpose_lost_item: ['失物', 'Lost item'],
  purpose_vehicle_scrape: ['车辆剐蹭', 'Vehicle scrape'],
  purpose_illegal_dumping: ['偷倒垃圾', 'Illegal dumping'],
  purpose_straw_burning: ['焚烧秸秆', 'Straw burning'],
  purpose_other: ['其他', 'Other'],
  decision_viewing: ['现场查看', 'viewing'],
  decision_copy: ['脱敏复制', 'redacted copy'],
  objects: ['覆盖对象', 'Covered objects'],
  noObjects: ['该角色无覆盖对象图层', 'No covered objects for this role'],
  noCameras: ['该角色无摄像头图层', 'No cameras for this role'],
  highRisk: ['高风险', 'high risk'],
  annual: ['年度报告', 'Annual report'],
  year: ['年份', 'Year'],
  month: ['月份', 'Month'],
  byMonth: ['逐月', 'By month'],
  byChannel: ['按渠道', 'By channel'],
  byVillage: ['按村居', 'By village'],
  closureRate: ['办结率', 'Closure rate'],
  satisfactionRate: ['满意率', 'Satisfaction rate'],
});

// Ticket and extension states as the services name them.
const STATES = {
  received: ['已受理', 'received'], dispatched: ['已派单', 'dispatched'], accepted: ['已签收', 'accepted'],
  in_progress: ['办理中', 'in progress'], resolved: ['已办结', 'resolved'], verified: ['已核查', 'verified'],
  followed_up: ['已回访', 'followed up'], closed: ['已结案', 'closed'], returned: ['已退单', 'returned'],
  reopened: ['已重办', 'reopened'], under_review: ['研判中', 'under review'],
  pending: ['待审批', 'pending'], granted: ['已批准', 'granted'], refused: ['已驳回', 'refused'],
  submitted: ['待审批', 'submitted'], approved: ['已批准', 'approved'], all: ['全部', 'all'],
};

let lang = localStorage.getItem('weigrid-console-lang') === 'en' ? 1 : 0;

/** Returns the word `key` in the current language. */
export function t(key) {
  const word = WORDS[key];
  return word ? word[lang] : key;
}

/** Returns the word `key` in Chinese with English (the board's labels),
 * or in English alone once switched. */
export function both(key) {
  const word = WORDS[key];
  if (!word) return key;
  return lang ? word[1] : `${word[0]} ${word[1]}`;
}

/** Returns a state's name in the current language. */
export function stateName(state) {
  const word = STATES[state];
  return word ? word[lang] : state;
}

/** Returns the current language's code. */
export function language() {
  return lang ? 'en' : 'zh-CN';
}

/** Switches between Chinese and English. */
export function toggleLanguage() {
  lang = 1 - lang;
  localStorage.setItem('weigrid-console-lang', lang ? 'en' : 'zh');
  document.documentElement.lang = language();
}

/** Returns `iso` (UTC) as a time in Asia/Shanghai. */
export function when(iso) {
  if (!iso) return '';
  return new Date(iso).toLocaleString(lang ? 'en-GB' : 'zh-CN', { timeZone: 'Asia/Shanghai', hour12: false });
}

/** Returns a fraction as a percentage. */
export function percent(value) {
  return value === null || value === undefined ? '—' : `${(value * 100).toFixed(1)}%`;
}
