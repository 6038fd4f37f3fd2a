// The planners' workbench (`GET /planner`): coverage on the map, the summary by grid, community, street and district,
// the gaps, what-if (add, move or close stations), coverage by time of day, and proposed sites with their bound. Same
// rules as the residents' page (WebAssets.swift): string literals, no inline script or style, data only as text, no
// request but to the server. It shares that page's script and style base (`WebAssets.common`, `WebAssets.baseCSS`).

enum PlannerAssets {
    static let html = #"""
<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="theme-color" content="#0b5cad">
<title>家门口 · 规划工作台</title>
<link rel="stylesheet" href="/static/leaflet/leaflet.css">
<link rel="stylesheet" href="/static/planner.css">
<script type="application/json" id="doorstep-config">{{CONFIG}}</script>
</head>
<body data-state="loading">
<header>
<h1><span data-i18n="title">家门口</span><small data-i18n="subtitle">规划工作台</small></h1>
<a class="btn head" href="/" data-i18n="residents">居民页面</a>
<button id="lang" type="button" lang="en" aria-label="English">EN</button>
</header>
<main>
<div id="side">
<section id="options" aria-label="选项" data-i18n-label="options">
<div class="grid2">
<label><span data-i18n="mode">方式</span><select id="opt-walk"><option value="true" data-i18n="walking">步行（沿路网）</option><option value="false" data-i18n="straightLine">直线</option></select></label>
<label><span data-i18n="reach">范围</span><select id="opt-reach"><option value="100m">100 m</option><option value="5min">5 min · 300 m</option><option value="10min">10 min · 500 m</option><option value="15min">15 min · 1000 m</option><option value="own" data-i18n="own">各站自己的半径</option><option value="radius" data-i18n="radius">自定义半径</option></select></label>
<label id="radius-box" hidden><span data-i18n="metres">半径（米）</span><input id="opt-radius" type="number" min="1" max="100000" step="10" value="800"></label>
<label><span data-i18n="kind">类型</span><select id="opt-kind"><option value="" data-i18n="all">全部</option></select></label>
<label><span data-i18n="service">服务</span><select id="opt-service"><option value="" data-i18n="all">全部</option></select></label>
</div>
<div class="time">
<label class="check"><input id="opt-time" type="checkbox"><span data-i18n="atTime">只计开放的站点</span></label>
<select id="opt-day" aria-label="星期" data-i18n-label="day"></select>
<input id="opt-hour" type="range" min="0" max="23" step="1" value="19" aria-label="时刻" data-i18n-label="hour">
<output id="hour-out">19:00</output>
</div>
</section>
<div id="errors" role="alert" aria-live="assertive"></div>
<section id="totals" aria-live="polite">
<div class="big"><span id="total-share">—</span><small data-i18n="ofHouseholds">户数覆盖率</small></div>
<p><span data-i18n="households">户数</span> <strong id="total-households-covered">—</strong> / <span id="total-households">—</span>
 · <span data-i18n="population">人口</span> <strong id="total-population-covered">—</strong> / <span id="total-population">—</span></p>
<p id="delta" hidden><span data-i18n="change">变化</span> <strong id="delta-households">0</strong> <span data-i18n="hh">户</span> · <strong id="delta-compounds">0</strong> <span data-i18n="compoundsWord">个小区</span></p>
<p id="status"></p>
</section>
<details id="whatif-box" open>
<summary data-i18n="whatif">假设方案</summary>
<div class="row"><button id="mode-add" type="button" aria-pressed="false" data-i18n="addMode">在地图上添加站点</button><button id="undo" type="button" disabled data-i18n="undo">撤销</button><button id="reset" type="button" disabled data-i18n="reset">清空</button></div>
<p class="hint" data-i18n="whatifHint">点击站点可关闭或拖动它；添加的站点也可拖动。</p>
<ol id="changes"></ol>
<p class="row"><a id="export" class="btn" href="#" download="doorstep-scenario.geojson" hidden data-i18n="export">导出方案（GeoJSON）</a><a id="export-xlsx" class="btn" href="#" download="doorstep-scenario.xlsx" hidden data-i18n="exportXLSX">导出方案（Excel）</a></p>
<div class="row"><label><span data-i18n="proposeK">建议站点数</span> <input id="plan-k" type="number" min="1" max="50" value="3"></label><button id="propose" type="button" data-i18n="propose">建议选址</button></div>
<div id="plan-out"></div>
</details>
<details id="hours-box" open>
<summary data-i18n="overDay">一天中的覆盖</summary>
<div id="hours" role="img"></div>
</details>
<details id="summary-box" open>
<summary data-i18n="summary">分区汇总</summary>
<div class="tabs" role="tablist" id="levels"></div>
<nav id="crumbs" aria-label="层级"></nav>
<table id="summary"><thead><tr><th data-i18n="name">名称</th><th data-i18n="compounds">小区</th><th data-i18n="households">户数</th><th data-i18n="covered">已覆盖</th><th>%</th></tr></thead><tbody></tbody></table>
</details>
<details id="gaps-box" open>
<summary data-i18n="gaps">缺口（按户数）</summary>
<ol id="gaps"></ol>
</details>
<p class="legend"><span class="sw covered"></span><span data-i18n="stCovered">已覆盖</span> <span class="sw uncovered"></span><span data-i18n="stUncovered">未覆盖</span> <span class="sw no_path"></span><span data-i18n="stNoPath">无路可达</span> <span class="sw unreachable"></span><span data-i18n="stUnreachable">离路太远</span> <span class="sw newly"></span><span data-i18n="stNewly">新覆盖</span></p>
</div>
<div id="map" role="region" aria-label="地图" data-i18n-label="map"></div>
</main>
<noscript><p>本页需要 JavaScript。This page needs JavaScript.</p></noscript>
<script src="/static/leaflet/leaflet.js"></script>
<script src="/static/planner.js"></script>
</body>
</html>
"""#

    /// `/static/planner.css`: the shared base and the workbench's own (desktop first).
    static let css = WebAssets.baseCSS + #"""
[hidden]{display:none!important}
button,.btn{min-height:34px;border-radius:8px;font-size:14px;padding:0 10px}
.btn.head{background:transparent;color:#fff;border-color:#fff}
main{display:grid;grid-template-columns:440px 1fr;height:calc(100vh - 48px)}
#side{overflow-y:auto;background:#fff;border-right:1px solid #d5dbe1;font-size:14px}
#map{height:100%;background:#e8ecef}
#map.nomap{display:flex;align-items:center;justify-content:center;color:#4a5560}
section,details{padding:8px 12px;border-bottom:1px solid #e3e7eb}
summary{font-weight:700;cursor:pointer;padding:4px 0}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:6px 10px}
.grid2 label{display:flex;flex-direction:column;font-size:12px;color:#4a5560}
select,input[type=number]{font:inherit;font-size:14px;min-height:32px;border:1px solid #8a96a3;border-radius:6px;background:#fff;padding:0 6px}
.time{display:flex;align-items:center;gap:8px;margin-top:8px}
.time input[type=range]{flex:1}
.check{display:flex;align-items:center;gap:4px}
#totals .big{font-size:30px;font-weight:700;color:#0b5cad}
#totals .big small{font-size:13px;font-weight:400;color:#4a5560;margin-left:6px}
#totals p{margin:2px 0}
#status{color:#4a5560}
#delta strong{color:#125c2b}
.row{display:flex;gap:6px;align-items:center;flex-wrap:wrap;margin:4px 0}
.hint{color:#4a5560;font-size:12px;margin:4px 0}
button[aria-pressed=true]{background:#0b5cad;color:#fff}
button:disabled{opacity:.45;cursor:default}
#changes,#gaps{margin:4px 0;padding-left:22px}
#changes li,#gaps li{margin:2px 0}
#gaps li{cursor:pointer}
#gaps li:hover{background:#eef3f8}
#errors p{margin:6px 12px;padding:8px 10px;background:#fdecea;color:#8a1c12;border:1px solid #e3a29b;border-radius:6px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:right;padding:3px 4px;border-bottom:1px solid #eef0f2}
th:first-child,td:first-child{text-align:left}
tbody tr{cursor:pointer}
tbody tr:hover{background:#eef3f8}
tr.total{font-weight:700;cursor:default}
.tabs{display:flex;gap:4px;margin:4px 0}
.tabs button[aria-selected=true]{background:#0b5cad;color:#fff}
#crumbs{font-size:12px;margin:4px 0}
#crumbs a{cursor:pointer;color:#0b5cad;text-decoration:underline}
#hours svg{width:100%;height:120px}
#hours rect{cursor:pointer}
#plan-out p{margin:4px 0}
.legend{font-size:12px;color:#4a5560;padding:8px 12px}
.sw{display:inline-block;width:12px;height:12px;border-radius:2px;margin:0 3px 0 8px;vertical-align:middle}
.sw.covered{background:#2e8b57}.sw.uncovered{background:#d1391c}.sw.no_path{background:#e07b00}.sw.unreachable{background:#7a7a7a}.sw.newly{background:#1a73e8}
.site{width:18px;height:18px;border-radius:50%;background:#1a73e8;border:3px solid #fff;box-shadow:0 0 0 1px #1a73e8,0 1px 4px rgba(0,0,0,.5)}
.site.proposed{background:#8e24aa;box-shadow:0 0 0 1px #8e24aa}
.leaflet-container{font:inherit}
.leaflet-tooltip.name{white-space:normal;width:max-content;max-width:260px;font-weight:600}
.pop p{margin:2px 0}.pop .row button{font-size:13px}
@media (max-width:820px){main{grid-template-columns:1fr;grid-template-rows:auto 60vh;height:auto}}
"""#

    static let script = WebAssets.wrap(WebAssets.common + planner)

    static let planner = #"""
var T = {
  zh: { title: "家门口", subtitle: "规划工作台", residents: "居民页面", options: "选项", mode: "方式", walking: "步行（沿路网）", straightLine: "直线",
    reach: "范围", own: "各站自己的半径", radius: "自定义半径", metres: "半径（米）", kind: "类型", service: "服务", all: "全部",
    atTime: "只计开放的站点", day: "星期", hour: "时刻", ofHouseholds: "户数覆盖率", households: "户数", population: "人口", change: "变化",
    hh: "户", compoundsWord: "个小区", whatif: "假设方案", addMode: "在地图上添加站点", undo: "撤销", reset: "清空",
    whatifHint: "点击站点可关闭或拖动它；添加的站点也可拖动。", export: "导出方案（GeoJSON）", exportXLSX: "导出方案（Excel）", proposeK: "建议站点数", propose: "建议选址",
    overDay: "一天中的覆盖", summary: "分区汇总", name: "名称", compounds: "小区", covered: "已覆盖", gaps: "缺口（按户数）",
    stCovered: "已覆盖", stUncovered: "未覆盖", stNoPath: "无路可达", stUnreachable: "离路太远", stNewly: "新覆盖", map: "地图",
    server: "服务器错误", noMap: "地图不可用（Leaflet 未安装：libjs-leaflet）。", loading: "计算中…", ready: "{n} 个小区 · {s} 个站点参与计算 · {ms} 毫秒",
    added: "新增站点 {n}", closedSt: "关闭 {name}", moved: "移动 {name}", covers: "覆盖 {c} 个小区，新增 {h} 户", closeBtn: "关闭此站", moveBtn: "拖动此站",
    areaBtn: "服务范围", capacity: "容量", total: "合计", all2: "全市", noGaps: "没有缺口", gapLine: "{name}：{h} 户",
    proposed: "建议 {n} 个站点：新增 {h} 户，覆盖率 {p}%", bound: "上界：最多 {b} 户（差距 {g}%）", optimal: "已证明最优", addAll: "全部加入方案",
    site: "建议站点 {n}", hoursNote: "{day}，每小时整点，{mode}", dragNow: "拖动标记到新位置",
    levels: { district: "区", street: "街道", community: "社区", grid: "网格" },
    days: { Mo: "周一", Tu: "周二", We: "周三", Th: "周四", Fr: "周五", Sa: "周六", Su: "周日" },
    kinds: { center: "党群服务中心", station: "党群服务站", post: "驿站" } },
  en: { title: "Doorstep", subtitle: "planner's workbench", residents: "Residents' page", options: "Options", mode: "Mode", walking: "Walking (network)", straightLine: "Straight line",
    reach: "Reach", own: "Each station's radius", radius: "Custom radius", metres: "Radius (m)", kind: "Kind", service: "Service", all: "All",
    atTime: "Only stations open at", day: "Day", hour: "Hour", ofHouseholds: "of households covered", households: "Households", population: "People", change: "Change",
    hh: "households", compoundsWord: "compounds", whatif: "What-if", addMode: "Add a station on the map", undo: "Undo", reset: "Clear",
    whatifHint: "Click a station to close or drag it; added stations can be dragged too.", export: "Export scenario (GeoJSON)", exportXLSX: "Export scenario (Excel)", proposeK: "Sites", propose: "Propose sites",
    overDay: "Coverage over the day", summary: "Summary", name: "Name", compounds: "Compounds", covered: "Covered", gaps: "Gaps (by households)",
    stCovered: "covered", stUncovered: "uncovered", stNoPath: "no path", stUnreachable: "off the network", stNewly: "newly covered", map: "Map",
    server: "Server error", noMap: "Map unavailable (Leaflet not installed: libjs-leaflet).", loading: "Computing…", ready: "{n} compounds · {s} stations counted · {ms} ms",
    added: "New station {n}", closedSt: "Close {name}", moved: "Move {name}", covers: "covers {c} compounds, {h} households gained", closeBtn: "Close this station", moveBtn: "Drag this station",
    areaBtn: "Service area", capacity: "Capacity", total: "Total", all2: "City", noGaps: "No gaps", gapLine: "{name}: {h} households",
    proposed: "{n} sites proposed: {h} households gained, coverage {p}%", bound: "Bound: at most {b} households ({g}% gap)", optimal: "proven optimal", addAll: "Add all to the scenario",
    site: "Proposed site {n}", hoursNote: "{day}, on the hour, {mode}", dragNow: "Drag the marker to its new place",
    levels: { district: "District", street: "Street", community: "Community", grid: "Grid" },
    days: { Mo: "Mon", Tu: "Tue", We: "Wed", Th: "Thu", Fr: "Fri", Sa: "Sat", Su: "Sun" },
    kinds: { center: "Service centre", station: "Service station", post: "Rest post" } }
};
var LEVELS = ["district", "street", "community", "grid"], DAYS = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];
var KEY = { district: "district", street: "street", community: "community", grid: "grid_id" };
var NAME = { district: "district", street: "street", community: "community", grid: "grid" };
var COLORS = { covered: "#2e8b57", uncovered: "#d1391c", no_path: "#e07b00", unreachable: "#7a7a7a" };
var KIND_COLORS = { center: "#8e0b1e", station: "#d1391c", post: "#f08a24" };

// The scenario is a list of operations (undo pops the last): add a site, move an added site, close or move a station.
var st = { ops: [], rows: [], byID: {}, summary: null, changes: null, base: null, level: "district", drill: [], stations: [],
  stationByID: Object.create(null), seq: 0, adding: false, plan: null };
var map = null, layers = {};

function pad(n) { return (n < 10 ? "0" : "") + n; }
function num(n) { return n == null ? "—" : Number(n).toLocaleString(lang === "zh" ? "zh-CN" : "en"); }
function pct(a, b) { return b > 0 ? (100 * a / b).toFixed(1) : "—"; }
function q(name, value) { return name + "=" + encodeURIComponent(value); }

// ---- options (the CLI's choices) ----
function optionQuery(withTime) {
  var out = [], reach = $("opt-reach").value;
  out.push(q("walk", $("opt-walk").value));
  if (reach === "radius") out.push(q("radius", $("opt-radius").value));
  else if (reach !== "own") out.push(q("preset", reach));
  if ($("opt-kind").value) out.push(q("kind", $("opt-kind").value));
  if ($("opt-service").value) out.push(q("service", $("opt-service").value));
  if (withTime && $("opt-time").checked) out.push(q("open_at", $("opt-day").value + " " + pad(+$("opt-hour").value) + ":00"));
  return out;
}

// The scenario as the what-if API's `add` and `close` (a moved station: closed, and added where it now stands).
function scenario() {
  var sites = [], closed = [], moved = Object.create(null);
  st.ops.forEach(function (o) {
    if (o.type === "add") sites.push({ key: o.key, pos: o.pos, label: o.label });
    else if (o.type === "moveSite") sites.forEach(function (s) { if (s.key === o.key) s.pos = o.pos; });
    else if (o.type === "close") { if (closed.indexOf(o.id) < 0) closed.push(o.id); }
    else if (o.type === "move") moved[o.id] = o.pos;
  });
  Object.keys(moved).forEach(function (id) {
    if (closed.indexOf(id) < 0) { closed.push(id); sites.push({ key: "moved:" + id, pos: moved[id], label: id, movedFrom: id }); }
  });
  return { sites: sites, closed: closed };
}
function scenarioQuery(sc) {
  var out = [];
  if (sc.sites.length) out.push(q("add", sc.sites.map(function (s) { return s.pos[0].toFixed(6) + "," + s.pos[1].toFixed(6); }).join(";")));
  if (sc.closed.length) out.push(q("close", sc.closed.join(",")));
  return out;
}

// Options and scenario live in the URL, so a link reproduces the view.
function saveURL(sc) {
  var p = new URLSearchParams();
  p.set("walk", $("opt-walk").value); p.set("reach", $("opt-reach").value);
  if ($("opt-reach").value === "radius") p.set("radius", $("opt-radius").value);
  if ($("opt-kind").value) p.set("kind", $("opt-kind").value);
  if ($("opt-service").value) p.set("service", $("opt-service").value);
  if ($("opt-time").checked) { p.set("day", $("opt-day").value); p.set("hour", $("opt-hour").value); }
  if (sc.sites.length) p.set("add", sc.sites.map(function (s) { return s.pos[0].toFixed(6) + "," + s.pos[1].toFixed(6); }).join(";"));
  if (sc.closed.length) p.set("close", sc.closed.join(","));
  if (lang !== "zh") p.set("lang", lang);
  try { history.replaceState(null, "", "?" + p.toString()); } catch (e) { /* sandboxed */ }
}

function readURL() {
  var set = function (id, v, ok) { if (v != null && ok(v)) $(id).value = v; };
  set("opt-walk", params.get("walk"), function (v) { return v === "true" || v === "false"; });
  set("opt-reach", params.get("reach"), function (v) { return ["100m", "5min", "10min", "15min", "own", "radius"].indexOf(v) >= 0; });
  set("opt-radius", params.get("radius"), function (v) { return isFinite(+v) && +v > 0; });
  if (params.get("day") && DAYS.indexOf(params.get("day")) >= 0) { $("opt-time").checked = true; $("opt-day").value = params.get("day"); }
  set("opt-hour", params.get("hour"), function (v) { return /^\d+$/.test(v) && +v < 24; });
  var n = 0;
  (params.get("add") || "").split(";").forEach(function (pair) {
    var c = pair.split(",").map(Number);
    if (c.length === 2 && isFinite(c[0]) && isFinite(c[1]) && pair) st.ops.push({ type: "add", key: "u" + (++n), pos: c });
  });
  (params.get("close") || "").split(",").forEach(function (id) { if (id) st.ops.push({ type: "close", id: id, name: id }); });
}

// ---- computing ----
// The compounds' rows come from /v1/coverage, fetched again only when the options change. A scenario asks /v1/whatif
// for its totals and changes only (by=district: a few rows, not one per compound) and applies its newly covered and
// newly uncovered compounds to those rows — the what-if's own statuses, so the page and the API agree.
function refresh() {
  var sc = scenario(), opts = optionQuery(true), seq = ++st.seq, started = Date.now(), key = opts.join("&");
  saveURL(sc);
  $("radius-box").hidden = $("opt-reach").value !== "radius";
  $("hour-out").textContent = pad(+$("opt-hour").value) + ":00";
  document.body.dataset.state = "loading";
  $("status").textContent = t("loading");
  if ($("hours-box").open && hoursKey() !== st.hoursKey) drawHours();
  var changed = sc.sites.length + sc.closed.length > 0, whatif = opts.concat(scenarioQuery(sc));
  st.exportQuery = changed ? whatif : null;
  var base = key === st.baseKey ? Promise.resolve(st.base) : api("/v1/coverage?" + key).then(function (a) { st.base = a; st.baseKey = key; return a; });
  return base.then(function (coverage) {
    return changed ? api("/v1/whatif?" + whatif.concat(["by=district"]).join("&")).then(function (w) { return [coverage, w]; }) : [coverage, null];
  }).then(function (r) {
    if (seq !== st.seq) return;
    var coverage = r[0], w = r[1];
    st.summary = w ? w.summary : coverage.summary; st.changes = w ? w.changes : null; st.sites = sc.sites; st.closed = sc.closed;
    st.newly = Object.create(null); var gone = Object.create(null);
    if (w) { (w.changes.newly_covered || []).forEach(function (id) { st.newly[id] = true; }); (w.changes.newly_uncovered || []).forEach(function (id) { gone[id] = true; }); }
    st.rows = coverage.rows.map(function (row) {
      if (!st.newly[row.id] && !gone[row.id]) return row;
      var copy = Object.create(null); Object.keys(row).forEach(function (k) { copy[k] = row[k]; });
      copy.covered = !!st.newly[row.id]; copy.status = copy.covered ? "covered" : "uncovered";
      return copy;
    });
    st.byID = Object.create(null); st.rows.forEach(function (row) { st.byID[row.id] = row; });
    drawAll();
    $("status").textContent = t("ready", { n: num(st.rows.length), s: num(st.summary.qualifying_stations), ms: Date.now() - started });
    document.body.dataset.state = "done";
  }).catch(function (e) { if (seq === st.seq) { $("status").textContent = ""; showError(e.message); } });
}

function drawAll() { drawTotals(); drawChanges(); drawSummary(); drawGaps(); drawMap(); }

function drawTotals() {
  var s = st.summary || {};
  $("total-share").textContent = s.households_covered_pct == null ? "—" : s.households_covered_pct + "%";
  $("total-households-covered").textContent = num(s.households_covered);
  $("total-households").textContent = num(s.households);
  $("total-population-covered").textContent = num(s.population_covered);
  $("total-population").textContent = num(s.population);
  var c = st.changes;
  $("delta").hidden = !c;
  if (c) {
    var d = c.households_delta || 0;
    $("delta-households").textContent = (d > 0 ? "+" : "") + num(d);
    var dc = (c.newly_covered || []).length - (c.newly_uncovered || []).length;
    $("delta-compounds").textContent = (dc > 0 ? "+" : "") + dc;
  }
}

// The scenario's downloads: GeoJSON, and the workbook in the page's language.
function drawExports() {
  var w = st.exportQuery;
  $("export").hidden = !w; $("export-xlsx").hidden = !w;
  if (!w) return;
  $("export").href = "/v1/whatif?" + w.concat(["format=geojson"]).join("&");
  $("export-xlsx").href = "/v1/whatif?" + w.concat(["format=xlsx", q("lang", lang)]).join("&");
}

function drawChanges() {
  drawExports();
  var list = $("changes"); list.textContent = "";
  var added = {}; ((st.changes && st.changes.added) || []).forEach(function (a, i) { added[i] = a; });
  var i = 0;
  (st.sites || []).forEach(function (s) {
    var a = added[i++], li = el("li");
    li.dataset.site = s.key;
    li.appendChild(el("span", null, s.movedFrom ? t("moved", { name: stationName(s.movedFrom) }) : t("added", { n: s.key.replace(/^\D+/, "") })));
    if (a) li.appendChild(el("span", "meta", " — " + t("covers", { c: (a.covers || []).length, h: num(a.households) })));
    list.appendChild(li);
  });
  (st.closed || []).forEach(function (id) {
    if ((st.sites || []).some(function (s) { return s.movedFrom === id; })) return;
    list.appendChild(el("li", null, t("closedSt", { name: stationName(id) })));
  });
  $("undo").disabled = !st.ops.length; $("reset").disabled = !st.ops.length;
}
function stationName(id) { var s = st.stationByID[id]; return s && s.properties && s.properties.name || id; }

// The rows of the current drill-down scope.
function inScope(r) { return st.drill.every(function (d) { return String(r[KEY[d.level]] == null ? "(none)" : r[KEY[d.level]]) === d.key; }); }

function group(rows, level) {
  var g = Object.create(null), order = [];
  rows.forEach(function (r) {
    var k = r[KEY[level]] == null ? "(none)" : String(r[KEY[level]]);
    if (!g[k]) { g[k] = { key: k, name: r[NAME[level]] == null ? "(—)" : String(r[NAME[level]]), compounds: 0, households: 0, covered: 0 }; order.push(k); }
    var x = g[k]; x.compounds++;
    if (r.households != null) { x.households += r.households; if (r.covered) x.covered += r.households; }
  });
  return order.sort().map(function (k) { return g[k]; });
}

function drawSummary() {
  var tabs = $("levels"); tabs.textContent = "";
  var from = st.drill.length ? LEVELS.indexOf(st.drill[st.drill.length - 1].level) + 1 : 0;
  LEVELS.forEach(function (l, i) {
    var b = el("button", null, T[lang].levels[l]); b.type = "button"; b.setAttribute("role", "tab");
    b.setAttribute("aria-selected", l === st.level ? "true" : "false"); b.disabled = i < from;
    b.addEventListener("click", function () { st.level = l; drawSummary(); });
    tabs.appendChild(b);
  });
  var crumbs = $("crumbs"); crumbs.textContent = "";
  var top = el("a", null, t("all2")); top.addEventListener("click", function () { st.drill = []; st.level = "district"; drawSummary(); drawGaps(); });
  crumbs.appendChild(top);
  st.drill.forEach(function (d, i) {
    crumbs.appendChild(document.createTextNode(" › "));
    var a = el("a", null, d.name);
    a.addEventListener("click", function () { st.drill = st.drill.slice(0, i + 1); st.level = LEVELS[Math.min(LEVELS.indexOf(d.level) + 1, 3)]; drawSummary(); drawGaps(); });
    crumbs.appendChild(a);
  });
  var body = document.querySelector("#summary tbody"); body.textContent = "";
  var rows = st.rows.filter(inScope), tot = { compounds: 0, households: 0, covered: 0 };
  group(rows, st.level).forEach(function (g) {
    tot.compounds += g.compounds; tot.households += g.households; tot.covered += g.covered;
    var tr = el("tr"); tr.dataset.key = g.key; tr.dataset.level = st.level;
    [g.name, num(g.compounds), num(g.households), num(g.covered), pct(g.covered, g.households)].forEach(function (v) { tr.appendChild(el("td", null, v)); });
    tr.addEventListener("click", function () {
      if (st.level === "grid") { zoomToRows(rows.filter(function (r) { return String(r.grid_id) === g.key; })); return; }
      st.drill.push({ level: st.level, key: g.key, name: g.name }); st.level = LEVELS[LEVELS.indexOf(st.level) + 1];
      drawSummary(); drawGaps(); zoomToRows(st.rows.filter(inScope));
    });
    body.appendChild(tr);
  });
  var total = el("tr", "total");
  [t("total"), num(tot.compounds), num(tot.households), num(tot.covered), pct(tot.covered, tot.households)].forEach(function (v) { total.appendChild(el("td", null, v)); });
  total.id = "summary-total";
  body.appendChild(total);
}

function drawGaps() {
  var list = $("gaps"); list.textContent = "";
  var gaps = st.rows.filter(function (r) { return !r.covered && inScope(r); })
    .sort(function (a, b) { return (b.households || 0) - (a.households || 0) || (a.id < b.id ? -1 : 1); });
  if (!gaps.length) { list.appendChild(el("li", null, t("noGaps"))); return; }
  gaps.slice(0, 100).forEach(function (r) {
    var li = el("li", null, t("gapLine", { name: r.name, h: num(r.households) }));
    li.dataset.compoundId = r.id; li.tabIndex = 0;
    li.addEventListener("click", function () { zoomToCompound(r.id); });
    list.appendChild(li);
  });
}

// ---- the map ----
function initMap() {
  if (!window.L) { $("map").className = "nomap"; $("map").textContent = t("noMap"); return; }
  map = L.map("map", { zoomControl: true, attributionControl: false, preferCanvas: true });
  if (config.tiles) L.tileLayer(config.tiles, { maxZoom: 19 }).addTo(map);
  addAttribution(map);
  var geo = function (style) { return L.geoJSON(null, { style: style, coordsToLatLng: function (c) { return ll(c); } }); };
  layers.grids = geo(function (f) { var g = st.gridShare && st.gridShare[f.id]; return { color: "#5b3d8a", weight: 1.5, fillColor: shareColor(g), fillOpacity: g == null ? 0 : 0.35, interactive: false }; }).addTo(map);
  // The streets, from zoom 15 (a page of the view's ways), under everything else.
  layers.ways = geo({ color: "#98a4b0", weight: 1.5, fillOpacity: 0, interactive: false }).addTo(map);
  map.on("moveend", loadWays);
  layers.areas = L.layerGroup().addTo(map);
  layers.compounds = geo(function (f) {
    var r = st.byID[f.id], s = r ? r.status : null, newly = st.newly && st.newly[f.id];
    return { color: newly ? "#1a73e8" : COLORS[s] || "#98a4b0", weight: newly ? 3 : 1, fillColor: COLORS[s] || "#98a4b0", fillOpacity: 0.55 };
  }).addTo(map);
  layers.compounds.on("click", function (e) {
    var r = st.byID[e.layer.feature.id]; if (!r) return;
    L.popup().setLatLng(e.latlng).setContent(compoundPopup(r)).openOn(map);
  });
  layers.stations = L.layerGroup().addTo(map);
  layers.sites = L.layerGroup().addTo(map);
  layers.plan = L.layerGroup().addTo(map);
  map.on("click", function (e) {
    if (!st.adding) return;
    var n = st.ops.filter(function (o) { return o.type === "add"; }).length + 1;
    st.ops.push({ type: "add", key: "u" + n, pos: fromMap(e.latlng) });
    refresh();
  });
}

var waysKey = "";
function loadWays() {
  if (map.getZoom() < 15) { layers.ways.clearLayers(); waysKey = ""; return; }
  var b = map.getBounds(), sw = fromMap(b.getSouthWest()), ne = fromMap(b.getNorthEast());
  var bbox = [sw[0], sw[1], ne[0], ne[1]].map(function (x) { return x.toFixed(5); }).join(",");
  if (bbox === waysKey) return; waysKey = bbox;
  api("/collections/ways/items?limit=5000&bbox=" + bbox).then(function (fc) {
    if (waysKey !== bbox) return;
    layers.ways.clearLayers(); layers.ways.addData(fc); layers.ways.bringToBack();
  }).catch(function (e) { showError("ways: " + e.message); });
}

function shareColor(s) {
  if (s == null) return "#ccc";
  var r = s < 0.5 ? 215 : Math.round(215 - (s - 0.5) * 2 * 170), g = s < 0.5 ? Math.round(60 + s * 2 * 140) : 200;
  return "rgb(" + r + "," + g + ",60)";
}

function compoundPopup(r) {
  var box = el("div", "pop");
  box.appendChild(el("p", null, r.name)); box.lastChild.style.fontWeight = "700";
  box.appendChild(el("p", null, t("households") + " " + num(r.households) + " · " + t("population") + " " + num(r.population)));
  box.appendChild(el("p", null, T[lang]["st" + { covered: "Covered", uncovered: "Uncovered", no_path: "NoPath", unreachable: "Unreachable" }[r.status]] || r.status));
  if (r.nearest_walking_station || r.nearest_station) {
    var m = r.walking_m != null ? r.walking_m : r.straight_m;
    box.appendChild(el("p", null, "→ " + stationName(r.nearest_walking_station || r.nearest_station) + " · " + num(Math.round(m)) + " m"));
  }
  if (r.reason) box.appendChild(el("p", null, r.reason));
  return box;
}

function drawMap() {
  if (!map) return;
  st.gridShare = Object.create(null);
  group(st.rows, "grid").forEach(function (g) { st.gridShare[g.key] = g.households > 0 ? g.covered / g.households : null; });
  layers.grids.setStyle(layers.grids.options.style);
  layers.compounds.setStyle(layers.compounds.options.style);
  drawStations();
  layers.sites.clearLayers();
  var added = (st.changes && st.changes.added) || [];
  (st.sites || []).forEach(function (s, i) {
    var m = L.marker(ll(s.pos), { draggable: true, title: s.key, icon: L.divIcon({ className: "", iconSize: [18, 18], iconAnchor: [9, 9], html: el("div", "site") }) });
    var a = added[i];
    m.bindTooltip(tipNode((s.movedFrom ? stationName(s.movedFrom) : t("added", { n: s.key.replace(/^\D+/, "") })) + (a ? " · " + t("covers", { c: (a.covers || []).length, h: num(a.households) }) : "")), { className: "name" });
    m.on("dragend", function () {
      var pos = fromMap(m.getLatLng());
      st.ops.push(s.movedFrom ? { type: "move", id: s.movedFrom, pos: pos } : { type: "moveSite", key: s.key, pos: pos });
      refresh();
    });
    m.addTo(layers.sites);
  });
}

function drawStations() {
  layers.stations.clearLayers();
  var closed = Object.create(null); (st.closed || []).forEach(function (id) { closed[id] = true; });
  st.stations.forEach(function (f) {
    if (!f.geometry || closed[f.id]) return;
    var k = f.properties && f.properties.kind, r = k === "center" ? 8 : k === "station" ? 6 : 4;
    var m = L.circleMarker(ll(f.geometry.coordinates), { radius: r, color: "#fff", weight: 1.5, fillColor: KIND_COLORS[k] || "#5f6b77", fillOpacity: 1 });
    m.bindTooltip(tipNode((f.properties && f.properties.name || f.id) + (k ? " · " + tr("kinds", k) : "")), { className: "name" });
    m.on("click", function (e) { L.DomEvent.stopPropagation(e); L.popup().setLatLng(e.latlng).setContent(stationPopup(f)).openOn(map); });
    m.addTo(layers.stations);
  });
}

function stationPopup(f) {
  var p = f.properties || {}, box = el("div", "pop");
  box.appendChild(el("p", null, p.name || f.id)); box.lastChild.style.fontWeight = "700";
  box.appendChild(el("p", null, [p.kind ? tr("kinds", p.kind) : "", p.capacity != null ? t("capacity") + " " + p.capacity : "", p.hours || ""].filter(Boolean).join(" · ")));
  var row = el("div", "row");
  var area = el("button", null, t("areaBtn")); area.type = "button";
  area.addEventListener("click", function () { showArea(f.id); map.closePopup(); });
  var close = el("button", null, t("closeBtn")); close.type = "button";
  close.addEventListener("click", function () { st.ops.push({ type: "close", id: f.id, name: p.name }); map.closePopup(); refresh(); });
  var move = el("button", null, t("moveBtn")); move.type = "button";
  move.addEventListener("click", function () {
    map.closePopup();
    // A handle on the station: where it is dropped, the station moves (closed here, added there).
    var h = L.marker(ll(f.geometry.coordinates), { draggable: true, icon: L.divIcon({ className: "", iconSize: [18, 18], iconAnchor: [9, 9], html: el("div", "site") }) });
    h.bindTooltip(tipNode(t("dragNow")), { permanent: true, direction: "top", offset: [0, -10] });
    h.on("dragend", function () { st.ops.push({ type: "move", id: f.id, name: p.name, pos: fromMap(h.getLatLng()) }); layers.sites.removeLayer(h); refresh(); });
    h.addTo(layers.sites);
  });
  row.appendChild(area); row.appendChild(close); row.appendChild(move); box.appendChild(row);
  return box;
}

function showArea(id) {
  // The station's own reach as the options say: the preset or radius (at most the areas' 20 km), or its radius_m.
  var opts = optionQuery(false).filter(function (x) { return !/^(kind|service|radius)=/.test(x); }), f = st.stationByID[id];
  var own = f && f.properties && +f.properties.radius_m, reach = $("opt-reach").value;
  if (reach === "radius") opts.push(q("radius", Math.min(20000, +$("opt-radius").value || 500)));
  else if (reach === "own" && own > 0) opts.push(q("radius", Math.min(20000, own)));
  api("/v1/areas?" + opts.concat([q("station", id)]).join("&")).then(function (fc) {
    layers.areas.clearLayers();
    L.geoJSON(fc, { style: { color: "#0b5cad", weight: 2, fillOpacity: 0.12 }, coordsToLatLng: function (c) { return ll(c); }, interactive: false }).addTo(layers.areas);
  }).catch(function (e) { showError(e.message); });
}

function boundsOf(ids) {
  var b = null;
  layers.compounds.eachLayer(function (l) { if (ids[l.feature.id]) { b = b ? b.extend(l.getBounds()) : L.latLngBounds(l.getBounds().getSouthWest(), l.getBounds().getNorthEast()); } });
  return b;
}
function zoomToRows(rows) {
  if (!map) return;
  var ids = Object.create(null); rows.forEach(function (r) { ids[r.id] = true; });
  var b = boundsOf(ids); if (b) map.fitBounds(b, { padding: [20, 20], maxZoom: 17 });
}
function zoomToCompound(id) {
  if (!map) return;
  var ids = Object.create(null); ids[id] = true;
  var b = boundsOf(ids); if (!b) return;
  map.fitBounds(b, { padding: [60, 60], maxZoom: 18 });
  layers.compounds.eachLayer(function (l) { if (l.feature.id === id) l.setStyle({ weight: 5, color: "#f5b400" }); });
}

// Every feature of a collection, page by page (the server's `next` links).
function allItems(name) {
  var out = [];
  function page(url) {
    return api(url).then(function (fc) {
      out = out.concat(fc.features || []);
      var next = (fc.links || []).filter(function (l) { return l.rel === "next"; })[0];
      if (next && out.length < 200000) { var u = new URL(next.href, location.href); return page(u.pathname + u.search); }
      return out;
    });
  }
  return page("/collections/" + name + "/items?limit=10000");
}

// ---- what-if controls ----
function initControls() {
  DAYS.forEach(function (d) { var o = el("option", null, T[lang].days[d]); o.value = d; $("opt-day").appendChild(o); });
  ["opt-walk", "opt-reach", "opt-radius", "opt-kind", "opt-service", "opt-time", "opt-day"].forEach(function (id) { $(id).addEventListener("change", refresh); });
  $("opt-hour").addEventListener("input", function () { $("hour-out").textContent = pad(+$("opt-hour").value) + ":00"; });
  $("opt-hour").addEventListener("change", function () { $("opt-time").checked = true; refresh(); });
  $("mode-add").addEventListener("click", function () {
    st.adding = !st.adding; $("mode-add").setAttribute("aria-pressed", String(st.adding));
    if (map) map.getContainer().style.cursor = st.adding ? "crosshair" : "";
  });
  $("undo").addEventListener("click", function () { st.ops.pop(); refresh(); });
  $("reset").addEventListener("click", function () { st.ops = []; refresh(); });
  $("propose").addEventListener("click", propose);
  $("hours-box").addEventListener("toggle", function () { if ($("hours-box").open && st.summary && hoursKey() !== st.hoursKey) drawHours(); });
}

function propose() {
  var k = Math.max(1, Math.min(50, parseInt($("plan-k").value, 10) || 3));
  var out = $("plan-out"); out.textContent = t("loading");
  api("/v1/plan?" + optionQuery(true).concat([q("add", k)]).join("&")).then(function (p) {
    out.textContent = ""; layers.plan && layers.plan.clearLayers();
    out.appendChild(el("p", null, t("proposed", { n: p.sites.length, h: num(p.households_added), p: p.final_pct })));
    if (p.upper_bound != null) out.appendChild(el("p", null, t("bound", { b: num(Math.floor(p.upper_bound)), g: p.gap_to_bound_pct == null ? "—" : p.gap_to_bound_pct.toFixed(1) }) + (p.proven_optimal ? " · " + t("optimal") : "")));
    var ol = el("ol");
    p.sites.forEach(function (s) {
      ol.appendChild(el("li", null, (s.name || s.id) + " · +" + num(s.households_added) + " " + t("hh")));
      if (map) L.marker(ll([s.lon, s.lat]), { icon: L.divIcon({ className: "", iconSize: [18, 18], iconAnchor: [9, 9], html: el("div", "site proposed") }) })
        .bindTooltip(tipNode(t("site", { n: s.rank }) + " · +" + num(s.households_added)), { className: "name" }).addTo(layers.plan);
    });
    out.appendChild(ol);
    var all = el("button", null, t("addAll")); all.type = "button";
    all.addEventListener("click", function () {
      p.sites.forEach(function (s) { st.ops.push({ type: "add", key: "u" + (st.ops.length + 1), pos: [s.lon, s.lat] }); });
      if (layers.plan) layers.plan.clearLayers(); out.textContent = ""; refresh();
    });
    out.appendChild(all);
  }).catch(function (e) { out.textContent = ""; showError(e.message); });
}

// The share covered at each hour of the day: a bar chart; a bar sets the time filter.
function hoursKey() { return optionQuery(true).join("&") + "&day=" + $("opt-day").value + "&hour=" + $("opt-hour").value; }
// (Of the stations as they are: a scenario's changes are not in it.)
function drawHours() {
  var box = $("hours"), day = $("opt-day").value;
  st.hoursKey = hoursKey();
  box.textContent = t("loading");
  api("/v1/coverage/hours?" + optionQuery(false).concat([q("day", day)]).join("&")).then(function (a) {
    box.textContent = "";
    var ns = "http://www.w3.org/2000/svg", svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 240 110");
    (a.hours || []).forEach(function (h) {
      var hgt = Math.round((h.share || 0) * 90), r = document.createElementNS(ns, "rect");
      r.setAttribute("x", String(h.hour * 10 + 1)); r.setAttribute("width", "8");
      r.setAttribute("y", String(95 - hgt)); r.setAttribute("height", String(hgt));
      r.setAttribute("fill", shareColor(h.share)); r.dataset.hour = h.hour; r.dataset.share = h.share;
      if ($("opt-time").checked && +$("opt-hour").value === h.hour) { r.setAttribute("stroke", "#0b5cad"); r.setAttribute("stroke-width", "2"); }
      var title = document.createElementNS(ns, "title"); title.textContent = h.time + " · " + (100 * (h.share || 0)).toFixed(1) + "%"; r.appendChild(title);
      r.addEventListener("click", function () { $("opt-time").checked = true; $("opt-hour").value = h.hour; refresh(); });
      svg.appendChild(r);
      if (h.hour % 6 === 0) { var tx = document.createElementNS(ns, "text"); tx.setAttribute("x", String(h.hour * 10)); tx.setAttribute("y", "107"); tx.setAttribute("font-size", "8"); tx.textContent = h.time; svg.appendChild(tx); }
    });
    box.appendChild(svg);
    box.appendChild(el("p", "hint", t("hoursNote", { day: T[lang].days[day], mode: $("opt-walk").value === "true" ? t("walking") : t("straightLine") })));
  }).catch(function (e) { box.textContent = ""; showError(e.message); });
}

function applyLang() {
  translatePage();
  document.querySelectorAll("#opt-day option").forEach(function (o) { o.textContent = T[lang].days[o.value]; });
  if (st.summary) drawAll();
}

initControls();
initMap();
langButton(applyLang);
readURL();
applyLang();
// The stations (for the map and the kind and service choices), compounds and grids, then the coverage.
Promise.all([allItems("stations"), map ? allItems("compounds") : Promise.resolve([]), map ? allItems("grids") : Promise.resolve([])]).then(function (r) {
  st.stations = r[0];
  var kinds = Object.create(null), services = Object.create(null);
  st.stations.forEach(function (f) {
    st.stationByID[f.id] = f;
    var p = f.properties || {};
    if (p.kind) kinds[p.kind] = true;
    (Array.isArray(p.services) ? p.services : String(p.services || "").split(/[,;]/)).forEach(function (s) { if (s) services[s.trim()] = true; });
  });
  Object.keys(kinds).sort().forEach(function (k) { var o = el("option", null, tr("kinds", k)); o.value = k; $("opt-kind").appendChild(o); });
  Object.keys(services).sort().forEach(function (s) { var o = el("option", null, s); o.value = s; $("opt-service").appendChild(o); });
  ["kind", "service"].forEach(function (n) { var v = params.get(n); if (v && (n === "kind" ? kinds : services)[v]) $("opt-" + n).value = v; });
  if (map) {
    layers.grids.addData({ type: "FeatureCollection", features: r[2] });
    layers.compounds.addData({ type: "FeatureCollection", features: r[1] });
    var b = layers.compounds.getBounds();
    if (b.isValid()) map.fitBounds(b, { padding: [12, 12] }); else map.setView([0, 0], 1);
  }
  return refresh();
}).catch(function (e) { showError(e.message); });
"""#
}
