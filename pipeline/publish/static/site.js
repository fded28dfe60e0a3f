// The explorer: one page, four views (search, a body, a comparison, a region), each reading only its own
// pre-aggregated data files (pipeline/publish/build.py writes them). No library, no network beyond the site.
"use strict";

const app = document.getElementById("app");
const files = {};
const COLORS = ["#1a5fb4", "#b3261e", "#2e7d32", "#8e44ad", "#d9730d"];

function json(path) {
  if (!(path in files)) {
    files[path] = fetch(path).then((r) => {
      if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
      return r.json();
    });
  }
  return files[path];
}
const meta = () => json("data/meta.json");
const index = () => json("data/index.json");

// FNV-1a of the id's UTF-8 bytes, as build.bucket_of computes it
function bucketOf(id, buckets) {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(id)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h % buckets;
}
async function body(id) {
  const m = await meta();
  const bucket = await json(`data/body/${bucketOf(id, m.buckets)}.json`);
  return bucket[id] || null;
}

const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const link = (params) => "index.html?" + new URLSearchParams(params).toString();

function fmt(value, unit) {
  if (value === null || value === undefined) return "—";
  if (unit === "ratio") return (value * 100).toFixed(1) + "%";
  if (unit === "flag") return value ? "是 late" : "否 on time";
  if (unit === "wan_yuan") return value.toLocaleString("zh-CN", { maximumFractionDigits: 2 });
  return value.toLocaleString("zh-CN", { maximumFractionDigits: 0 });
}
function label(m, code) {
  const d = m.metrics[code];
  return d ? `${esc(d.zh)} <span class="en">${esc(d.en)}</span>` : esc(code);
}
const levelLabel = (m, level) => esc(m.levels[level] || level || "级别未知 level unknown");
const region = (b) => [b.province, b.city, b.county].filter(Boolean).join("/");

function ready(view) {
  window.gongkaiReadyAt = performance.now();
  document.documentElement.dataset.ready = view;
}

