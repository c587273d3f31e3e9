/**
 * The report page's style and script, inlined into every page (it must open from file:// with
 * nothing fetched). The script only toggles and moves things: it opens a SIP message's full text, draws
 * the play head over the waveform and seeks when the waveform is clicked. It reads no text into markup.
 */

export const PAGE_CSS = `
:root{--fg:#1d2430;--muted:#5b6675;--line:#d5dbe3;--bg:#f4f6f9;--card:#fff;--req:#1f5fbf;--c1:#7a8494;--c2:#18804a;--c3:#b7791f;--c4:#c53030;
--speech:#3b82c4;--tone:#d69e2e;--pass:#2f855a;--fail:#c53030;--wave0:#2b6cb0;--wave1:#805ad5;font-family:"DejaVu Sans",system-ui,-apple-system,"Segoe UI",sans-serif}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg);font-size:14px}
header{background:#17202e;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px;font-weight:600}
header .sub{margin:4px 0 0;color:#b8c2d0;font-size:13px}header code{color:#fff}
.toc{margin-top:8px;display:flex;gap:6px;flex-wrap:wrap}.toc a{color:#fff;background:#2c3a50;padding:2px 8px;border-radius:10px;text-decoration:none;font-size:12px}
.toc a.fail{background:var(--fail)}.toc a.pass{background:var(--pass)}
main{padding:16px 24px;max-width:1240px}section.call{margin-bottom:28px}section.call h2{font-size:18px;margin:6px 0}
.target{margin:0 0 10px;color:var(--muted)}code{font-family:"DejaVu Sans Mono",ui-monospace,monospace;font-size:12.5px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 16px;margin-bottom:12px;overflow-x:auto}
.card h3{margin:0 0 10px;font-size:15px;display:flex;align-items:center;gap:10px}
.badge{font-size:12px;padding:2px 8px;border-radius:10px;color:#fff;vertical-align:middle}.badge.pass{background:var(--pass)}.badge.fail{background:var(--fail)}
.figs{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:8px}
.fig{border:1px solid var(--line);border-radius:6px;padding:6px 10px;background:#fafbfc}.fig.wide{grid-column:1/-1}
.fig .k{display:block;font-size:11px;color:var(--muted);text-transform:uppercase;letter-spacing:.03em}.fig .v{font-size:15px;font-weight:600;word-break:break-all}
.chain{margin:0;padding-left:22px}.chain li{margin:2px 0}.s2{color:var(--c2)}.s3{color:var(--c3)}.s4{color:var(--c4)}.q{color:var(--muted)}
.ladder{font-size:12px;min-width:max-content}
.ladder-head{display:flex;position:sticky;top:0;background:var(--card);z-index:1;border-bottom:1px solid var(--line)}
.ladder-head .cols{position:relative;height:40px}.ladder .t{display:inline-block;width:78px;flex:none;color:var(--muted);text-align:right;padding-right:10px;font-variant-numeric:tabular-nums}
.ladder-head .t{align-self:flex-end;padding-bottom:4px}
.col-head{position:absolute;top:2px;text-align:center;line-height:1.25}.col-head .addr{display:block;font-weight:600;font-family:"DejaVu Sans Mono",monospace}
.col-head .role{display:block;font-size:11px;color:var(--muted)}.col-head.ours .addr{color:var(--req)}
.msg{display:flex;align-items:center;cursor:pointer;height:30px}.msg:hover,.msg:focus{background:#eef3fb;outline:none}.msg[aria-expanded=true]{background:#e6eefa}
.msg svg{flex:none;display:block}.msg text{font-size:12px;font-weight:600;fill:currentColor;paint-order:stroke;stroke:#fff;stroke-width:3px}
.life{stroke:#c3cad4;stroke-dasharray:3 3}.shaft{stroke:currentColor;stroke-width:1.6}.head{fill:currentColor}
.cls-request{color:var(--req)}.cls-1xx{color:var(--c1)}.cls-2xx{color:var(--c2)}.cls-3xx{color:var(--c3)}.cls-4xx,.cls-5xx,.cls-6xx{color:var(--c4)}
.sip-text{margin:2px 0 8px 78px;border-left:3px solid var(--line);background:#f7f9fc}.sip-meta{font-size:11px;color:var(--muted);padding:4px 10px 0}
.sip-text pre{margin:0;padding:6px 10px 10px;font-size:12px;white-space:pre-wrap;word-break:break-all}
button.expand-all{font-size:11px;border:1px solid var(--line);background:#fff;border-radius:4px;padding:2px 8px;cursor:pointer}
.legend{display:flex;gap:14px;font-size:12px;color:var(--muted);margin-bottom:4px}.legend .k::before{content:"";display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;vertical-align:-1px;background:currentColor}
.legend .speech{color:var(--speech)}.legend .tone{color:var(--tone)}.legend .passed{color:var(--pass)}.legend .failed{color:var(--fail)}.legend .dtmf{color:#4a5568}
svg text.lane{font-size:12px;fill:var(--muted)}svg text.tick{font-size:10px;fill:var(--muted)}svg .grid{stroke:#e7ebf0}
.timeline .sip-tick{stroke-width:2}.creq{stroke:var(--req)}.c1xx{stroke:var(--c1)}.c2xx{stroke:var(--c2)}.c3xx{stroke:var(--c3)}.c4xx,.c5xx,.c6xx{stroke:var(--c4)}
.timeline rect.speech{fill:var(--speech);opacity:.8}.timeline rect.tone{fill:var(--tone)}.timeline rect.step.passed{fill:var(--pass);opacity:.85}.timeline rect.step.failed{fill:var(--fail)}
.timeline .dtmf rect{fill:#4a5568}.timeline .dtmf-received rect{fill:#805ad5}.timeline .dtmf text{fill:#fff;font-size:11px;font-weight:700}
details.events{margin-top:8px}details.events table,table.steps{border-collapse:collapse;width:100%;font-size:12.5px}
td,th{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}th{font-size:11px;color:var(--muted);text-transform:uppercase}
tr.failed td{background:#fff1f1}tr.failed .st{color:var(--fail);font-weight:700}tr.passed .st{color:var(--pass);font-weight:700}.line,.score{color:var(--muted);font-size:11px}
.audio-bar{display:flex;align-items:center;gap:12px;margin-bottom:6px}.audio-bar audio{height:34px;width:420px}.file{color:var(--muted);font-family:"DejaVu Sans Mono",monospace;font-size:12px}
.waveform{display:block;cursor:pointer;border:1px solid var(--line);border-radius:4px}.waveform .band{fill:#fbfcfe}.waveform .axis{stroke:#dde3ea}
.wave{stroke-width:1;fill:none}.wave.ch0{stroke:var(--wave0)}.wave.ch1{stroke:var(--wave1)}.playhead{stroke:#e53e3e;stroke-width:2;vector-effect:non-scaling-stroke}
.charts{display:flex;flex-wrap:wrap;gap:12px;margin-top:10px}.chart{margin:0;border:1px solid var(--line);border-radius:6px;padding:6px;background:#fff}
.chart figcaption{font-size:12px;font-weight:600;margin:0 0 2px 6px}.chart .unit{color:var(--muted);font-weight:400}
.series{fill:none;stroke-width:1.8}.series.mos{stroke:#2b6cb0}.series.loss{stroke:var(--c4)}.series.jitter{stroke:#805ad5}.series.jitter-max{stroke:#b794f4;stroke-dasharray:4 3}
.dot.mos{fill:#2b6cb0}.dot.loss{fill:var(--c4)}.dot.jitter{fill:#805ad5}.dot.jitter-max{fill:#b794f4}
.empty,.note{color:var(--muted);font-size:13px;margin:4px 0}
.series.active{stroke:#2b6cb0}.series.started{stroke:var(--pass)}.series.failed{stroke:var(--fail)}.dot.active{fill:#2b6cb0}.dot.started{fill:var(--pass)}.dot.failed{fill:var(--fail)}
.dists,.tables{display:flex;flex-wrap:wrap;gap:24px}.dists>div{min-width:260px;flex:1}.dists h4{margin:0 0 4px;font-size:12px;color:var(--muted);text-transform:uppercase}
table.bars{border-collapse:collapse;width:100%;font-size:12px}table.bars th{width:90px;text-transform:none;font-size:12px;color:var(--fg)}table.bars td{border:0;padding:2px 4px}
.bar{height:12px;background:#2b6cb0;border-radius:2px;min-width:1px}td.n{text-align:right;font-variant-numeric:tabular-nums}
table.counts,table.checks,table.callers-table{border-collapse:collapse;font-size:12.5px}table.callers-table{width:100%}
tr.caller.failed td,tr.caller.setup-failed td,table.checks tr.fail td{background:#fff1f1}table.checks .st{font-weight:700}table.checks tr.pass .st{color:var(--pass)}table.checks tr.fail .st{color:var(--fail)}
.settings code{margin-right:10px;font-size:12px}.legend .k.active::before{background:#2b6cb0}.legend .k.started::before{background:var(--pass)}.legend .k.failed::before{background:var(--fail)}
`;

