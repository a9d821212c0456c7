/**
 * The console's one stylesheet, compiled into the package (no bundler, no file to find at run time)
 * and served under a content hash. No inline styles anywhere, so the CSP needs no 'unsafe-inline'.
 */
export const STYLE = `
:root{--bg:#fff;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--card:#f6f8fa;--accent:#0a58ca;
--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--warnbg:#fff8c5;--badbg:#ffebe9;--okbg:#dafbe1;--mk:#8250df;
--focus:#0969da;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9da7b3;--line:#30363d;
--card:#161b22;--accent:#58a6ff;--ok:#3fb950;--bad:#f85149;--warn:#d29922;--warnbg:#2d2300;--badbg:#3c1618;
--okbg:#0f2d1a;--mk:#d2a8ff;--focus:#58a6ff}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg)}
a{color:var(--accent)}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:var(--bg);padding:4px 8px;z-index:9}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
header.top{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center;padding:8px 16px;
border-bottom:1px solid var(--line)}
header.top .brand{font-weight:700}
nav ul{display:flex;flex-wrap:wrap;gap:4px 14px;list-style:none;margin:0;padding:0}
nav a{text-decoration:none;padding:4px 2px}
nav a[aria-current=page]{font-weight:700;border-bottom:2px solid var(--accent)}
header.top .end{margin-left:auto;display:flex;gap:8px;align-items:center}
main{padding:12px 16px 48px;max-width:1100px;margin:0 auto}
h1{font-size:1.4rem;margin:.4rem 0 .6rem}h2{font-size:1.05rem;margin:0}h3{font-size:1rem;margin:.8rem 0 .3rem}
.muted,.hint{color:var(--muted)}.hint{font-size:.9rem}
.count{color:var(--muted);font-weight:400}
button,.btn{font:inherit;padding:6px 14px;border-radius:6px;border:1px solid var(--line);background:var(--card);
color:var(--fg);cursor:pointer;min-height:36px}
button:disabled{opacity:.5;cursor:default}
button.approve{background:var(--ok);border-color:var(--ok);color:#fff}
button.deny{background:var(--bad);border-color:var(--bad);color:#fff}
ol.queue{list-style:none;margin:0;padding:0;display:grid;gap:12px}
.req{border:1px solid var(--line);border-radius:8px;background:var(--card);padding:10px 12px;
content-visibility:auto;contain-intrinsic-size:auto 420px}
.req:focus{outline:3px solid var(--focus)}
.req.current{border-color:var(--focus);box-shadow:0 0 0 1px var(--focus)}
.req.decided{opacity:.65}
.req-head{display:flex;flex-wrap:wrap;gap:4px 10px;align-items:baseline}
.req-head .who{color:var(--muted);font-size:.9rem;display:flex;flex-wrap:wrap;gap:0 10px}
.badge{display:inline-block;font-size:.8rem;padding:0 6px;border-radius:10px;border:1px solid var(--line)}
.b-ask{background:var(--warnbg)}.b-deny,.b-bad{background:var(--badbg)}.b-allow,.b-ok{background:var(--okbg)}
pre{margin:6px 0;padding:8px 10px;border-radius:6px;background:var(--bg);border:1px solid var(--line);
white-space:pre-wrap;overflow-wrap:anywhere;font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre.cmd{max-height:22em;overflow:auto}
pre.out{max-height:70vh;overflow:auto}
.mk{color:var(--mk);font-weight:700}.mk.esc{background:var(--badbg);border-radius:3px}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:6px 0;font-size:.92rem}
dl.meta dt{color:var(--muted)}dl.meta dd{margin:0;overflow-wrap:anywhere}
.warn{border-left:4px solid var(--warn);background:var(--warnbg);padding:6px 10px;margin:6px 0;border-radius:4px}
.refusal,.error{border-left:4px solid var(--bad);background:var(--badbg);padding:6px 10px;margin:6px 0;
border-radius:4px}
.okbox{border-left:4px solid var(--ok);background:var(--okbg);padding:6px 10px;margin:6px 0;border-radius:4px}
details.why{margin:6px 0}details.why summary{cursor:pointer;color:var(--accent)}
.actions{display:flex;flex-wrap:wrap;gap:8px;margin-top:8px}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
td code,td .cell{overflow-wrap:anywhere}
.table-wrap{overflow-x:auto}
form.filters{display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));gap:8px;align-items:end;
margin:8px 0}
form.filters label{display:flex;flex-direction:column;font-size:.85rem;color:var(--muted)}
input,select,textarea{font:inherit;padding:5px 8px;border-radius:6px;border:1px solid var(--line);background:var(--bg);
color:var(--fg)}
textarea{width:100%;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
dialog{border:1px solid var(--line);border-radius:10px;background:var(--bg);color:var(--fg);width:min(720px,96vw);
padding:16px}
dialog::backdrop{background:rgb(0 0 0 / 45%)}
dialog label{display:block;margin:8px 0 2px;font-size:.9rem}
dialog input:not([type=number]){width:100%}
.pager{display:flex;gap:12px;align-items:center;margin:10px 0;flex-wrap:wrap}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(460px,100%),1fr));gap:14px}
.panel{border:1px solid var(--line);border-radius:8px;padding:10px 12px;background:var(--card)}
svg.chart{width:100%;height:auto;display:block}
svg.chart text{fill:var(--muted);font-size:13px}
svg .ax{stroke:var(--line)}svg .c-approved{fill:var(--ok)}svg .c-denied{fill:var(--bad)}
svg .c-blocked{fill:#8250df}svg .c-expired{fill:var(--warn)}svg .c-bar{fill:var(--accent)}
svg .l-p50{stroke:var(--accent);fill:none;stroke-width:2}
svg .l-p95{stroke:var(--bad);fill:none;stroke-width:2;stroke-dasharray:4 3}
.legend{display:flex;gap:10px;flex-wrap:wrap;font-size:.85rem;color:var(--muted);margin:4px 0}
.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}
.k-approved{background:var(--ok)}.k-denied{background:var(--bad)}
.k-blocked{background:#8250df}.k-expired{background:var(--warn)}
.k-p50{background:var(--accent)}.k-p95{background:var(--bad)}
.status-live{color:var(--ok)}.status-down{color:var(--bad)}
@media (max-width:600px){main{padding:8px 10px 40px}header.top{padding:6px 10px}
dl.meta{grid-template-columns:1fr}dl.meta dt{margin-top:4px}.actions button{flex:1 1 30%}
th,td{padding:4px}
table.stack thead{display:none}table.stack tr{display:block;border-bottom:1px solid var(--line);padding:6px 0}
table.stack td{display:block;border:0;padding:1px 4px}
table.stack td::before{content:attr(data-label);display:inline-block;min-width:7.5em;color:var(--muted);
font-size:.85rem}
table.stack td:empty{display:none}}
`
