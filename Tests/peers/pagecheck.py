"""What a phone (and a desktop) needs from every page, measured in the browser.

- no horizontal overflow: the document is no wider than the viewport;
- no text squeezed into a column so narrow that a word breaks letter by letter: every text
  of two or more letters keeps at least two characters per line;
- tap targets of at least 44 x 44 CSS px: buttons, fields, selects, summaries, checkbox
  labels and links, except a link inside a sentence (WCAG 2.5.5 exempts inline targets);
- axe-core (the copy shipped in the PyPI package axe-selenium-python, no network): no
  violation of serious or critical impact.
"""

from __future__ import annotations

from pathlib import Path

from axe_selenium_python import Axe

from browser import full_page_png

MIN_TARGET = 44

OVERFLOW_JS = """
const vw = document.documentElement.clientWidth;
const out = [];
for (const el of document.querySelectorAll('body *')) {
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.right <= vw + 0.5) continue;
  if ([...el.children].some(c => c.getBoundingClientRect().right > vw + 0.5)) continue;
  out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' right=' + Math.round(r.right) + ' ' + (el.textContent || '').trim().slice(0, 60));
}
return {scrollWidth: document.documentElement.scrollWidth, viewport: vw, culprits: out.slice(0, 8)};
"""

NARROW_TEXT_JS = """
const out = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  const letters = node.textContent.replace(/\\s+/g, '');
  if (letters.length < 2 || node.parentElement.closest('svg, script, style')) continue;
  const range = document.createRange();
  range.selectNodeContents(node);
  const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
  if (tops.size > 1 && letters.length / tops.size < 2) {
    out.push(tops.size + ' lines for ' + JSON.stringify(node.textContent.trim().slice(0, 50)) +
             ' in <' + node.parentElement.tagName.toLowerCase() + '>');
  }
}
return out;
"""

TARGETS_JS = """
const min = arguments[0];
const out = [];
let measured = 0;
const visible = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
// A link inside a sentence: its block holds other text than the link.
const inSentence = a => {
  if (getComputedStyle(a).display !== 'inline') return false;
  const block = a.parentElement;
  const rest = [...block.childNodes].filter(n => n !== a).map(n => n.textContent).join('').replace(/[\\s·:,.()]+/g, '');
  return rest.length > 0;
};
const els = document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary, label.check');
for (const el of els) {
  if (!visible(el)) continue;
  if (el.matches('a') && inSentence(el)) continue;
  if (el.matches('input[type=checkbox], input[type=radio]') && el.closest('label.check')) continue;
  measured++;
  const r = el.getBoundingClientRect();
  if (r.height < min - 0.5 || r.width < min - 0.5) {
    out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' ' + Math.round(r.width) + 'x' + Math.round(r.height) +
             ' ' + JSON.stringify((el.textContent || el.value || '').trim().slice(0, 40)));
  }
}
return {measured, small: out};
"""


def layout_problems(driver) -> dict:
    """What is wrong with the page's layout at the current viewport (empty lists: nothing)."""
    overflow = driver.execute_script(OVERFLOW_JS)
    targets = driver.execute_script(TARGETS_JS, MIN_TARGET)
    return {
        "overflow": overflow["culprits"] if overflow["scrollWidth"] > overflow["viewport"] else [],
        "scrollWidth": overflow["scrollWidth"],
        "viewport": overflow["viewport"],
        "narrow": driver.execute_script(NARROW_TEXT_JS),
        "small_targets": targets["small"],
        "targets_measured": targets["measured"],
    }


def open_all_details(driver) -> None:
    """Open every folded part, so that what it holds is measured too."""
    driver.execute_script("for (const d of document.querySelectorAll('details')) d.open = true")


def axe_serious(driver) -> list[str]:
    """Serious and critical axe-core violations of the page, one line each."""
    axe = Axe(driver)
    axe.inject()
    results = axe.run()
    return [f"{v['id']} ({v['impact']}): {v['help']} — " +
            "; ".join(n["target"][0] if n["target"] else "?" for n in v["nodes"][:4])
            for v in results["violations"] if v["impact"] in ("serious", "critical")]


def save_full_page(driver, path: Path) -> Path:
    data = full_page_png(driver)
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 1000, f"{path}: not a PNG"
    path.write_bytes(data)
    return path
