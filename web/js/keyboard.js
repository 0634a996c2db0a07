// Keyboard patterns shared by the views: a list of rows with one tab stop (arrow keys move, Enter
// and Space activate), a grid of buttons moved through with the arrows, and keeping the focused
// row focused when a list is rebuilt.

const ROW = '[data-row]';

/**
 * Makes the rows (`[data-row]` children, rebuilt at will) of `list` one tab stop: Up/Down, Home/End
 * move the focus, Enter and Space click the row. Call `syncRows(list)` after each rebuild.
 */
export function rowNavigation(list) {
  list.addEventListener('keydown', (e) => {
    const row = e.target.closest(ROW);
    if (!row || row.parentElement !== list) return;
    const rows = [...list.querySelectorAll(`:scope > ${ROW}`)];
    const index = rows.indexOf(row);
    let next = null;
    if (e.key === 'ArrowDown') next = rows[Math.min(rows.length - 1, index + 1)];
    else if (e.key === 'ArrowUp') next = rows[Math.max(0, index - 1)];
    else if (e.key === 'Home') next = rows[0];
    else if (e.key === 'End') next = rows[rows.length - 1];
    else if ((e.key === 'Enter' || e.key === ' ') && e.target === row) {
      e.preventDefault();
      row.click();
      return;
    } else {
      return;
    }
    e.preventDefault();
    focusRow(list, next);
  });
  list.addEventListener('focusin', (e) => {
    const row = e.target.closest(ROW);
    if (row && row.parentElement === list) setTabStop(list, row);
  });
}

function setTabStop(list, row) {
  for (const other of list.querySelectorAll(`:scope > ${ROW}`)) other.tabIndex = other === row ? 0 : -1;
}

function focusRow(list, row) {
  if (!row) return;
  setTabStop(list, row);
  row.focus();
  row.scrollIntoView({ block: 'nearest' });
}

/**
 * Rebuilds `list` with `rows` (elements carrying `data-row` keys), keeping the keyboard focus on the
 * row with the same key and one tab stop: the focused row, else `preferred` (a key), else the first.
 */
export function replaceRows(list, rows, preferred = null) {
  const focused = document.activeElement?.closest?.(ROW);
  const focusedKey = focused && focused.parentElement === list ? focused.dataset.row : null;
  const stopKey = focusedKey ?? list.querySelector(`:scope > ${ROW}[tabindex="0"]`)?.dataset.row ?? preferred;
  list.replaceChildren(...rows);
  const all = [...list.querySelectorAll(`:scope > ${ROW}`)];
  const stop = all.find((r) => r.dataset.row === stopKey) ?? all.find((r) => r.dataset.row === preferred) ?? all[0];
  for (const row of all) row.tabIndex = row === stop ? 0 : -1;
  if (focusedKey !== null) {
    const again = all.find((r) => r.dataset.row === focusedKey);
    if (again) again.focus({ preventScroll: true });
  }
}

/**
 * Arrow keys over the buttons of a grid (`selector` inside `root`) laid out in rows of `columns()`;
 * Home/End go to the first and last. Returns nothing; the buttons keep their own Enter/Space.
 */
export function gridNavigation(root, selector, columns) {
  root.addEventListener('keydown', (e) => {
    const item = e.target.closest(selector);
    if (!item || !root.contains(item)) return;
    const items = [...root.querySelectorAll(selector)].filter((el) => el.offsetParent !== null);
    const index = items.indexOf(item);
    const cols = columns();
    const moves = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: cols, ArrowUp: -cols };
    let target;
    if (e.key in moves) target = items[index + moves[e.key]];
    else if (e.key === 'Home') target = items[0];
    else if (e.key === 'End') target = items[items.length - 1];
    else return;
    e.preventDefault();
    target?.focus();
  });
}

/** Moves the focus to the first focusable element inside `root`. */
export function focusFirst(root, selector = 'button, [href], input, select, textarea, [tabindex]:not([tabindex="-1"])') {
  const target = [...root.querySelectorAll(selector)].find((el) => !el.disabled && el.offsetParent !== null);
  target?.focus();
  return target;
}
