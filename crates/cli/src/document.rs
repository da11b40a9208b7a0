//! Printable documents of the "four ones" as a town posts them, each one
//! self-contained HTML page (styles inline, no scripts, no fonts or images
//! fetched; A4 print CSS), Chinese with English headings:
//!
//! - [`work_list`]: one village's work list (一套明细单), annual or monthly,
//!   from case review's work items;
//! - [`responsibility_book`]: one village's responsibility book (一本责任册):
//!   each chief's post and each unit's duties, from the grid registry, with
//!   the overview map (一张总览图, [`overview_map`]) of its grids;
//! - [`workflow_table`]: the town's workflow table (一纸流程表): the steps
//!   every case goes through and each category's time limit, from ticket
//!   dispatch.

use std::fmt::Write as _;

use proto::dispatch::v1 as dispatch;
use proto::registry::v1 as registry;
use proto::review::v1 as review;

use crate::render::{enum_name, time};

/// Returns `text` safe inside HTML text and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The styles every document shares: A4 pages, tables that print with
/// their borders and repeat their header rows, lights that print in colour
/// and as words (a black-and-white copy still says which).
const STYLE: &str = r#"
@page { size: A4 portrait; margin: 16mm 14mm; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", sans-serif;
       font-size: 10.5pt; color: #111; margin: 0 auto; max-width: 190mm; }
h1 { font-size: 18pt; text-align: center; margin: 0 0 2mm; letter-spacing: 0.1em; }
h1 small, h2 small, th small { display: block; font-size: 9pt; font-weight: normal; letter-spacing: 0; color: #444; }
h2 { font-size: 12.5pt; border-bottom: 1.5pt solid #b00; padding-bottom: 1mm; margin: 6mm 0 2mm; }
.meta { text-align: center; color: #333; margin-bottom: 4mm; }
table { width: 100%; border-collapse: collapse; margin: 2mm 0 4mm; page-break-inside: auto; }
thead { display: table-header-group; }
tr { page-break-inside: avoid; }
th, td { border: 0.75pt solid #333; padding: 1.5mm 2mm; vertical-align: top; text-align: left; }
th { background: #f1e4e4; font-weight: bold; }
td.num { text-align: right; white-space: nowrap; }
.nowrap { white-space: nowrap; }
.light { display: inline-block; padding: 0 2mm; border-radius: 2mm; font-weight: bold; white-space: nowrap;
         -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.GREEN { background: #cdebd0; color: #0b5d1e; }
.YELLOW { background: #fff1b8; color: #7a5a00; }
.RED { background: #f8c9c4; color: #8a1206; }
.DONE { background: #e3e3e3; color: #333; }
.summary td { text-align: center; }
footer { margin-top: 6mm; font-size: 9pt; color: #444; display: flex; justify-content: space-between; }
.sign { margin-top: 10mm; display: flex; justify-content: space-between; }
.sign span { border-top: 0.75pt solid #333; padding-top: 1mm; width: 45%; }
figure.map { margin: 2mm 0 4mm; page-break-inside: avoid; }
svg.map { width: 100%; height: auto; display: block; border: 0.75pt solid #333; background: #fbfaf7; }
svg.map path.micro { fill: #f1e4e4; stroke: #8a5a5a; stroke-width: 0.6; }
svg.map path.area { fill: none; stroke: #b00; stroke-width: 1.4; }
svg.map path.outline { fill: none; stroke: #111; stroke-width: 2.4; }
svg.map text { font-size: 9px; fill: #333; text-anchor: middle; dominant-baseline: middle; }
figcaption { font-size: 9pt; color: #444; text-align: center; margin-top: 1mm; }
@media print { body { max-width: none; } a { color: inherit; text-decoration: none; } }
"#;

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    )
}

/// The light's words, Chinese and English.
fn light_words(light: review::Light) -> &'static str {
    match light {
        review::Light::Green => "绿灯 on time",
        review::Light::Yellow => "黄灯 due soon",
        review::Light::Red => "红灯 overdue",
        review::Light::Done => "已销号 closed",
        review::Light::Unspecified => "—",
    }
}

fn state_words(state: review::WorkItemState) -> &'static str {
    match state {
        review::WorkItemState::Open => "办理中 open",
        review::WorkItemState::Reported => "待核查 reported",
        review::WorkItemState::Verified => "已核查 verified",
        review::WorkItemState::Closed => "已销号 closed",
        review::WorkItemState::Unspecified => "—",
    }
}

/// The period a list covers, as its heading says it.
pub fn period_words(year: u32, month: u32) -> String {
    if month == 0 {
        format!("{year}年度 annual list {year}")
    } else {
        format!("{year}年{month}月 monthly list {year}-{month:02}")
    }
}

/// Returns one village's work list (一套明细单) as a printable page: the
/// items of `items` (the village's, for the period), their deadlines,
/// chiefs, progress and lights, with a summary by light. `printed_at` is
/// when the list was made, as the footer says.
pub fn work_list(
    village_code: &str,
    village_name: &str,
    period: &str,
    items: &[review::WorkItem],
    printed_at: &str,
) -> String {
    let mut counts = [0usize; 4];
    for item in items {
        match item.light() {
            review::Light::Green => counts[0] += 1,
            review::Light::Yellow => counts[1] += 1,
            review::Light::Red => counts[2] += 1,
            review::Light::Done => counts[3] += 1,
            review::Light::Unspecified => {}
        }
    }
    let mut body = String::new();
    let _ = write!(
        body,
        "<h1>{name}工作任务明细单<small>Work list of {name} ({code})</small></h1>\n\
         <p class=\"meta\">{period} · 共 {n} 项 {n} items</p>\n",
        name = escape(village_name),
        code = escape(village_code),
        period = escape(period),
        n = items.len(),
    );
    let _ = write!(
        body,
        "<table class=\"summary\"><thead><tr><th>绿灯<small>on time</small></th><th>黄灯<small>due soon</small></th>\
         <th>红灯<small>overdue</small></th><th>已销号<small>closed</small></th></tr></thead>\n\
         <tbody><tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr></tbody></table>\n",
        counts[0], counts[1], counts[2], counts[3]
    );
    body.push_str(
        "<h2>任务清单<small>Tasks</small></h2>\n<table>\n<thead><tr>\
         <th class=\"nowrap\">序号<small>No.</small></th><th>任务<small>Task</small></th>\
         <th>工作内容<small>What is to be done</small></th><th>来源<small>Policy</small></th>\
         <th class=\"nowrap\">责任人<small>Chief</small></th><th>完成时限<small>Deadline</small></th>\
         <th>进度<small>Progress</small></th><th>状态<small>Status</small></th></tr></thead>\n<tbody>\n",
    );
    if items.is_empty() {
        body.push_str("<tr><td colspan=\"8\">本期无任务 No tasks in this period.</td></tr>\n");
    }
    for (n, item) in items.iter().enumerate() {
        let closed = if item.closed_at.is_some() {
            format!("<br>销号 closed {}", escape(&time(&item.closed_at)))
        } else {
            String::new()
        };
        let chief = if item.chief.is_empty() {
            "（未配）none named".to_owned()
        } else {
            escape(&item.chief)
        };
        let _ = writeln!(
            body,
            "<tr><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"nowrap\">{}</td><td>{}</td>\
             <td class=\"num\">{}%</td><td><span class=\"light {}\">{}</span>{}{}</td></tr>",
            n + 1,
            escape(&item.title),
            escape(&item.detail),
            escape(&item.policy_title),
            chief,
            escape(&time(&item.deadline)),
            item.percent,
            enum_name(item.light().as_str_name(), "LIGHT_"),
            light_words(item.light()),
            if item.state() == review::WorkItemState::Closed {
                String::new()
            } else {
                format!("<br>{}", state_words(item.state()))
            },
            closed,
        );
    }
    body.push_str("</tbody>\n</table>\n");
    body.push_str(
        "<p>说明 Notes: 绿灯为按期推进，黄灯为临近时限，红灯为超过时限未销号；\
         任务经镇核查后方可销号。Green: on time; yellow: near its deadline; red: past it and not closed. \
         An item is closed only after the town has verified it.</p>\n",
    );
    body.push_str(
        "<div class=\"sign\"><span>村（居）负责人 Head of the workstation</span>\
         <span>镇城运中心 Town operations centre</span></div>\n",
    );
    let _ = writeln!(
        body,
        "<footer><span>一套明细单 · weigrid</span><span>打印时间 printed {}</span></footer>",
        escape(printed_at)
    );
    page(&format!("{village_name}工作任务明细单 Work list"), &body)
}

fn role_words(role: i32) -> &'static str {
    match registry::MemberRole::try_from(role).unwrap_or_default() {
        registry::MemberRole::WorkstationHead => "站长 head of the workstation",
        registry::MemberRole::WorkstationStaff => "站员 workstation staff",
        registry::MemberRole::Leader => "微网格长 micro-grid leader",
        registry::MemberRole::PartyInstructor => "党建指导员 party instructor",
        registry::MemberRole::Member => "网格员 grid member",
        registry::MemberRole::TownOperator => "城运中心 town operator",
        registry::MemberRole::Unspecified => "—",
    }
}

/// What each post answers for, as the responsibility book states it.
fn role_duty(role: i32) -> &'static str {
    match registry::MemberRole::try_from(role).unwrap_or_default() {
        registry::MemberRole::WorkstationHead => {
            "统筹本村（居）网格工作，对明细单任务负总责 leads the village's grid work and answers for its work list"
        }
        registry::MemberRole::WorkstationStaff => {
            "协助站长受理、派发与核查 takes in, hands on and checks cases with the head"
        }
        registry::MemberRole::Leader => {
            "微网格首问负责，日常巡查、发现上报 first to answer in the micro-grid: patrols, finds and reports"
        }
        registry::MemberRole::PartyInstructor => {
            "党建引领，联系党员群众 party guidance and contact with members and residents"
        }
        registry::MemberRole::Member => {
            "巡查走访、信息采集 patrols, visits and keeps the grid's information"
        }
        registry::MemberRole::TownOperator | registry::MemberRole::Unspecified => "—",
    }
}

fn kind_words(kind: i32) -> String {
    let name = enum_name(
        registry::ObjectKind::try_from(kind)
            .unwrap_or_default()
            .as_str_name(),
        "OBJECT_KIND_",
    );
    let zh = match registry::ObjectKind::try_from(kind).unwrap_or_default() {
        registry::ObjectKind::Shop => "商铺",
        registry::ObjectKind::School => "学校",
        registry::ObjectKind::Enterprise => "企业",
        registry::ObjectKind::Cooperative => "合作社",
        registry::ObjectKind::River => "河道",
        registry::ObjectKind::ForestParcel => "林地",
        registry::ObjectKind::Road => "道路",
        registry::ObjectKind::Farmland => "耕地",
        registry::ObjectKind::GarbagePoint => "垃圾点",
        registry::ObjectKind::KeyPoint => "重点部位",
        registry::ObjectKind::Unspecified => "—",
    };
    format!("{zh} {}", name.to_lowercase().replace('_', " "))
}

/// The overview map's drawing area, in SVG user units (about 180 mm wide
/// on the page).
const MAP_WIDTH: f64 = 680.0;
const MAP_MAX_HEIGHT: f64 = 520.0;
const MAP_MARGIN: f64 = 12.0;

/// One grid of the map: its code, name, level and rings (lng, lat).
struct MapGrid {
    code: String,
    name: String,
    level: String,
    rings: Vec<Vec<(f64, f64)>>,
}

/// Returns the overview map (一张总览图) of `within` (a village's or the
/// town's code) as inline SVG, drawn from the registry's GeoJSON
/// (ExportMap) and nothing else: no tiles, no scripts, nothing fetched.
/// The grid itself is outlined, its area grids drawn with a heavier line
/// and its micro-grids filled and labelled by the last part of their code,
/// each with its name and code as a tooltip. None when the collection
/// holds no polygon of `within` or below it.
pub fn overview_map(geojson: &str, within: &str) -> Option<String> {
    let collection: serde_json::Value = serde_json::from_str(geojson).ok()?;
    let prefix = format!("{within}-");
    let mut grids = Vec::new();
    for feature in collection["features"].as_array()? {
        let properties = &feature["properties"];
        let code = properties["code"].as_str().unwrap_or_default();
        if properties["type"] != "grid" || (code != within && !code.starts_with(&prefix)) {
            continue;
        }
        let geometry = &feature["geometry"];
        let polygons: Vec<&serde_json::Value> = match geometry["type"].as_str() {
            Some("Polygon") => vec![&geometry["coordinates"]],
            Some("MultiPolygon") => geometry["coordinates"].as_array()?.iter().collect(),
            _ => continue,
        };
        let rings = polygons
            .iter()
            .filter_map(|p| p.as_array())
            .flatten()
            .filter_map(|ring| {
                ring.as_array().map(|points| {
                    points
                        .iter()
                        .filter_map(|p| Some((p[0].as_f64()?, p[1].as_f64()?)))
                        .collect::<Vec<_>>()
                })
            })
            .filter(|ring| ring.len() >= 4)
            .collect::<Vec<_>>();
        if !rings.is_empty() {
            grids.push(MapGrid {
                code: code.to_owned(),
                name: properties["name"].as_str().unwrap_or_default().to_owned(),
                level: properties["level"].as_str().unwrap_or_default().to_owned(),
                rings,
            });
        }
    }
    let points = grids.iter().flat_map(|g| g.rings.iter().flatten());
    let (mut west, mut east, mut south, mut north) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(lng, lat) in points {
        west = west.min(lng);
        east = east.max(lng);
        south = south.min(lat);
        north = north.max(lat);
    }
    if grids.is_empty() || east <= west || north <= south {
        return None;
    }
    // Equirectangular at the map's middle latitude: at a town's size the
    // distortion is far below a printed line's width.
    let shrink = ((south + north) / 2.0).to_radians().cos();
    let (span_x, span_y) = ((east - west) * shrink, north - south);
    let scale =
        ((MAP_WIDTH - 2.0 * MAP_MARGIN) / span_x).min((MAP_MAX_HEIGHT - 2.0 * MAP_MARGIN) / span_y);
    let height = span_y * scale + 2.0 * MAP_MARGIN;
    let project = |(lng, lat): (f64, f64)| {
        (
            MAP_MARGIN + (lng - west) * shrink * scale,
            MAP_MARGIN + (north - lat) * scale,
        )
    };
    let path = |grid: &MapGrid| {
        let mut d = String::new();
        for ring in &grid.rings {
            for (i, &point) in ring.iter().enumerate() {
                let (x, y) = project(point);
                let _ = write!(d, "{}{x:.1},{y:.1}", if i == 0 { "M" } else { "L" });
            }
            d.push('Z');
        }
        d
    };
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"map\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {MAP_WIDTH:.0} {height:.0}\" \
         role=\"img\" aria-label=\"{title}\">\n<title>{title}</title>\n",
        title = escape(&format!("{within} 总览图 overview map")),
    );
    // Micro-grids first (filled), then area grids, then the grid itself, so
    // the heavier outlines are drawn over the finer ones.
    let order = |level: &str| match level {
        "MICRO" => 0,
        "AREA" => 1,
        _ => 2,
    };
    let mut drawn: Vec<&MapGrid> = grids.iter().collect();
    drawn.sort_by_key(|g| (order(&g.level), g.code.clone()));
    for grid in &drawn {
        let class = match grid.level.as_str() {
            "MICRO" => "micro",
            "AREA" => "area",
            _ => "outline",
        };
        let _ = writeln!(
            svg,
            "<path class=\"{class}\" d=\"{}\"><title>{} {}</title></path>",
            path(grid),
            escape(&grid.name),
            escape(&grid.code),
        );
    }
    for grid in drawn.iter().filter(|g| g.level == "MICRO") {
        // The label at the exterior ring's mean point, the code's last part.
        let ring = &grid.rings[0];
        let n = (ring.len() - 1) as f64;
        let (sx, sy) = ring[..ring.len() - 1]
            .iter()
            .fold((0.0, 0.0), |(x, y), &(lng, lat)| (x + lng, y + lat));
        let (x, y) = project((sx / n, sy / n));
        let label = grid.code.rsplit('-').next().unwrap_or(&grid.code);
        let _ = writeln!(
            svg,
            "<text x=\"{x:.1}\" y=\"{y:.1}\">{}</text>",
            escape(label)
        );
    }
    let micro = grids.iter().filter(|g| g.level == "MICRO").count();
    svg.push_str("</svg>\n");
    Some(format!(
        "<figure class=\"map\">\n{svg}<figcaption>{micro} 个微网格 micro-grids · 依据网格登记的边界绘制 \
         drawn from the registry's boundaries</figcaption>\n</figure>\n"
    ))
}

/// Returns one village's responsibility book (一本责任册) as a printable
/// page: each chief's post and duties (the village's members by grid), the
/// enterprises' heads with first-inquiry duty, and each department's
/// supervision, all as the registry holds them. Phones stay masked as the
/// registry gives them.
pub fn responsibility_book(
    village: &registry::Grid,
    members: &[registry::Member],
    heads: &[registry::CoveredObject],
    departments: &[registry::Department],
    map: Option<&str>,
    printed_at: &str,
) -> String {
    let mut body = String::new();
    let _ = write!(
        body,
        "<h1>{name}网格责任册<small>Responsibility book of {name} ({code})</small></h1>\n\
         <p class=\"meta\">按网格逐级压实责任 · each grid's chiefs and each unit's duties</p>\n",
        name = escape(&village.name),
        code = escape(&village.code),
    );
    if let Some(map) = map {
        body.push_str("<h2>一张总览图<small>Overview map of the grids</small></h2>\n");
        body.push_str(map);
    }
    body.push_str(
        "<h2>网格责任人<small>Chiefs by grid</small></h2>\n<table>\n<thead><tr>\
         <th>网格<small>Grid</small></th><th>姓名<small>Name</small></th>\
         <th>岗位<small>Post</small></th><th>职责<small>Duties</small></th>\
         <th>电话<small>Phone</small></th></tr></thead>\n<tbody>\n",
    );
    let mut sorted: Vec<&registry::Member> = members.iter().filter(|m| m.active).collect();
    sorted.sort_by(|a, b| a.grid_code.cmp(&b.grid_code).then(a.role.cmp(&b.role)));
    if sorted.is_empty() {
        body.push_str("<tr><td colspan=\"5\">未登记 none registered</td></tr>\n");
    }
    for m in sorted {
        let _ = writeln!(
            body,
            "<tr><td class=\"nowrap\">{}</td><td class=\"nowrap\">{}</td><td>{}</td><td>{}</td><td class=\"nowrap\">{}</td></tr>",
            escape(&m.grid_code),
            escape(&m.name),
            role_words(m.role),
            role_duty(m.role),
            escape(&m.phone_masked),
        );
    }
    body.push_str("</tbody>\n</table>\n");
    body.push_str(
        "<h2>企业首问责任人<small>First-inquiry heads of enterprises and cooperatives</small></h2>\n<table>\n\
         <thead><tr><th>单位<small>Site</small></th><th>类别<small>Kind</small></th>\
         <th>所在微网格<small>Micro-grid</small></th><th>首问责任人<small>Head</small></th>\
         <th>电话<small>Phone</small></th><th>高危<small>High risk</small></th></tr></thead>\n<tbody>\n",
    );
    if heads.is_empty() {
        body.push_str("<tr><td colspan=\"6\">无 none</td></tr>\n");
    }
    for o in heads {
        let _ = writeln!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&o.name),
            kind_words(o.kind),
            escape(&o.micro_grid_code),
            escape(&o.head_name),
            escape(&o.head_phone_masked),
            if o.high_risk { "是 yes" } else { "否 no" },
        );
    }
    body.push_str("</tbody>\n</table>\n");
    body.push_str(
        "<h2>部门职责<small>Departments: what each supervises</small></h2>\n<table>\n<thead><tr>\
         <th>部门<small>Department</small></th><th>方式<small>How</small></th>\
         <th>监管对象<small>Supervises</small></th><th>安全领域<small>Safety domains</small></th>\
         </tr></thead>\n<tbody>\n",
    );
    if departments.is_empty() {
        body.push_str("<tr><td colspan=\"4\">未登记 none registered</td></tr>\n");
    }
    for d in departments {
        let how = match registry::DepartmentKind::try_from(d.kind).unwrap_or_default() {
            registry::DepartmentKind::Regulatory => "行业监管 regulator",
            registry::DepartmentKind::CoManagement => "协管 co-management",
            registry::DepartmentKind::Unspecified => "—",
        };
        let kinds: Vec<String> = d.regulates.iter().map(|k| kind_words(*k)).collect();
        let _ = writeln!(
            body,
            "<tr><td>{} ({})</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&d.name),
            escape(&d.code),
            how,
            escape(&kinds.join("、")),
            escape(&d.domains.join("、")),
        );
    }
    body.push_str("</tbody>\n</table>\n");
    let _ = writeln!(
        body,
        "<footer><span>一本责任册 · weigrid</span><span>打印时间 printed {}</span></footer>",
        escape(printed_at)
    );
    page(
        &format!("{}网格责任册 Responsibility book", village.name),
        &body,
    )
}

/// Returns the overview map (一张总览图) of `grid` (the town or one of its
/// villages) as one self-contained page: the map drawn by [`overview_map`]
/// and, beside it, how many grids of each level it holds.
pub fn overview_document(grid: &registry::Grid, map: &str, printed_at: &str) -> String {
    let mut body = String::new();
    let _ = write!(
        body,
        "<h1>{name}一张总览图<small>Overview map of {name} ({code})</small></h1>\n\
         <p class=\"meta\">网格边界、层级与编码 · the grids, their levels and codes, as the registry holds them</p>\n",
        name = escape(&grid.name),
        code = escape(&grid.code),
    );
    body.push_str(map);
    let _ = writeln!(
        body,
        "<footer><span>一张总览图 · weigrid</span><span>打印时间 printed {}</span></footer>",
        escape(printed_at)
    );
    page(&format!("{}一张总览图 Overview map", grid.name), &body)
}

/// The steps of a case in ticket dispatch, in order: the step, who takes
/// it, and what it means.
const STEPS: [(&str, &str, &str, &str); 8] = [
    (
        "受理",
        "Received",
        "镇网格化综合管理中心",
        "12345、110、巡查、村民上报、视频告警与 Open311 工单统一受理登记",
    ),
    (
        "派单",
        "Dispatched",
        "中心派单席",
        "按位置与类别派至责任微网格或登记的主管部门，多部门事项设牵头与协办",
    ),
    (
        "签收",
        "Accepted",
        "承办单位",
        "承办单位签收；不属本单位职责的说明理由退单，回到派单席重派",
    ),
    (
        "办理",
        "In progress",
        "承办单位",
        "在类别时限内办理；确需延期的向中心申请，经批准后顺延",
    ),
    ("办结", "Resolved", "承办单位", "填报办理结果"),
    (
        "核查",
        "Verified",
        "中心",
        "核实办理结果是否属实，不实的退回原承办单位重办",
    ),
    (
        "回访",
        "Followed up",
        "中心",
        "回访当事人，记录满意度；不满意的重新办理",
    ),
    (
        "归档",
        "Closed",
        "中心",
        "办结归档；疑难复杂事项可提交研判，按决定执行",
    ),
];

/// Returns the town's workflow table (一纸流程表) as one self-contained page:
/// the steps every case goes through, and each category of `categories`
/// with its safety domain and its time limit in working days, as ticket
/// dispatch holds them.
pub fn workflow_table(categories: &[dispatch::Category], printed_at: &str) -> String {
    let mut body = String::from(
        "<h1>工作流程表<small>Workflow table: every case's steps and time limits</small></h1>\n\
         <p class=\"meta\">一张工单走到底 · one work order from intake to closure</p>\n\
         <h2>办理流程<small>Steps</small></h2>\n<table>\n<thead><tr>\
         <th>步骤<small>Step</small></th><th>环节<small>Stage</small></th>\
         <th>责任方<small>Who</small></th><th>要求<small>What it asks</small></th></tr></thead>\n<tbody>\n",
    );
    for (n, (step, english, who, what)) in STEPS.iter().enumerate() {
        let _ = writeln!(
            body,
            "<tr><td class=\"num\">{}</td><td class=\"nowrap\">{step}<br><small>{english}</small></td><td>{who}</td><td>{what}</td></tr>",
            n + 1
        );
    }
    body.push_str(
        "</tbody>\n</table>\n<h2>类别与办理时限<small>Categories and their time limits</small></h2>\n\
         <table>\n<thead><tr><th>类别<small>Category</small></th><th>代码<small>Code</small></th>\
         <th>安全领域<small>Safety domain</small></th><th>办理时限<small>Limit</small></th>\
         <th>派单方式<small>Dispatch</small></th></tr></thead>\n<tbody>\n",
    );
    let active: Vec<&dispatch::Category> = categories.iter().filter(|c| c.active).collect();
    if active.is_empty() {
        body.push_str("<tr><td colspan=\"5\">未设类别 no categories</td></tr>\n");
    }
    for c in active {
        let _ = writeln!(
            body,
            "<tr><td>{}</td><td class=\"nowrap\">{}</td><td class=\"nowrap\">{}</td><td class=\"num\">{} 个工作日<br><small>{} working days</small></td><td>{}</td></tr>",
            escape(&c.name),
            escape(&c.code),
            escape(&c.domain_code),
            c.working_days,
            c.working_days,
            if c.difficult {
                "疑难事项，一律由中心派单<br><small>always at the desk</small>"
            } else {
                "按位置自动派单<br><small>by location</small>"
            },
        );
    }
    let _ = write!(
        body,
        "</tbody>\n</table>\n<footer><span>时限按工作日计，节假日顺延 · limits count working days</span>\
         <span>打印于 printed {}</span></footer>\n",
        escape(printed_at)
    );
    page("工作流程表 Workflow table", &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item(title: &str, light: review::Light, state: review::WorkItemState) -> review::WorkItem {
        review::WorkItem {
            id: "i".into(),
            title: title.into(),
            detail: "巡查 3 条河道 <含支流>".into(),
            policy_title: "汛期安全".into(),
            chief: "张站长".into(),
            light: light.into(),
            state: state.into(),
            percent: 40,
            ..Default::default()
        }
    }

    #[test]
    fn a_work_list_is_one_self_contained_page_with_every_item_and_its_light() {
        let html = work_list(
            "LX-V01",
            "朗霞村",
            &period_words(2026, 0),
            &[
                item(
                    "河道巡查",
                    review::Light::Yellow,
                    review::WorkItemState::Open,
                ),
                item(
                    "校园周边",
                    review::Light::Red,
                    review::WorkItemState::Reported,
                ),
            ],
            "2026-04-01 09:00",
        );
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("朗霞村工作任务明细单"));
        assert!(html.contains("Work list of 朗霞村 (LX-V01)"));
        assert!(html.contains("河道巡查") && html.contains("校园周边"));
        assert!(html.contains("class=\"light YELLOW\">黄灯 due soon"));
        assert!(html.contains("class=\"light RED\">红灯 overdue"));
        assert!(html.contains("&lt;含支流&gt;"), "text is escaped");
        assert!(html.contains("@page { size: A4"));
        for fetched in ["<script", "<link", "src=", "@import", "url("] {
            assert!(!html.contains(fetched), "nothing is fetched: {fetched}");
        }
    }

    #[test]
    fn the_workflow_table_lists_every_step_and_each_active_category_with_its_limit() {
        let category =
            |code: &str, name: &str, days: u32, difficult: bool, active: bool| dispatch::Category {
                code: code.into(),
                name: name.into(),
                domain_code: "ECOLOGICAL_ENVIRONMENT".into(),
                working_days: days,
                difficult,
                active,
                ..Default::default()
            };
        let html = workflow_table(
            &[
                category("ILLEGAL_DUMPING", "偷倒<垃圾>", 3, false, true),
                category("PETITION", "信访", 15, true, true),
                category("RETIRED", "停用类别", 9, false, false),
            ],
            "2026-12-01 09:00",
        );
        assert!(html.starts_with("<!DOCTYPE html>"));
        for (step, ..) in STEPS {
            assert!(html.contains(step), "{step}");
        }
        assert!(html.contains("偷倒&lt;垃圾&gt;"), "names are escaped");
        assert!(html.contains("3 个工作日") && html.contains("15 个工作日"));
        assert!(html.contains("always at the desk"));
        assert!(
            !html.contains("停用类别"),
            "an inactive category is not posted"
        );
        assert!(!html.contains("<script"));
    }

    #[test]
    fn the_responsibility_book_names_each_chief_and_unit() {
        let village = registry::Grid {
            code: "LX-V01".into(),
            name: "朗霞村".into(),
            ..Default::default()
        };
        let members = [registry::Member {
            grid_code: "LX-V01".into(),
            name: "张站长".into(),
            role: registry::MemberRole::WorkstationHead.into(),
            phone_masked: "138****5678".into(),
            active: true,
            ..Default::default()
        }];
        let departments = [registry::Department {
            code: "WATER".into(),
            name: "水务站".into(),
            kind: registry::DepartmentKind::CoManagement.into(),
            regulates: vec![registry::ObjectKind::River.into()],
            domains: vec!["FLOOD".into()],
        }];
        let html = responsibility_book(&village, &members, &[], &departments, None, "now");
        assert!(html.contains("张站长") && html.contains("站长 head of the workstation"));
        assert!(html.contains("138****5678"));
        assert!(html.contains("水务站 (WATER)") && html.contains("河道 river"));
    }

    /// A square village of two area grids, each of two micro-grids, and a
    /// micro-grid of another village.
    fn village_map() -> String {
        let square = |x0: f64, y0: f64, size: f64| {
            json!([[
                [x0, y0],
                [x0 + size, y0],
                [x0 + size, y0 + size],
                [x0, y0 + size],
                [x0, y0]
            ]])
        };
        let grid = |code: &str, level: &str, coordinates: serde_json::Value| {
            json!({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": coordinates},
                   "properties": {"type": "grid", "code": code, "name": format!("{code} <名>"), "level": level}})
        };
        let mut features = vec![
            grid("LX-V01", "VILLAGE", square(121.0, 30.0, 0.02)),
            grid(
                "LX-V01-A1",
                "AREA",
                json!([[
                    [121.0, 30.0],
                    [121.01, 30.0],
                    [121.01, 30.02],
                    [121.0, 30.02],
                    [121.0, 30.0]
                ]]),
            ),
            grid(
                "LX-V01-A2",
                "AREA",
                json!([[
                    [121.01, 30.0],
                    [121.02, 30.0],
                    [121.02, 30.02],
                    [121.01, 30.02],
                    [121.01, 30.0]
                ]]),
            ),
            grid("LX-V02-A1-M01", "MICRO", square(121.5, 30.5, 0.01)),
            json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [121.005, 30.005]},
                   "properties": {"type": "object", "code": "LX-V01-A1-M01", "kind": "SCHOOL"}}),
        ];
        for (i, (x, y)) in [
            (121.0, 30.0),
            (121.0, 30.01),
            (121.01, 30.0),
            (121.01, 30.01),
        ]
        .into_iter()
        .enumerate()
        {
            let area = if x < 121.01 { 1 } else { 2 };
            features.push(grid(
                &format!("LX-V01-A{area}-M0{}", i + 1),
                "MICRO",
                square(x, y, 0.01),
            ));
        }
        json!({"type": "FeatureCollection", "features": features}).to_string()
    }

    #[test]
    fn the_overview_map_draws_the_villages_grids_and_nothing_else() {
        let map = overview_map(&village_map(), "LX-V01").expect("a map");
        assert_eq!(map.matches("<path class=\"micro\"").count(), 4, "{map}");
        assert_eq!(map.matches("<path class=\"area\"").count(), 2);
        assert_eq!(map.matches("<path class=\"outline\"").count(), 1);
        assert!(
            !map.contains("LX-V02"),
            "another village's grid is left out"
        );
        assert!(
            map.contains(">M03</text>"),
            "micro-grids labelled by their code"
        );
        assert!(map.contains("LX-V01-A1 &lt;名&gt;"), "names escaped");
        assert!(map.contains("4 个微网格"));
        // Inline and self-contained: no link, image or script anywhere.
        for fetched in ["href", "<image", "<script", "http://", "https://"] {
            let outside_namespace = map.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
            assert!(!outside_namespace.contains(fetched), "{fetched} in {map}");
        }
        // A square village is drawn square (the longitude shrunk at 30°N),
        // within the drawing area.
        let view = map.split("viewBox=\"0 0 ").nth(1).unwrap();
        let (width, height) = view.split_once(' ').unwrap();
        let height: f64 = height.split('"').next().unwrap().parse().unwrap();
        assert_eq!(width, "680");
        assert!(height <= MAP_MAX_HEIGHT && height > 400.0, "{height}");
    }

    #[test]
    fn no_overview_map_without_a_boundary_of_the_grid() {
        assert_eq!(overview_map(&village_map(), "LX-V09"), None);
        assert_eq!(overview_map("not json", "LX-V01"), None);
        let map = overview_map(&village_map(), "LX-V01").unwrap();
        let book = responsibility_book(
            &registry::Grid {
                code: "LX-V01".into(),
                name: "朗霞村".into(),
                ..Default::default()
            },
            &[],
            &[],
            &[],
            Some(&map),
            "now",
        );
        assert!(book.contains("一张总览图") && book.contains("<svg class=\"map\""));
    }

    #[test]
    fn the_overview_map_is_a_page_of_its_own() {
        let map = overview_map(&village_map(), "LX").expect("the town's map");
        assert_eq!(
            map.matches("<path class=\"micro\"").count(),
            5,
            "every village's micro-grids"
        );
        let page = overview_document(
            &registry::Grid {
                code: "LX".into(),
                name: "廊下镇".into(),
                ..Default::default()
            },
            &map,
            "2026-12-01 09:00",
        );
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(page.contains("<title>廊下镇一张总览图 Overview map</title>"));
        assert!(page.contains("<svg class=\"map\"") && page.contains("5 个微网格"));
        assert!(page.contains("printed 2026-12-01 09:00"));
    }
}
