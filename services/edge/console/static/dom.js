// Small helpers for building pages from strings, with everything that
// came from a service escaped.

/** Returns `text` safe inside HTML. */
export function esc(text) {
  return String(text ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

/** A template tag joining its parts (callers escape service data with esc). */
export function html(strings, ...values) {
  return strings.reduce((out, s, i) => out + s + (i < values.length ? values[i] ?? '' : ''), '');
}

/** Returns a table of `rows`, each column `{ key, label, num, cell }`. */
export function table(id, columns, rows) {
  const head = columns.map((c) => `<th class="${c.num ? 'num' : ''}">${esc(c.label)}</th>`).join('');
  const body = rows.map((row) => `<tr data-key="${esc(row.__key ?? '')}">${columns.map((c) => {
    const raw = typeof c.value === 'function' ? c.value(row) : row[c.key];
    const shown = c.cell ? c.cell(row) : esc(raw);
    return `<td class="${c.num ? 'num' : ''}" data-field="${c.key}" data-value="${esc(raw ?? '')}">${shown}</td>`;
  }).join('')}</tr>`).join('');
  return `<table id="${id}"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** Returns today's date in Asia/Shanghai as YYYY-MM-DD, `offset` days on. */
export function shanghaiDate(offset = 0) {
  const d = new Date(Date.now() + 8 * 3600e3 + offset * 86400e3);
  return d.toISOString().slice(0, 10);
}