export const PAGE_SCRIPT = `
(function(){
  function toggle(row, open){
    var text = document.getElementById(row.getAttribute('aria-controls'));
    if (!text) return;
    var show = open === undefined ? text.hidden : open;
    text.hidden = !show;
    row.setAttribute('aria-expanded', show ? 'true' : 'false');
  }
  document.querySelectorAll('.msg').forEach(function(row){
    row.addEventListener('click', function(){ toggle(row); });
    row.addEventListener('keydown', function(e){ if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); toggle(row); } });
  });
  document.querySelectorAll('button.expand-all').forEach(function(b){
    b.addEventListener('click', function(){
      var card = b.closest('.card');
      var rows = card.querySelectorAll('.msg');
      var open = b.textContent === 'expand all';
      rows.forEach(function(r){ toggle(r, open); });
      b.textContent = open ? 'collapse all' : 'expand all';
    });
  });
  document.querySelectorAll('.audio').forEach(function(box){
    var audio = box.querySelector('audio');
    var svg = box.querySelector('svg.waveform');
    if (!audio || !svg) return;
    var head = svg.querySelector('.playhead');
    var total = Number(svg.getAttribute('data-duration-ms')) / 1000;
    var width = svg.viewBox.baseVal.width;
    function draw(){
      var d = audio.duration && isFinite(audio.duration) ? audio.duration : total;
      var x = d > 0 ? Math.min(1, audio.currentTime / d) * width : 0;
      head.setAttribute('x1', x); head.setAttribute('x2', x);
    }
    audio.addEventListener('timeupdate', draw);
    audio.addEventListener('seeked', draw);
    svg.addEventListener('click', function(e){
      var r = svg.getBoundingClientRect();
      var d = audio.duration && isFinite(audio.duration) ? audio.duration : total;
      audio.currentTime = Math.max(0, Math.min(d, (e.clientX - r.left) / r.width * d));
      draw();
    });
  });
})();
`;
