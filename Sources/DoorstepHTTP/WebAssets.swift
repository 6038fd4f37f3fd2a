// The residents' page (`GET /` for browsers) and its script (`/static/doorstep.js`), as string literals so the
// package needs no resources. Leaflet itself comes from Debian's libjs-leaflet (`/static/leaflet/…`, WebPage.swift).
// Budget: page + script + styles under 100 KB (WebPageTests checks).
//
// Data is text: no value from the data, the API's answers, the URL or the options reaches an HTML parser
// (innerHTML, Leaflet's string tooltips, popups, attributions or divIcon html). The script builds DOM nodes with
// textContent and hands Leaflet elements. The page is served with a Content-Security-Policy that allows no inline
// script or style (SecurityHeaders.swift), so it has none: styles are /static/doorstep.css, options a JSON data block.

enum WebAssets {
    static let html = #"""
<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="theme-color" content="#0b5cad">
<title>家门口 · 附近的服务站</title>
<link rel="stylesheet" href="/static/leaflet/leaflet.css">
<link rel="stylesheet" href="/static/doorstep.css">
<script type="application/json" id="doorstep-config">{{CONFIG}}</script>
</head>
<body data-state="loading">
<header>
<h1><span data-i18n="title">家门口</span><small data-i18n="subtitle">附近的服务站</small></h1>
<button id="lang" type="button" lang="en" aria-label="English">EN</button>
</header>
<main>
<div id="side">
<section id="controls" aria-label="搜索" data-i18n-label="search">
<div class="row">
<button id="locate" class="primary" type="button"><svg width="20" height="20" viewBox="0 0 24 24" aria-hidden="true"><circle cx="12" cy="12" r="7" fill="none" stroke="currentColor" stroke-width="2"/><circle cx="12" cy="12" r="3" fill="currentColor"/><path d="M12 1v4M12 19v4M1 12h4M19 12h4" stroke="currentColor" stroke-width="2"/></svg><span data-i18n="locate">使用我的位置</span></button>
</div>
<p id="hint" data-i18n="hint">或在地图上点一下你的位置</p>
<fieldset>
<legend data-i18n="services">服务</legend>
<div class="chips" id="services"><label class="chip now"><input type="checkbox" id="opennow"><span data-i18n="openNow">现在开放</span></label></div>
</fieldset>
</section>
<div id="errors" role="alert" aria-live="assertive"></div>
<p id="status" aria-live="polite"></p>
<ol id="results" aria-label="最近的服务站" data-i18n-label="results"></ol>
</div>
<div id="map" role="region" aria-label="地图" data-i18n-label="map"></div>
</main>
<noscript><p>本页需要 JavaScript。This page needs JavaScript.</p></noscript>
<script src="/static/leaflet/leaflet.js"></script>
<script src="/static/doorstep.js"></script>
</body>
</html>
"""#

    /// `/static/doorstep.css`: the page's styles (a file, since the policy allows no inline style).
    static let css = baseCSS + residentsCSS

    /// What both pages' styles share: type, the header bar, buttons, focus rings.
    static let baseCSS = #"""
*{box-sizing:border-box}
html,body{margin:0;padding:0}
body{font:16px/1.45 system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;color:#1a1a1a;background:#f4f6f8}
header{display:flex;align-items:center;gap:8px;padding:6px 12px;background:#0b5cad;color:#fff;position:sticky;top:0;z-index:1000}
header h1{font-size:19px;margin:0;flex:1;font-weight:700}
header h1 small{font-size:13px;font-weight:400;opacity:.9;margin-left:6px}
button,.btn{font:inherit;min-height:44px;min-width:44px;border-radius:10px;border:1px solid #0b5cad;background:#fff;color:#0b5cad;padding:0 14px;cursor:pointer;display:inline-flex;align-items:center;justify-content:center;gap:6px;text-decoration:none;font-weight:600}
button:focus-visible,.btn:focus-visible,input:focus-visible+span{outline:3px solid #f5b400;outline-offset:2px}
#lang{background:transparent;color:#fff;border-color:#fff}
.primary{background:#0b5cad;color:#fff}
"""#

    static let residentsCSS = #"""
#controls{padding:8px 12px 4px;background:#fff;border-bottom:1px solid #d5dbe1}
.row{display:flex;gap:8px;align-items:center;flex-wrap:wrap}
#locate{flex:1}
#hint{font-size:14px;color:#4a5560;margin:6px 0 2px}
fieldset{border:0;margin:0;padding:0}
legend{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
.chips{display:flex;gap:6px;overflow-x:auto;padding:6px 0;scrollbar-width:none}
.chip{position:relative;flex:none}
.chip input{position:absolute;opacity:0;width:100%;height:100%;margin:0;cursor:pointer}
.chip span{display:flex;align-items:center;min-height:44px;padding:0 14px;border-radius:22px;border:1px solid #8a96a3;background:#fff;color:#1a1a1a;white-space:nowrap}
.chip input:checked+span{background:#0b5cad;border-color:#0b5cad;color:#fff}
.chip input:checked+span::before{content:"✓ "}
.chip.now span{border-color:#125c2b;color:#125c2b;font-weight:600}
.chip.now input:checked+span{background:#125c2b;border-color:#125c2b;color:#fff}
main{display:flex;flex-direction:column}
#side{display:contents}
#controls{order:1}#errors{order:2}#map{order:3}#status{order:4}#results{order:5}
#map{height:38vh;min-height:220px;background:#e8ecef}
#map.nomap{display:flex;align-items:center;justify-content:center;color:#4a5560;padding:12px;text-align:center}
#errors{margin:0;padding:0}
#errors p{margin:8px 12px;padding:10px 12px;background:#fdecea;color:#8a1c12;border:1px solid #e3a29b;border-radius:8px}
#status{padding:8px 12px 0;margin:0;font-size:14px;color:#4a5560}
#results{list-style:none;margin:0;padding:4px 12px 24px}
#results li{background:#fff;border:1px solid #d5dbe1;border-radius:12px;padding:10px 12px;margin:8px 0}
#results li.chosen{border:2px solid #0b5cad;padding:9px 11px}
#results h2{font-size:17px;margin:0;display:flex;gap:8px;align-items:baseline}
#results h2 .n{color:#0b5cad}
.badge{font-size:13px;font-weight:600;border-radius:6px;padding:1px 7px;white-space:nowrap}
.open{background:#dff3e4;color:#125c2b}.closed{background:#f1f1f1;color:#5c5c5c}.unknown{background:#fff4d6;color:#6b4b00}
.dist{font-size:15px;margin:4px 0 2px;color:#1a1a1a}
.dist strong{font-size:17px}
.meta{font-size:14px;color:#4a5560;margin:2px 0}
.acts{display:flex;gap:8px;margin-top:8px}
.acts>*{flex:1}
.acts .btn,.acts button{white-space:nowrap;font-size:15px;padding:0 10px}
.leaflet-container{font:inherit}
.pin{width:30px;height:30px;border-radius:50% 50% 50% 0;transform:rotate(-45deg);border:2px solid #fff;box-shadow:0 1px 3px rgba(0,0,0,.45);background:#0b5cad}
.pin.closed{background:#6b7680}.pin.chosen{background:#d1391c}
.pin span{transform:rotate(45deg);width:26px;height:26px;display:flex;align-items:center;justify-content:center;font:700 14px system-ui;color:#fff}
.you{width:18px;height:18px;border-radius:50%;background:#1a73e8;border:3px solid #fff;box-shadow:0 0 0 1px #1a73e8,0 1px 4px rgba(0,0,0,.5)}
.leaflet-tooltip.name{white-space:normal;width:max-content;max-width:min(60vw,260px);font-weight:600}
@media (min-width:820px){
 main{display:grid;grid-template-columns:400px 1fr;grid-template-rows:100%;height:calc(100vh - 56px)}
 #side{display:block;overflow-y:auto;grid-column:1;grid-row:1}
 #map{grid-column:2;grid-row:1;height:100%}
}
"""#

    /// The residents' script: the shared part and the page's own.
    static let script = wrap(common + residents)

    /// A page's script: strict mode, one scope of its own.
    static func wrap(_ body: String) -> String { "\"use strict\";\n(function () {\n" + body + "\n})();\n" }

    /// What both pages' scripts share: errors shown (never swallowed, CSP violations too), the config block, GCJ-02
    /// for Chinese basemaps, DOM nodes made with text, the JSON API, links as text, the credits under the map. The page
    /// part defines `T`, `lang` and `t` (api's "server error" word).
    static let common = #"""
var $ = function (id) { return document.getElementById(id); };
// Errors are shown, never swallowed.
function showError(message) {
  var p = document.createElement("p");
  p.textContent = "⚠ " + message;
  $("errors").appendChild(p);
  if (document.body.dataset.state !== "done") document.body.dataset.state = "error";
}
window.addEventListener("error", function (e) { showError((e.message || "error") + (e.filename ? " (" + e.filename.split("/").pop() + ":" + e.lineno + ")" : "")); });
window.addEventListener("unhandledrejection", function (e) { showError(String(e.reason && e.reason.message || e.reason)); });
// Anything the Content-Security-Policy blocks is a bug of the page (or an injection): shown, so tests see it too.
document.addEventListener("securitypolicyviolation", function (e) {
  showError("CSP: " + e.effectiveDirective + " " + (e.blockedURI || "inline") + (e.sourceFile ? " (" + e.sourceFile.split("/").pop() + ":" + e.lineNumber + ")" : ""));
});

var config = {};
try { config = JSON.parse($("doorstep-config").textContent); } catch (e) { showError("config: " + e.message); }

// The language: ?lang=, else the last choice, else Chinese. The page part defines `T`, its words.
var params = new URLSearchParams(location.search);
var lang = params.get("lang") || (function () { try { return localStorage.getItem("doorstep.lang"); } catch (e) { return null; } })() || "zh";
if (lang !== "zh" && lang !== "en") lang = "zh"; // not T[lang]: ?lang=constructor is an object too
// The words of `key`, its {placeholders} filled in one pass (a value holding "{h}" is never filled in again).
function t(key, vars) {
  var s = T[lang][key];
  return vars ? s.replace(/\{(\w+)\}/g, function (m, k) { return Object.prototype.hasOwnProperty.call(vars, k) ? String(vars[k]) : m; }) : s;
}
// A translation of a data value (kind, service) or the value itself: own keys only, so "constructor" stays text.
function tr(table, key) { return Object.prototype.hasOwnProperty.call(T[lang][table], key) ? T[lang][table][key] : String(key); }

// GCJ-02 (China's shifted coordinates) for Chinese basemaps: the overlay is shifted onto the tiles.
var gcj = config.tilesCRS === "gcj02";
function outOfChina(lon, lat) { return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271; }
function toGCJ(lon, lat) {
  if (outOfChina(lon, lat)) return [lon, lat];
  var a = 6378245.0, ee = 0.00669342162296594323, x = lon - 105, y = lat - 35, PI = Math.PI;
  var dLat = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  dLat += (20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2 / 3 + (20 * Math.sin(y * PI) + 40 * Math.sin(y / 3 * PI)) * 2 / 3 + (160 * Math.sin(y / 12 * PI) + 320 * Math.sin(y * PI / 30)) * 2 / 3;
  var dLon = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  dLon += (20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2 / 3 + (20 * Math.sin(x * PI) + 40 * Math.sin(x / 3 * PI)) * 2 / 3 + (150 * Math.sin(x / 12 * PI) + 300 * Math.sin(x / 30 * PI)) * 2 / 3;
  var rad = lat / 180 * PI, magic = Math.sin(rad); magic = 1 - ee * magic * magic; var sq = Math.sqrt(magic);
  return [lon + dLon * 180 / (a / sq * Math.cos(rad) * PI), lat + dLat * 180 / ((a * (1 - ee)) / (magic * sq) * PI)];
}
// [lon, lat] WGS84 → Leaflet LatLng on the map, and back (the inverse by fixed-point iteration, well under 1 cm).
function ll(c) { var p = gcj ? toGCJ(c[0], c[1]) : c; return L.latLng(p[1], p[0]); }
function fromMap(latlng) {
  var lon = latlng.lng, lat = latlng.lat;
  if (!gcj) return [lon, lat];
  var w = [lon, lat];
  for (var i = 0; i < 4; i++) { var g = toGCJ(w[0], w[1]); w = [w[0] - (g[0] - lon), w[1] - (g[1] - lat)]; }
  return w;
}


// A tooltip's content: the text as a DOM node (a string would be parsed as HTML by Leaflet).
function tipNode(text) { return el("span", null, String(text)); }
function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; }

function api(url) {
  return fetch(url, { headers: { Accept: "application/json" } }).then(function (r) {
    return r.json().catch(function () { return {}; }).then(function (body) {
      if (!r.ok) { var e = new Error(body.description || (t("server") + " " + r.status)); e.status = r.status; e.code = body.code; throw e; }
      return body;
    });
  });
}

function link(href, text) { var a = el("a", null, text); a.href = href; a.rel = "noopener noreferrer"; a.target = "_blank"; return a; }
// Appends `text` to `box` as text, its http(s) URLs as links (only those schemes can match).
function linkify(box, text) {
  text.split(/(https?:\/\/[^\s<>"]+)/).forEach(function (part, i) {
    if (part) box.appendChild(i % 2 ? link(part, part) : document.createTextNode(part));
  });
}

// The page's fixed words in the language (data-i18n, data-i18n-label) and the language button.
function translatePage() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.title = t("title") + " · " + t("subtitle");
  document.querySelectorAll("[data-i18n]").forEach(function (n) { n.textContent = t(n.dataset.i18n); });
  document.querySelectorAll("[data-i18n-label]").forEach(function (n) { n.setAttribute("aria-label", t(n.dataset.i18nLabel)); });
  var b = $("lang");
  b.textContent = lang === "zh" ? "EN" : "中文";
  b.lang = lang === "zh" ? "en" : "zh-CN";
  b.setAttribute("aria-label", lang === "zh" ? "English" : "中文");
}
// The language button: switches, remembers, and calls `apply`.
function langButton(apply) {
  $("lang").addEventListener("click", function () {
    lang = lang === "zh" ? "en" : "zh";
    try { localStorage.setItem("doorstep.lang", lang); } catch (e) { /* private mode: the choice lasts this page */ }
    apply();
  });
}

// The credits under the map, as text: Leaflet, the basemap's (with --tiles) and the data's own (the landing page's
// attribution: OpenStreetMap's only for layers that came from it). Leaflet's own control would parse them as HTML.
function addAttribution(map) {
  var Attribution = L.Control.extend({ options: { position: "bottomright" }, onAdd: function () {
    var box = L.DomUtil.create("div", "leaflet-control-attribution");
    box.appendChild(link("https://leafletjs.com", "Leaflet"));
    if (config.tiles && config.attribution) { box.appendChild(document.createTextNode(" | ")); linkify(box, String(config.attribution)); }
    var data = document.createElement("span");
    data.id = "data-credit";
    box.appendChild(data);
    api("/?f=json").then(function (landing) {
      if (typeof landing.attribution === "string" && landing.attribution) data.textContent = " | " + landing.attribution;
    }).catch(function () {});
    L.DomEvent.disableClickPropagation(box);
    return box;
  } });
  map.addControl(new Attribution());
}

"""#

    static let residents = #"""
var T = {
  zh: { title: "家门口", subtitle: "附近的服务站", locate: "使用我的位置", hint: "或在地图上点一下你的位置",
    services: "服务", openNow: "现在开放", search: "搜索", results: "最近的服务站", map: "地图",
    locating: "正在定位…", searching: "正在查找…", found: "离你最近的 {n} 个服务站", none: "附近没有符合条件的服务站",
    straightNote: "步行距离不可用，按直线距离排列。", walk: "步行", straight: "直线", min: "分钟", m: "米", km: "公里",
    open: "营业中", closed: "已关门", unknown: "时间未知", call: "电话", route: "路线", chosen: "✓ 已显示路线",
    you: "你的位置", noGeo: "此浏览器不支持定位，请在地图上点选位置。", noData: "还没有服务站数据。", geoFail: "定位失败：{m}。请在地图上点选位置。",
    noMap: "地图不可用（Leaflet 未安装：libjs-leaflet）。列表仍可使用。", pick: "请使用定位或在地图上点选位置。",
    hours: "时间", addr: "地址", noRoute: "没有可走的路线", server: "服务器错误",
    kind: { center: "服务中心", station: "服务站", post: "驿站" },
    svc: { rest: "休息", water: "饮水", charging: "充电", meal: "热饭", medical: "医疗", legal: "法律", elderly: "养老", children: "儿童", meeting: "议事", toilet: "如厕", reading: "阅读" } },
  en: { title: "Doorstep", subtitle: "service stations near you", locate: "Use my location", hint: "or tap the map where you are",
    services: "Services", openNow: "Open now", search: "Search", results: "Nearest stations", map: "Map",
    locating: "Finding your location…", searching: "Searching…", found: "The {n} stations nearest to you", none: "No matching station nearby",
    straightNote: "Walking distances unavailable: ranked by straight-line distance.", walk: "walk", straight: "straight", min: "min", m: "m", km: "km",
    open: "Open", closed: "Closed", unknown: "Hours unknown", call: "Call", route: "Route", chosen: "✓ Route shown",
    you: "You are here", noGeo: "This browser cannot locate you: tap the map instead.", noData: "No stations have been loaded yet.", geoFail: "Could not locate you: {m}. Tap the map instead.",
    noMap: "Map unavailable (Leaflet not installed: libjs-leaflet). The list still works.", pick: "Use your location or tap the map.",
    hours: "Hours", addr: "Address", noRoute: "No walkable route", server: "Server error",
    kind: { center: "Service centre", station: "Service station", post: "Rest post" },
    svc: { rest: "Rest", water: "Water", charging: "Charging", meal: "Hot meals", medical: "Medical", legal: "Legal aid", elderly: "Elderly care", children: "Children", meeting: "Meeting room", toilet: "Toilet", reading: "Reading" } }
};
var SERVICES = ["rest", "water", "charging", "meal", "medical", "legal", "elderly", "children", "meeting"];

var state = { pos: null, accuracy: null, stations: [], chosen: null, walk: true, seq: 0 };
var map = null, layers = {};

function fmtDist(m) { return m < 1000 ? Math.round(m) + " " + t("m") : (m / 1000).toFixed(1) + " " + t("km"); }
// A tel: URL only for what looks like a phone number (digits, +, -, spaces, brackets, dots), else null: the number is
// then shown as text. The href holds only digits, + and -, so no other scheme can reach it.
function telHref(phone) {
  var p = String(phone);
  if (!/^[0-9+\-\s().]+$/.test(p) || (p.match(/[0-9]/g) || []).length < 3) return null;
  return "tel:" + p.replace(/[^0-9+\-]/g, "");
}
function applyLang() {
  translatePage();
  document.querySelectorAll("#services span[data-svc]").forEach(function (s) { s.textContent = T[lang].svc[s.dataset.svc]; });
  render();
}

function buildServices() {
  var box = $("services"), wanted = (params.get("service") || "").split(",");
  SERVICES.forEach(function (s) {
    var label = el("label", "chip"), input = el("input"), span = el("span");
    input.type = "checkbox"; input.name = "service"; input.value = s; input.checked = wanted.indexOf(s) >= 0;
    span.dataset.svc = s;
    input.addEventListener("change", search);
    label.appendChild(input); label.appendChild(span); box.appendChild(label);
  });
  $("opennow").checked = params.get("open_now") === "true";
  $("opennow").addEventListener("change", search);
}

function search() {
  if (!state.pos) { $("status").textContent = t("pick"); return; }
  var q = new URLSearchParams();
  q.set("lon", state.pos[0].toFixed(6)); q.set("lat", state.pos[1].toFixed(6)); q.set("k", "8");
  var svc = Array.prototype.map.call(document.querySelectorAll("#services input[name=service]:checked"), function (i) { return i.value; });
  if (svc.length) q.set("service", svc.join(","));
  if ($("opennow").checked) q.set("open_now", "true");
  var straight = "/v1/nearest?" + q.toString();
  q.set("walk", "true"); q.set("route", "true");
  var seq = ++state.seq;
  document.body.dataset.state = "loading";
  $("status").textContent = t("searching");
  api("/v1/nearest?" + q.toString()).then(function (b) { return [b, true]; }, function (e) {
    // No walking network (501) or a point off the network (422 unreachable): straight-line distances instead.
    if (e.status === 501 || e.code === "unreachable") return api(straight).then(function (b) { return [b, false]; });
    throw e;
  }).then(function (r) {
    if (seq !== state.seq) return;
    state.stations = r[0].stations; state.walk = r[1];
    state.chosen = state.stations.length ? state.stations[0].id : null;
    document.body.dataset.state = "done";
    render(); drawResults(true);
  }).catch(function (e) { if (seq === state.seq) { $("status").textContent = ""; showError(e.message); } });
}

function render() {
  var list = $("results"); list.textContent = "";
  if (!state.pos) { $("status").textContent = t("pick"); return; }
  if (document.body.dataset.state === "loading") return;
  $("status").textContent = (state.stations.length ? t("found", { n: state.stations.length }) : t("none")) + (state.walk ? "" : " " + t("straightNote"));
  state.stations.forEach(function (s, i) {
    var li = el("li"); li.dataset.stationId = s.id; if (s.id === state.chosen) li.className = "chosen";
    var h = el("h2"); h.appendChild(el("span", "n", (i + 1) + ".")); h.appendChild(el("span", null, s.name));
    var open = s.open === true ? "open" : s.open === false ? "closed" : "unknown";
    h.appendChild(el("span", "badge " + open, t(open))); li.appendChild(h);
    var d = el("p", "dist");
    if (state.walk && s.walking_m != null) {
      d.appendChild(el("strong", null, t("walk") + " " + fmtDist(s.walking_m)));
      d.appendChild(document.createTextNode(" · " + Math.max(1, Math.round(s.walking_min)) + " " + t("min") + " · " + t("straight") + " " + fmtDist(s.distance_m)));
    } else {
      d.appendChild(el("strong", null, t("straight") + " " + fmtDist(s.distance_m)));
      if (state.walk) d.appendChild(document.createTextNode(" · " + t("noRoute") + (s.no_path_reason ? " (" + s.no_path_reason + ")" : "")));
    }
    li.appendChild(d);
    li.appendChild(el("p", "meta", [s.kind ? tr("kind", s.kind) : "", (s.services || []).map(function (x) { return tr("svc", x); }).join(" · ")].filter(Boolean).join(" | ")));
    if (s.address) li.appendChild(el("p", "meta", t("addr") + ": " + s.address));
    if (s.hours) li.appendChild(el("p", "meta", t("hours") + ": " + s.hours));
    var acts = el("div", "acts");
    if (s.phone) {
      var tel = telHref(s.phone);
      if (tel) { var a = el("a", "btn", t("call") + " " + s.phone); a.href = tel; a.setAttribute("aria-label", t("call") + " " + s.name + " " + s.phone); acts.appendChild(a); }
      else li.appendChild(el("p", "meta", t("call") + ": " + s.phone));
    }
    if (state.walk && s.route) {
      var b = el("button", s.id === state.chosen ? "primary" : "", s.id === state.chosen ? t("chosen") : t("route"));
      b.type = "button"; b.setAttribute("aria-pressed", s.id === state.chosen ? "true" : "false");
      b.addEventListener("click", function () { choose(s.id, false); });
      acts.appendChild(b);
    }
    if (acts.childNodes.length) li.appendChild(acts);
    list.appendChild(li);
  });
}

function choose(id, scroll) {
  state.chosen = id; render(); drawResults(false);
  if (scroll) { var li = document.querySelector('#results li[data-station-id="' + CSS.escape(id) + '"]'); if (li) li.scrollIntoView({ block: "nearest" }); }
}

// ---- map ----
function initMap() {
  if (!window.L) { $("map").className = "nomap"; $("map").textContent = t("noMap"); return; }
  // Leaflet's attribution control parses its text as HTML: this one shows the operator's text as text.
  map = L.map("map", { zoomControl: true, attributionControl: false, tap: true });
  if (config.tiles) L.tileLayer(config.tiles, { maxZoom: 19 }).addTo(map);
  addAttribution(map);
  var style = function (c, w, f) { return { color: c, weight: w, fillOpacity: f, fillColor: c }; };
  var opts = function (s) { return { style: s, coordsToLatLng: function (c) { return ll(c); }, interactive: false }; };
  layers.grids = L.geoJSON(null, opts(style("#7b57a8", 1.5, 0.04))).addTo(map);
  layers.compounds = L.geoJSON(null, opts(style("#c98a2b", 1, 0.18))).addTo(map);
  layers.ways = L.geoJSON(null, opts(style("#98a4b0", 2, 0))).addTo(map);
  layers.stations = L.layerGroup().addTo(map);
  layers.route = L.layerGroup().addTo(map);
  layers.you = L.layerGroup().addTo(map);
  map.on("click", function (e) { setPosition(fromMap(e.latlng), null, true); });
  map.on("moveend", loadOverlay);
}

var overlayTimer = null, overlayKey = "";
function loadOverlay() {
  clearTimeout(overlayTimer);
  overlayTimer = setTimeout(function () {
    var b = map.getBounds(), sw = fromMap(b.getSouthWest()), ne = fromMap(b.getNorthEast());
    var bbox = [sw[0], sw[1], ne[0], ne[1]].map(function (x) { return x.toFixed(5); }).join(",");
    var z = map.getZoom(), key = bbox + z;
    if (key === overlayKey) return; overlayKey = key;
    [["grids", 200, 12], ["compounds", 500, 14], ["ways", 2000, 15], ["stations", 500, 11]].forEach(function (l) {
      if (z < l[2]) { if (layers[l[0]].clearLayers) layers[l[0]].clearLayers(); return; }
      api("/collections/" + l[0] + "/items?bbox=" + bbox + "&limit=" + l[1]).then(function (fc) {
        if (l[0] === "stations") { drawAllStations(fc.features); return; }
        layers[l[0]].clearLayers(); layers[l[0]].addData(fc);
      }).catch(function (e) { showError(l[0] + ": " + e.message); });
    });
  }, 150);
}

var allStations = [];
function drawAllStations(features) { allStations = features; drawResults(false); }

function drawResults(fit) {
  if (!map) return;
  layers.stations.clearLayers(); layers.route.clearLayers(); layers.you.clearLayers();
  var ranked = {}; state.stations.forEach(function (s, i) { ranked[s.id] = i + 1; });
  allStations.forEach(function (f) {
    if (ranked[f.id] || !f.geometry) return;
    L.circleMarker(ll(f.geometry.coordinates), { radius: 6, color: "#fff", weight: 2, fillColor: "#5f6b77", fillOpacity: 1 })
      .bindTooltip(tipNode(f.properties && f.properties.name || f.id), { className: "name" }).addTo(layers.stations);
  });
  var bounds = [];
  state.stations.forEach(function (s, i) {
    var p = ll(s.coordinates.wgs84), chosen = s.id === state.chosen;
    bounds.push(p);
    // A pin: its tip on the station, so the number stays readable next to the person's dot.
    var pin = el("div", "pin" + (chosen ? " chosen" : s.open === false ? " closed" : ""));
    pin.appendChild(el("span", null, String(i + 1)));
    var m = L.marker(p, { title: s.name, icon: L.divIcon({ className: "", iconSize: [30, 30], iconAnchor: [15, 40], html: pin }), zIndexOffset: chosen ? 1000 : 500 - i });
    m.on("click", function () { choose(s.id, true); });
    // The chosen station's name stays on the map; the others' show on hover or tap.
    m.bindTooltip(tipNode(s.name), { className: "name", direction: "top", offset: [0, -40], permanent: chosen });
    m.addTo(layers.stations);
    if (chosen && s.route && s.route.coordinates.length > 1) {
      var line = s.route.coordinates.map(ll);
      L.polyline(line, { color: "#fff", weight: 9, opacity: 0.9 }).addTo(layers.route);
      L.polyline(line, { color: "#d1391c", weight: 5, opacity: 1, dashArray: null }).addTo(layers.route);
    }
  });
  if (state.pos) {
    var y = ll(state.pos);
    if (state.accuracy) L.circle(y, { radius: state.accuracy, color: "#1a73e8", weight: 1, fillOpacity: 0.1, interactive: false }).addTo(layers.you);
    L.marker(y, { title: t("you"), keyboard: false, zIndexOffset: 2000, icon: L.divIcon({ className: "", iconSize: [18, 18], iconAnchor: [9, 9],
      html: el("div", "you") }) }).addTo(layers.you);
    bounds.push(y);
  }
  if (fit && bounds.length) {
    var chosenStation = state.stations.filter(function (s) { return s.id === state.chosen; })[0];
    var fitTo = (state.pos ? [ll(state.pos)] : []).concat(bounds.slice(0, 4)).concat(chosenStation ? [ll(chosenStation.coordinates.wgs84)] : []);
    map.fitBounds(L.latLngBounds(fitTo), { padding: [24, 24], maxZoom: 17 });
  }
}

function setPosition(pos, accuracy, fromClick) {
  state.pos = pos; state.accuracy = accuracy;
  var p = new URLSearchParams(location.search);
  p.set("lon", pos[0].toFixed(6)); p.set("lat", pos[1].toFixed(6));
  try { history.replaceState(null, "", "?" + p.toString()); } catch (e) { /* file:// or sandboxed: the link just is not updated */ }
  if (map && !fromClick) map.setView(ll(pos), 16);
  drawResults(false);
  search();
}

function locate() {
  if (!navigator.geolocation) { showError(t("noGeo")); return; }
  $("status").textContent = t("locating");
  navigator.geolocation.getCurrentPosition(function (g) {
    setPosition([g.coords.longitude, g.coords.latitude], g.coords.accuracy, false);
  }, function (e) { $("status").textContent = ""; showError(t("geoFail", { m: e.message || e.code })); }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
}

buildServices();
initMap();
langButton(applyLang);
$("locate").addEventListener("click", locate);
applyLang();
var lon = parseFloat(params.get("lon")), lat = parseFloat(params.get("lat"));
if (isFinite(lon) && isFinite(lat)) {
  setPosition([lon, lat], null, false);
} else {
  document.body.dataset.state = "idle";
  if (map) api("/collections/stations").then(function (c) {
    var b = c.extent && c.extent.spatial && c.extent.spatial.bbox && c.extent.spatial.bbox[0];
    // No stations: the whole world, and the page says so (no city is assumed).
    if (b) map.fitBounds(L.latLngBounds([ll([b[0], b[1]]), ll([b[2], b[3]])]), { padding: [12, 12] }); else { map.setView([0, 0], 1); showError(t("noData")); }
  }).catch(function (e) { map.setView([0, 0], 1); showError(e.message); });
}
"""#
}