// --- CSV: whatever a table shows, as the file the button names ------------------------------------
function csvCell(v) {
  if (v === null || v === undefined) return "";
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
function downloadCsv(name, header, rows) {
  const text = [header, ...rows].map((r) => r.map(csvCell).join(",")).join("\n") + "\n";
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
}

// --- a line chart in SVG; every point carries its metric, year and value ------------------------
function niceMax(v) {
  if (v <= 0) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  return [1, 2, 2.5, 5, 10].map((k) => k * p).find((k) => k >= v);
}
function chart({ id, title, unit, years, series, boundaries }) {
  const W = 460, H = 210, L = 52, R = 18, T = 12, B = 28;
  const values = series.flatMap((s) => s.points.map((p) => p[1])).filter((v) => v !== null);
  const top = unit === "ratio" ? Math.max(1e-9, niceMax(Math.max(...values, 0) * 100) / 100) : niceMax(Math.max(...values, 0));
  const x = (y) => L + (years.length < 2 ? (W - L - R) / 2 : ((y - years[0]) / (years[years.length - 1] - years[0])) * (W - L - R));
  const yScale = (v) => H - B - (v / top) * (H - T - B);
  let svg = `<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}" data-chart="${esc(id)}">`;
  for (let k = 0; k <= 4; k++) {
    const v = (top * k) / 4, yy = yScale(v);
    svg += `<line x1="${L}" x2="${W - R}" y1="${yy}" y2="${yy}" stroke="#e3e7ec"/>`;
    svg += `<text x="${L - 4}" y="${yy + 4}" font-size="10" text-anchor="end" fill="#5f6b7a">${esc(fmt(v, unit === "ratio" ? "ratio" : "count"))}</text>`;
  }
  for (const y of years) svg += `<text x="${x(y)}" y="${H - 8}" font-size="10" text-anchor="middle" fill="#5f6b7a">${y}</text>`;
  for (const b of boundaries || []) {
    const bx = (x(b.year - 1) + x(b.year)) / 2;
    svg += `<g class="boundary" data-year="${b.year}"><line x1="${bx}" x2="${bx}" y1="${T}" y2="${H - B}" stroke="#888" stroke-dasharray="4 3"/>`;
    svg += `<text x="${bx + 3}" y="${T + 9}" font-size="9" fill="#666">${esc(b.label)}</text><title>${esc(b.title)}</title></g>`;
  }
  series.forEach((s, k) => {
    const color = COLORS[k % COLORS.length];
    let run = [];
    const runs = [];
    for (const [year, v] of s.points) {
      if (v === null) { if (run.length) runs.push(run); run = []; } else run.push([year, v]);
    }
    if (run.length) runs.push(run);
    for (const r of runs) svg += `<polyline fill="none" stroke="${color}" stroke-width="2" points="${r.map(([yy, v]) => `${x(yy)},${yScale(v)}`).join(" ")}"/>`;
    for (const [year, v] of s.points) {
      if (v === null) continue;
      svg += `<circle cx="${x(year)}" cy="${yScale(v)}" r="3.2" fill="${color}" data-series="${esc(s.key)}" data-year="${year}" data-value="${v}"><title>${esc(s.name)} ${year}: ${esc(fmt(v, unit))}</title></circle>`;
    }
  });
  svg += "</svg>";
  const legend = series.map((s, k) => `<span><i style="background:${COLORS[k % COLORS.length]}"></i>${s.label}</span>`).join("");
  return `<div class="chart"><h3>${title}</h3>${svg}<div class="legend">${legend}</div></div>`;
}

// where a body's template changes, its series change meaning: the charts draw the line
function templateBoundaries(m, reports) {
  const byYear = {};
  for (const r of reports) if (r.current && r.template !== "unknown") byYear[r.year] = r.template;
  const years = Object.keys(byYear).map(Number).sort((a, b) => a - b);
  const out = [];
  for (let k = 1; k < years.length; k++) {
    const [a, b] = [byYear[years[k - 1]], byYear[years[k]]];
    if (a !== b) {
      out.push({ year: years[k], label: `${a}→${b}`, title: `模板变更 template changes: ${m.templates[a] || a} → ${m.templates[b] || b}` });
    }
  }
  return out;
}
const yearsOf = (m, bodies) => {
  const seen = new Set();
  for (const b of bodies) for (const s of Object.values(b.metrics)) for (const p of s) seen.add(p[0]);
  const ys = [...seen].sort((a, b) => a - b);
  if (!ys.length) return m.years;
  const out = [];
  for (let y = ys[0]; y <= ys[ys.length - 1]; y++) out.push(y);
  return out;
};
// prior_value, change, pct_change exactly as pipeline/load/metrics.yoy_sql computes them
function change(b, metric, year, v) {
  const prior = (b.metrics[metric] || []).find((q) => q[0] === year - 1);
  if (!prior) return [null, null, null];
  const p = prior[1];
  const c = v === null || p === null ? null : v - p;
  return [p, c, p === null || p === 0 || c === null ? null : c / Math.abs(p)];
}
const valueAt = (b, metric, year) => {
  const p = (b.metrics[metric] || []).find((q) => q[0] === year);
  return p ? p[1] : null;
};

// --- views ---------------------------------------------------------------------------------------
async function viewBody(id) {
  const [m, b] = await Promise.all([meta(), body(id)]);
  if (!b) return notFound(`没有这个机关 no body with id ${id}`);
  document.title = `${b.name} · 政府信息公开年报数据`;
  const years = yearsOf(m, [b]);
  const boundaries = templateBoundaries(m, b.reports);
  const regions = (b.regions || []).map(([rid, path]) => `<a href="${link({ region: rid })}">${esc(path.split("/").pop())}</a>`).join(" / ");
  let html = `<h1 data-agency="${esc(b.id)}">${esc(b.name)}</h1>
    <p class="facts">${regions || "地区未知 region unknown"} · ${levelLabel(m, b.level)}
    ${b.parent ? ` · 上级 parent: <a href="${link({ agency: b.parent.id })}">${esc(b.parent.name)}</a>` : ""}
    · <code>${esc(b.id)}</code> · <a href="${link({ compare: b.id })}">与其他机关比较 compare</a></p>`;
  html += `<h2>主要指标 <span class="en">main series</span></h2><div class="charts">`;
  for (const c of m.charts) {
    const series = c.metrics.filter((k) => b.metrics[k]).map((k) => ({
      key: k, name: m.metrics[k].zh, label: label(m, k),
      points: years.map((y) => [y, valueAt(b, k, y)]),
    }));
    if (series.length) html += chart({ id: c.id, title: esc(c.title), unit: m.metrics[c.metrics[0]].unit, years, series, boundaries });
  }
  html += `</div>`;
  const shown = m.table_metrics.filter((k) => b.metrics[k]);
  html += `<h2>各年指标 <span class="en">metrics by year</span></h2>
    <div class="toolbar"><button id="csv-metrics">下载 CSV <span class="en">download (yoy_metrics rows)</span></button></div>
    <div class="scroll"><table id="metrics"><thead><tr><th>指标 metric</th>${years.map((y) => `<th>${y}</th>`).join("")}</tr></thead><tbody>`;
  for (const k of shown) {
    html += `<tr data-metric="${k}"><td>${label(m, k)}</td>`;
    for (const y of years) {
      const v = valueAt(b, k, y);
      html += `<td data-year="${y}"${v === null ? "" : ` data-value="${v}"`}>${esc(fmt(v, m.metrics[k].unit))}</td>`;
    }
    html += `</tr>`;
  }
  html += `</tbody></table></div>`;
  html += scorecards(m, b);
  html += `<h2>年报原文 <span class="en">source reports</span></h2><div class="scroll"><table id="reports"><thead><tr>
    <th>年度 year</th><th>标题 title</th><th>模板 template</th><th>状态 status</th><th>格式 format</th><th>发布 published</th><th>原文 source</th><th>存档 archived copy</th></tr></thead><tbody>`;
  for (const r of b.reports) {
    const source = /^https?:/.test(r.source_uri || "") ? `<a href="${esc(r.source_uri)}" rel="noreferrer">${esc(r.source_uri)}</a>` : esc(r.source_uri);
    html += `<tr${r.current ? "" : ' class="muted"'}><td>${r.year}${r.current ? "" : " (旧版 superseded)"}</td><td class="text">${esc(r.title)}</td>
      <td class="text">${esc(m.templates[r.template] || r.template)}</td><td>${esc(r.status)}</td><td>${esc(r.format)}</td>
      <td>${esc(r.published_at || "—")}</td><td class="text">${source}</td><td>${r.archive ? `<a href="${esc(r.archive)}">存档 copy</a>` : "—"}</td></tr>`;
  }
  html += `</tbody></table></div>`;
  if ((b.titles || []).length > 1) {
    html += `<h2>名称 <span class="en">titles over the years</span></h2><ul>${b.titles.map((t) => `<li>${esc(t.title)} (${t.first_year}–${t.last_year})</li>`).join("")}</ul>`;
  }
  app.innerHTML = html;
  document.getElementById("csv-metrics").onclick = () => {
    const rows = [];
    for (const k of Object.keys(b.metrics).sort()) for (const [y, v] of b.metrics[k]) rows.push([b.id, y, k, v, ...change(b, k, y, v)]);
    downloadCsv(`${b.id}_yoy_metrics.csv`, ["agency_id", "year", "metric", "value", "prior_value", "change", "pct_change"], rows);
  };
  ready("body");
}

function scorecards(m, b) {
  if (!b.scorecards.length) return "";
  const keys = Object.keys(m.score.weights);
  const last = b.scorecards[b.scorecards.length - 1];
  let html = `<h2>透明度评分 <span class="en">transparency scorecard</span> <span class="en">(method: gongkai docs/scorecard.md)</span></h2>
    <p>${last.year}: <span class="band band-${esc(last.band)}">${esc(last.band || "—")}</span> ${last.score ?? "—"} / 100
    ${last.weakest ? ` · 最弱 weakest: ${esc(m.score.labels[last.weakest])}` : ""}</p>
    <div class="scroll"><table id="scorecards"><thead><tr><th>年度 year</th><th>评分 score</th><th>等级 band</th>${keys.map((k) => `<th>${esc(m.score.labels[k])}</th>`).join("")}</tr></thead><tbody>`;
  for (const c of b.scorecards) {
    html += `<tr><td>${c.year}</td><td>${c.score ?? "—"}</td><td>${esc(c.band || "—")}</td>${keys.map((k) => `<td title="${esc((c.evidence || {})[k] || "")}">${c[k] === null ? "—" : c[k].toFixed(0)}</td>`).join("")}</tr>`;
  }
  html += `</tbody></table></div><ul class="muted">${Object.entries(last.evidence || {}).map(([k, v]) => `<li>${esc(m.score.labels[k] || k)}: ${esc(v)}</li>`).join("")}</ul>`;
  return html;
}

async function viewCompare(ids, metric) {
  const m = await meta();
  const bodies = (await Promise.all(ids.map(body))).filter(Boolean);
  metric = m.metrics[metric] ? metric : m.default_metric;
  const unit = m.metrics[metric].unit;
  const years = yearsOf(m, bodies);
  let html = `<h1>比较 <span class="en">compare</span> ${bodies.length} 个机关 bodies</h1>
    <p class="chips">${bodies.map((b) => `<a href="${link({ agency: b.id })}">${esc(b.name)}（${esc(region(b))}）</a>
      <a class="muted" href="${link({ compare: ids.filter((i) => i !== b.id).join(","), metric })}" title="移除 remove">×</a>`).join("")}</p>
    <div class="toolbar">${bodies.length < 5 ? `<input id="add" type="search" placeholder="添加机关 add a body (名称、地区、拼音)" list="add-list"><datalist id="add-list"></datalist>` : "最多五个 five at most"}
      <label>指标 metric <select id="metric">${m.table_metrics.map((k) => `<option value="${k}"${k === metric ? " selected" : ""}>${esc(m.metrics[k].zh)} ${esc(m.metrics[k].en)}</option>`).join("")}</select></label>
      <button id="csv-compare">下载 CSV <span class="en">download</span></button></div>`;
  if (bodies.length) {
    const series = bodies.map((b) => ({ key: b.id, name: b.name, label: `${esc(b.name)}（${esc(region(b))}）`, points: years.map((y) => [y, valueAt(b, metric, y)]) }));
    html += `<div class="charts">${chart({ id: "compare", title: label(m, metric), unit, years, series, boundaries: [] })}</div>`;
    html += `<div class="scroll"><table id="compare"><thead><tr><th>年度 year</th>${bodies.map((b) => `<th data-agency="${esc(b.id)}">${esc(b.name)}<br><span class="en">${esc(region(b))}</span></th>`).join("")}</tr></thead><tbody>`;
    for (const y of years) {
      html += `<tr data-year="${y}"><td>${y}</td>${bodies.map((b) => { const v = valueAt(b, metric, y); return `<td data-agency="${esc(b.id)}"${v === null ? "" : ` data-value="${v}"`}>${esc(fmt(v, unit))}</td>`; }).join("")}</tr>`;
    }
    html += `</tbody></table></div>`;
    const latest = years[years.length - 1];
    html += `<h2>${latest} 年全部指标 <span class="en">every metric, ${latest}</span></h2><div class="scroll"><table id="compare-all"><thead><tr><th>指标 metric</th>${bodies.map((b) => `<th>${esc(b.name)}</th>`).join("")}</tr></thead><tbody>`;
    for (const k of m.table_metrics) {
      if (!bodies.some((b) => b.metrics[k])) continue;
      html += `<tr data-metric="${k}"><td>${label(m, k)}</td>${bodies.map((b) => `<td>${esc(fmt(valueAt(b, k, latest), m.metrics[k].unit))}</td>`).join("")}</tr>`;
    }
    html += `</tbody></table></div>`;
  }
  app.innerHTML = html;
  document.getElementById("metric").onchange = (e) => go({ compare: ids.join(","), metric: e.target.value });
  document.getElementById("csv-compare").onclick = () => downloadCsv(`compare_${metric}.csv`, ["year", ...bodies.map((b) => b.id)],
    years.map((y) => [y, ...bodies.map((b) => valueAt(b, metric, y))]));
  const add = document.getElementById("add");
  if (add) {
    add.oninput = async () => {
      const found = search(await index(), add.value, "", 10, m.levels);
      document.getElementById("add-list").innerHTML = found.map((r) => `<option value="${esc(r[0])}">${esc(r[1])}（${esc(r[2])}）</option>`).join("");
      const exact = found.find((r) => r[0] === add.value);
      if (exact) go({ compare: [...ids, exact[0]].join(","), metric });
    };
  }
  ready("compare");
}

const ROWS_SHOWN = 500; // a province of thousands of bodies draws its first rows at once; the CSV has all

async function viewRegion(key, metric, year, all) {
  const [m, idx] = [await meta(), /^[0-9a-f]{10}$/.test(key) ? null : await index()];
  const rid = idx ? (idx.regions.find((r) => r[1] === key) || [])[0] : key;
  let reg;
  try { reg = rid && (await json(`data/region/${rid}.json`)); } catch { reg = null; }
  if (!reg) return notFound(`没有这个地区 no region ${key}`);
  document.title = `${reg.path} · 政府信息公开年报数据`;
  metric = m.metrics[metric] ? metric : m.default_metric;
  const unit = m.metrics[metric].unit;
  const triples = reg.split ? await json(`data/region/${rid}/${metric}.json`).catch(() => []) : (reg.values[metric] || []);
  const years = [...new Set(triples.map((t) => t[1]))].sort((a, b) => a - b);
  year = years.includes(Number(year)) ? Number(year) : years[years.length - 1];
  const value = new Map(triples.filter((t) => t[1] === year).map((t) => [t[0], t[2]]));
  const ranked = reg.bodies.map((b, i) => ({ id: b[0], name: b[1], level: b[2], v: value.has(i) ? value.get(i) : null }))
    .sort((a, b) => (a.v === null) - (b.v === null) || (b.v ?? 0) - (a.v ?? 0) || a.name.localeCompare(b.name, "zh"));
  const n = ranked.filter((r) => r.v !== null).length;
  let html = `<h1 data-region="${esc(reg.id)}">${esc(reg.path)}</h1>
    <p class="facts">${reg.parents.map(([id, name]) => `<a href="${link({ region: id })}">${esc(name)}</a>`).join(" / ")}
    ${reg.bodies.length} 个机关 bodies${reg.children.length ? ` · 下级地区 sub-regions: ${reg.children.map(([id, name]) => `<a href="${link({ region: id })}">${esc(name)}</a>`).join(" ")}` : ""}</p>
    <div class="toolbar"><label>指标 metric <select id="metric">${m.table_metrics.map((k) => `<option value="${k}"${k === metric ? " selected" : ""}>${esc(m.metrics[k].zh)} ${esc(m.metrics[k].en)}</option>`).join("")}</select></label>
    <label>年度 year <select id="year">${years.map((y) => `<option${y === year ? " selected" : ""}>${y}</option>`).join("")}</select></label>
    <button id="csv-region">下载 CSV <span class="en">download</span></button></div>
    <h2>排名 <span class="en">ranking</span>: ${label(m, metric)} ${year ?? ""}</h2>
    <p class="muted">五等分 quintile 1 = 最高的五分之一 the top fifth, among the ${n} bodies with a value</p>
    <div class="scroll"><table id="ranking"><thead><tr><th>排名 rank</th><th>机关 body</th><th>级别 level</th><th>数值 value</th><th>五等分 quintile</th></tr></thead><tbody>`;
  const shownRows = all ? ranked.length : Math.min(ranked.length, ROWS_SHOWN);
  ranked.slice(0, shownRows).forEach((r, k) => {
    const band = r.v === null ? "—" : 1 + Math.floor((k * 5) / n);
    html += `<tr data-agency="${esc(r.id)}"${r.v === null ? "" : ` data-value="${r.v}"`}><td>${r.v === null ? "—" : k + 1}</td><td class="text"><a href="${link({ agency: r.id })}">${esc(r.name)}</a></td>
      <td>${levelLabel(m, r.level)}</td><td>${esc(fmt(r.v, unit))}</td><td>${band}</td></tr>`;
  });
  html += `</tbody></table></div>`;
  if (shownRows < ranked.length) {
    html += `<p>显示前 ${shownRows} 个，共 ${ranked.length.toLocaleString("zh-CN")} 个 <span class="en">the first ${shownRows} of ${ranked.length} shown; the CSV has all</span>
      <a href="${link({ region: rid, metric, year, all: 1 })}">显示全部 show all</a></p>`;
  }
  html += coverage(reg);
  app.innerHTML = html;
  document.getElementById("metric").onchange = (e) => go({ region: rid, metric: e.target.value, year });
  document.getElementById("year").onchange = (e) => go({ region: rid, metric, year: e.target.value });
  document.getElementById("csv-region").onclick = () => downloadCsv(`${reg.path.replace(/\//g, "_")}_${metric}_${year}.csv`,
    ["rank", "agency_id", "name", "level", "year", "metric", "value"],
    ranked.map((r, k) => [r.v === null ? null : k + 1, r.id, r.name, r.level, year, metric, r.v]));
  ready("region");
}

function coverage(reg) {
  const rows = reg.coverage;
  if (!rows.length) return `<h2>覆盖 <span class="en">coverage</span></h2><p class="muted">登记册中没有本地区的机关 no registered body in this region</p>`;
  const none = rows.filter((r) => !r.published.length);
  const years = [...new Set(rows.flatMap((r) => [...r.published, ...r.missing]))].sort((a, b) => a - b);
  let html = `<h2>覆盖 <span class="en">coverage</span>: 登记 ${rows.length} 个机关 registered bodies</h2>
    <p id="coverage-none">未发布任何年报 published nothing: <b>${none.length}</b>${none.length ? ": " + none.map((r) => esc(r.name) + `（${esc(r.region)}）`).join("、") : ""}</p>
    <div class="scroll"><table id="coverage"><thead><tr><th>年度 year</th><th>已发布 published</th><th>缺 missing</th></tr></thead><tbody>`;
  for (const y of years) {
    const missing = rows.filter((r) => r.missing.includes(y));
    html += `<tr><td>${y}</td><td>${rows.filter((r) => r.published.includes(y)).length}</td><td class="text">${missing.length}${missing.length ? ": " + missing.map((r) => esc(r.name)).join("、") : ""}</td></tr>`;
  }
  return html + `</tbody></table></div>`;
}

// a body matches when every word of the query is in its region, name or level (县级, county), or in their pinyin
function search(idx, query, level, limit, levels = {}) {
  const words = query.toLowerCase().trim().split(/\s+/).filter(Boolean);
  if (!words.length) return [];
  const out = [];
  for (const r of idx.bodies) {
    if (level && r[3] !== level) continue;
    const text = r[2] + r[1] + " " + (levels[r[3]] || r[3] || "").toLowerCase();
    if (words.every((w) => text.includes(w) || r[4].includes(w) || r[0] === w)) {
      out.push(r);
    }
  }
  const q = words.join("");
  const rank = (r) => (r[1] === q || r[0] === q ? 0 : r[1].startsWith(q) ? 1 : r[1].includes(q) ? 2 : 3);
  return out.sort((a, b) => rank(a) - rank(b) || a[2].localeCompare(b[2], "zh")).slice(0, limit);
}

async function viewSearch(query, level) {
  const [m, idx] = await Promise.all([meta(), index()]);
  app.innerHTML = `<h1>检索机关 <span class="en">find a body</span></h1>
    <div class="toolbar"><input id="q" type="search" autofocus placeholder="名称、地区或拼音 name, region or pinyin (e.g. 宝山区, shanghai baoshan, bsq)" value="${esc(query)}">
    <select id="level"><option value="">所有级别 every level</option>${Object.entries(m.levels).map(([k, v]) => `<option value="${k}"${k === level ? " selected" : ""}>${esc(v)}</option>`).join("")}</select></div>
    <p class="muted">${idx.bodies.length.toLocaleString("zh-CN")} 个机关 bodies · ${m.years[0] ?? ""}–${m.years[m.years.length - 1] ?? ""} ·
      <a href="download/manifest.json">全部数据 Parquet downloads (manifest)</a></p>
    <ul id="results" class="results"></ul>
    <h2>地区 <span class="en">regions</span></h2><p id="regions" class="chips"></p>`;
  const input = document.getElementById("q"), select = document.getElementById("level");
  const show = () => {
    const q = input.value, lv = select.value;
    const found = search(idx, q, lv, 50, m.levels);
    document.getElementById("results").innerHTML = q.trim()
      ? (found.length ? found.map((r) => `<li data-agency="${esc(r[0])}"><a href="${link({ agency: r[0] })}">${esc(r[1])}</a>
          <span class="muted">${esc(r[2] || "地区未知")} · ${levelLabel(m, r[3])} · ${esc(r[5] || "无年报 no report")}</span></li>`).join("")
        : `<li class="muted">没有找到 nothing found</li>`) : "";
    const words = q.toLowerCase().trim();
    const flat = words.replace(/\s+/g, "");
    const regions = idx.regions.filter((r) => (words ? r[1].includes(words) || r[3].includes(flat) : !r[1].includes("/"))).slice(0, 40);
    document.getElementById("regions").innerHTML = regions.map((r) => `<a href="${link({ region: r[0] })}">${esc(r[1])}</a> <span class="muted">${r[2]}</span>`).join(" ");
    history.replaceState(null, "", q || lv ? link({ q, level: lv }) : "index.html");
  };
  input.oninput = show;
  select.onchange = show;
  show();
  ready("search");
}

function notFound(message) {
  app.innerHTML = `<p class="error">${esc(message)}</p><p><a href="index.html">检索 search</a></p>`;
  ready("error");
}

function go(params) {
  history.pushState(null, "", link(params));
  route();
}

async function route() {
  const p = new URLSearchParams(location.search);
  try {
    if (p.get("agency")) await viewBody(p.get("agency"));
    else if (p.has("compare")) await viewCompare(p.get("compare").split(",").filter(Boolean).slice(0, 5), p.get("metric"));
    else if (p.get("region")) await viewRegion(p.get("region"), p.get("metric"), p.get("year"), p.has("all"));
    else await viewSearch(p.get("q") || "", p.get("level") || "");
  } catch (err) {
    notFound(`无法加载 could not load: ${err.message}`);
  }
}
window.addEventListener("popstate", route);
route();
