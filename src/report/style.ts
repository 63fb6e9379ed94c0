/** The report's only stylesheet, inlined: readable at 1400 px, tiles shrink to fit a row of methods. */
export const REPORT_CSS = `
:root { color-scheme: light; --ink: #1d2330; --muted: #5b6475; --line: #dfe3ea; --bg: #f6f7f9; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px 48px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #fff; }
header { border-bottom: 1px solid var(--line); margin-bottom: 16px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 24px 0 8px; }
.meta { margin: 0 0 4px; color: var(--muted); }
.note { margin: 4px 0 12px; color: var(--muted); font-size: 13px; max-width: 1100px; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
/* Headers wrap so that all metric columns fit a laptop-width window. */
thead th { white-space: normal; max-width: 96px; vertical-align: bottom; }
th:first-child { text-align: left; }
thead th { background: var(--bg); font-weight: 600; border-bottom: 2px solid var(--line); }
tbody th { font-weight: 600; }
tfoot th, tfoot td { font-weight: 600; border-top: 2px solid var(--line); }
td.strong { font-weight: 700; }
details { margin: 6px 0; }
summary { cursor: pointer; font-weight: 600; padding: 4px 0; }
details table { margin: 6px 0 12px; font-size: 13px; }
/* Image rows flow side by side when they are narrow (few methods) and take a line each otherwise. */
.rows { display: flex; flex-wrap: wrap; gap: 14px; }
.row { display: grid; grid-template-columns: repeat(var(--cols), minmax(0, 1fr)); gap: 10px; padding: 10px; border: 1px solid var(--line); border-radius: 6px;
  width: min(100%, calc(var(--cols) * 186px + 12px)); }
.tile { margin: 0; min-width: 0; }
.pic { position: relative; line-height: 0; border-radius: 3px; overflow: hidden; background: #000; }
.pic img { width: 100%; height: auto; display: block; }
.pic.pixelated img { image-rendering: pixelated; }
.box { position: absolute; border: 2px solid #fff; outline: 1px solid #000; pointer-events: none; }
figcaption { font-size: 12px; line-height: 1.35; color: var(--muted); margin-top: 5px; font-variant-numeric: tabular-nums; }
figcaption span { white-space: nowrap; }
figcaption .name { color: var(--ink); font-weight: 600; font-size: 13px; overflow-wrap: anywhere; }
.original figcaption .name { font-weight: 700; }
.missing { background: var(--bg); border-radius: 3px; padding: 8px; }
.hit { color: #11773b; }
.miss { color: #b3261e; }
`;
