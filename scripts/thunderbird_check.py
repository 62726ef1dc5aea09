#!/usr/bin/env python3
"""Drive a real, headless Thunderbird against plancal's CalDAV server.

Started by thunderbird-check.sh (which installs Thunderbird, creates the access
code and starts `plancal serve`). This driver:

  1. writes a fresh profile (user.js registers a CalDAV calendar, disabled
     until the password is in the login manager);
  2. starts `thunderbird --headless --marionette` with Thunderbird's own HTTP
     log (MOZ_LOG=nsHttp) so the requests it sends can be reported;
  3. over Marionette (chrome context), stores the access code in Thunderbird's
     login manager, enables the calendar, waits for the sync, compares the
     tasks Thunderbird shows with what the server lists;
  4. ticks tasks the way Thunderbird's task list checkbox does
     (clone, isCompleted = true, doTransaction("modify", ...) -> calendar
     modifyItem -> Thunderbird sends the PUT), for a news task also adding the
     article link on a new line at the end of the notes;
  5. forces a refresh and reads the tasks back; checks `plancal history`;
  6. prints a JSON summary and the HTTP exchanges Thunderbird logged.

Exit 0 only when every ticked task is read back COMPLETED by Thunderbird and
each has its record (with "qua ứng dụng: <Thunderbird UA>") in the history.
"""
import argparse
import base64
import html
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from marionette_driver.marionette import Marionette

CAL_ID = "plancal-check-0001"


def log(msg):
    print(f"[driver {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def fail(msg, code=1):
    print(f"FAIL: {msg}", file=sys.stderr, flush=True)
    raise SystemExit(code)


def js_str(s):
    """A user.js string literal (JSON is a valid JS string literal)."""
    return json.dumps(s, ensure_ascii=False)


def write_profile(profile, a):
    os.makedirs(profile, exist_ok=True)
    prefs = {
        # first run, wizards, default-client check, start page, updates, telemetry
        "mail.provider.suppress_dialog_on_startup": True,
        "mail.shell.checkDefaultClient": False,
        "mailnews.start_page.enabled": False,
        "mailnews.start_page_override.mstone": "ignore",
        "mail.rights.version": 1,
        "mail.spotlight.firstRunDone": True,
        "mail.winsearch.firstRunDone": True,
        "app.update.disabledForTesting": True,
        "app.update.auto": False,
        "app.update.checkInstallTime": False,
        "app.update.staging.enabled": False,
        "extensions.update.enabled": False,
        "extensions.getAddons.cache.enabled": False,
        "datareporting.policy.dataSubmissionEnabled": False,
        "datareporting.healthreport.uploadEnabled": False,
        "toolkit.telemetry.reportingpolicy.firstRun": False,
        "toolkit.telemetry.enabled": False,
        "browser.shell.checkDefaultBrowser": False,
        "signon.rememberSignons": True,
        "network.captive-portal-service.enabled": False,
        "network.connectivity-service.enabled": False,
        "mail.startup.enabledMailCheckOnce": True,
        # no internet here: don't let Thunderbird look for timezone/ISP data etc.
        "calendar.timezone.useSystemTimezone": False,
        "calendar.timezone.local": a.timezone,
        # marionette
        "marionette.port": a.marionette_port,
        "remote.prefs.recommended": True,
        # calendar debug log (CalDAV requests and bodies on the console)
        "calendar.loglevel": "Debug",
        "devtools.console.stdout.chrome": True,
        "browser.dom.window.dump.enabled": True,
        # the CalDAV calendar; disabled until the password is stored, then the
        # driver enables it (that triggers the first refresh deterministically)
        f"calendar.registry.{CAL_ID}.type": "caldav",
        f"calendar.registry.{CAL_ID}.uri": a.dav_url,
        f"calendar.registry.{CAL_ID}.name": a.calendar_name,
        f"calendar.registry.{CAL_ID}.username": a.user,
        f"calendar.registry.{CAL_ID}.cache.enabled": True,
        f"calendar.registry.{CAL_ID}.calendar-main-in-composite": True,
        f"calendar.registry.{CAL_ID}.color": "#1e90ff",
        f"calendar.registry.{CAL_ID}.readOnly": False,
        f"calendar.registry.{CAL_ID}.suppressAlarms": True,
        f"calendar.registry.{CAL_ID}.disabled": True,
    }
    lines = []
    for k, v in prefs.items():
        if isinstance(v, bool):
            val = "true" if v else "false"
        elif isinstance(v, int):
            val = str(v)
        else:
            val = js_str(v)
        lines.append(f"user_pref({js_str(k)}, {val});")
    with open(os.path.join(profile, "user.js"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def wait_port(port, timeout, proc):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            fail(f"Thunderbird exited early with code {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    fail(f"Marionette port {port} did not open within {timeout}s")


def dav(a, method, url, body=None, headers=None):
    req = urllib.request.Request(url, data=body.encode() if body else None, method=method)
    tok = base64.b64encode(f"{a.user}:{a.password}".encode()).decode()
    req.add_header("Authorization", "Basic " + tok)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def ical_unescape(v):
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), v)


def server_tasks(a):
    """UID -> (SUMMARY, STATUS) as the server renders them (unfolded, unescaped)."""
    q = ('<?xml version="1.0"?><C:calendar-query xmlns:D="DAV:" '
         'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/>'
         '</D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VTODO"/>'
         '</C:comp-filter></C:filter></C:calendar-query>')
    st, body = dav(a, "REPORT", a.dav_url, q, {"Depth": "1", "Content-Type": "application/xml"})
    if st != 207:
        fail(f"server REPORT answered {st}")
    out = {}
    for m in re.finditer(r"BEGIN:VTODO(.*?)END:VTODO", html.unescape(body), re.S):
        text = re.sub(r"\r?\n[ \t]", "", m.group(1))
        props = {}
        for line in text.splitlines():
            if ":" in line:
                k, v = line.split(":", 1)
                props.setdefault(k.split(";")[0], v)
        out[props["UID"]] = {"summary": ical_unescape(props.get("SUMMARY", "")),
                             "description": ical_unescape(props.get("DESCRIPTION", "")),
                             "status": props.get("STATUS")}
    return out


JS_SETUP = r"""
const [a, resolve] = [arguments[0], arguments[arguments.length - 1]];
(async () => {
  const { cal } = ChromeUtils.importESModule("resource:///modules/calendar/calUtils.sys.mjs");
  const out = { steps: [] };
  // 1. password into Thunderbird's login manager. Thunderbird's calendar
  // manager rewrites the server's realm "plancal" to "plancal (<calendar name>)"
  // (http-on-examine-response, realmrewrite), so the login is looked up under
  // that realm; store both.
  for (const realm of [a.realm, `${a.realm} (${a.calendar_name})`]) {
    const li = Cc["@mozilla.org/login-manager/loginInfo;1"].createInstance(Ci.nsILoginInfo);
    li.init(a.origin, null, realm, a.user, a.password, "", "");
    const existing = await Services.logins.searchLoginsAsync({ origin: a.origin, httpRealm: realm });
    if (!existing.length) {
      if (Services.logins.addLoginAsync) {
        await Services.logins.addLoginAsync(li);
      } else {
        Services.logins.addLogin(li);
      }
    }
    out.steps.push(`login stored for realm ${realm}`);
  }
  // 2. wait for the calendar manager to have our calendar
  let calendar = null;
  for (let i = 0; i < 200 && !calendar; i++) {
    try { calendar = cal.manager.getCalendarById(a.cal_id); } catch (e) {}
    if (!calendar) await new Promise(r => setTimeout(r, 100));
  }
  if (!calendar) { resolve({ error: "calendar not registered: " + JSON.stringify(cal.manager.getCalendars().map(c => c.id)) }); return; }
  out.calendar = { id: calendar.id, name: calendar.name, type: calendar.type, uri: calendar.uri.spec,
                   cached: !!calendar.getProperty("cache.enabled"), readOnly: calendar.readOnly };
  out.userAgent = Cc["@mozilla.org/network/protocol;1?name=http"].getService(Ci.nsIHttpProtocolHandler).userAgent;
  out.appVersion = Services.appinfo.version;
  // 3. enabling it (as the calendar list's checkbox does) starts the first refresh
  calendar.setProperty("disabled", false);
  out.steps.push("calendar enabled");
  resolve(out);
})().catch(e => resolve({ error: String(e) + "\n" + (e.stack || "") }));
"""

JS_LIST = r"""
const [a, resolve] = [arguments[0], arguments[arguments.length - 1]];
(async () => {
  const { cal } = ChromeUtils.importESModule("resource:///modules/calendar/calUtils.sys.mjs");
  const calendar = cal.manager.getCalendarById(a.cal_id);
  const filter = Ci.calICalendar.ITEM_FILTER_TYPE_TODO | Ci.calICalendar.ITEM_FILTER_COMPLETED_ALL;
  const items = await calendar.getItemsAsArray(filter, 0, null, null);
  resolve({
    readOnly: calendar.readOnly,
    disabled: !!calendar.getProperty("disabled"),
    currentStatus: calendar.getProperty("currentStatus"),
    items: items.map(t => ({
      id: t.id, title: t.title, status: t.status,
      completed: t.isCompleted,
      completedDate: t.completedDate ? t.completedDate.icalString : null,
      due: t.dueDate ? t.dueDate.icalString : null,
      url: t.getProperty("URL"),
      description: t.getProperty("DESCRIPTION"),
    })),
  });
})().catch(e => resolve({ error: String(e) + "\n" + (e.stack || "") }));
"""

JS_REFRESH = r"""
const [a, resolve] = [arguments[0], arguments[arguments.length - 1]];
(async () => {
  const { cal } = ChromeUtils.importESModule("resource:///modules/calendar/calUtils.sys.mjs");
  const calendar = cal.manager.getCalendarById(a.cal_id);
  // wait for onLoad of this calendar (a refresh that finished), with a timeout
  const done = new Promise(res => {
    const obs = {
      QueryInterface: ChromeUtils.generateQI(["calIObserver"]),
      onStartBatch() {}, onEndBatch() {}, onAddItem() {}, onModifyItem() {}, onDeleteItem() {},
      onError(c, n, m) { this.err = `${n} ${m}`; },
      onPropertyChanged() {}, onPropertyDeleting() {},
      onLoad(c) { if (c.id == calendar.id) { cal.manager.removeCalendarObserver(obs); res("onLoad"); } },
    };
    cal.manager.addCalendarObserver(obs);
    setTimeout(() => { cal.manager.removeCalendarObserver(obs); res("timeout"); }, a.timeout_ms);
  });
  calendar.refresh();
  resolve(await done);
})().catch(e => resolve({ error: String(e) }));
"""

JS_TICK = r"""
const [a, resolve] = [arguments[0], arguments[arguments.length - 1]];
(async () => {
  const { cal } = ChromeUtils.importESModule("resource:///modules/calendar/calUtils.sys.mjs");
  const calendar = cal.manager.getCalendarById(a.cal_id);
  const oldItem = await calendar.getItem(a.uid);
  if (!oldItem) { resolve({ error: "Thunderbird has no item " + a.uid }); return; }
  const newItem = oldItem.clone().QueryInterface(Ci.calITodo);
  // what the task list's "completed" checkbox does (calendar-task-tree-view.js cycleCell)
  newItem.isCompleted = true;
  if (a.completed_date) {
    // what the task dialog's "completed on" date picker does
    newItem.completedDate = cal.createDateTime(a.completed_date);
  }
  if (a.link) {
    if (a.link_mode == "url") {
      newItem.setProperty("URL", a.link);
    } else {
      // a new line at the end of the notes, as a person would type it
      newItem.descriptionText = (oldItem.descriptionText || "") + "\n" + a.link;
    }
  }
  const sent = { status: newItem.status, completedDate: newItem.completedDate?.icalString,
                 percent: newItem.percentComplete, ics: newItem.icalString };
  const errors = [];
  const obs = {
    QueryInterface: ChromeUtils.generateQI(["calIObserver"]),
    onStartBatch() {}, onEndBatch() {}, onAddItem() {}, onModifyItem() {}, onDeleteItem() {},
    onLoad() {}, onPropertyChanged() {}, onPropertyDeleting() {},
    onError(c, n, m) { errors.push(`${n}: ${m}`); },
  };
  cal.manager.addCalendarObserver(obs);
  let via, result;
  try {
    const win = Services.wm.getMostRecentWindow("mail:3pane");
    if (a.use_transaction && win && typeof win.doTransaction == "function") {
      via = "window.doTransaction('modify') (the UI's transaction manager)";
      await win.doTransaction("modify", newItem, calendar, oldItem, null);
      // doTransaction does not hand back the operation's outcome: wait for the item to change
      result = "transaction committed";
    } else {
      via = "calendar.modifyItem(newItem, oldItem)";
      const r = await calendar.modifyItem(newItem, oldItem);
      result = "modifyItem resolved: " + (r && r.status);
    }
  } catch (e) {
    result = "rejected: " + (e && (e.message || e.result || e));
  }
  const end = Date.now() + a.settle_ms;
  let now;
  do {
    await new Promise(r => setTimeout(r, 250));
    now = await calendar.getItem(a.uid);
  } while (Date.now() < end && now.status != "COMPLETED");
  await new Promise(r => setTimeout(r, 500));
  cal.manager.removeCalendarObserver(obs);
  now = await calendar.getItem(a.uid);
  resolve({ via, result, errors, sent,
            after: { status: now.status, completed: now.isCompleted, title: now.title } });
})().catch(e => resolve({ error: String(e) + "\n" + (e.stack || "") }));
"""


JS_TICK_TREE = r"""
const [a, resolve] = [arguments[0], arguments[arguments.length - 1]];
(async () => {
  // The Tasks tab's "completed" checkbox: calendar-task-tree-view.js cycleCell(row, col)
  // clones the task, sets isCompleted and calls doTransaction("modify", ...).
  const { cal } = ChromeUtils.importESModule("resource:///modules/calendar/calUtils.sys.mjs");
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  const calendar = cal.manager.getCalendarById(a.cal_id);
  const win = Services.wm.getMostRecentWindow("mail:3pane");
  win.document.getElementById("tabmail").openTab("tasks", {});
  const tree = win.document.getElementById("calendar-task-tree");
  let row = -1;
  for (let i = 0; i < 100 && row < 0; i++) {
    row = tree.mTaskArray.findIndex(t => t.id == a.uid);
    if (row < 0) await sleep(200);
  }
  if (row < 0) {
    resolve({ error: `task ${a.uid} is not in the Tasks tab (${tree.mTaskArray.length} rows, filter ${tree.getAttribute("filterValue")})` });
    return;
  }
  const before = tree.mTaskArray[row];
  const col = tree.columns.getColumnFor(tree.querySelector("#calendar-task-tree-col-completed"));
  tree.view.cycleCell(row, col);
  const end = Date.now() + a.settle_ms;
  let now;
  do { await sleep(250); now = await calendar.getItem(a.uid); } while (Date.now() < end && now.status != "COMPLETED");
  await sleep(500);
  now = await calendar.getItem(a.uid);
  resolve({ via: `Tasks tab checkbox (row ${row} of ${tree.mTaskArray.length}, filter ${tree.getAttribute("filterValue")})`,
            result: "clicked", errors: [], before: { status: before.status, title: before.title },
            after: { status: now.status, completed: now.isCompleted, title: now.title } });
})().catch(e => resolve({ error: String(e) + "\n" + (e.stack || "") }));
"""

JS_TICK_DIALOG = r"""
const [a, resolve] = [arguments[0], arguments[arguments.length - 1]];
(async () => {
  // The task dialog: Edit task, Status "Completed", the article link typed on a new line at
  // the end of the notes (Thunderbird has no editable URL field), Save and Close.
  const { cal } = ChromeUtils.importESModule("resource:///modules/calendar/calUtils.sys.mjs");
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  const calendar = cal.manager.getCalendarById(a.cal_id);
  const item = await calendar.getItem(a.uid);
  const win = Services.wm.getMostRecentWindow("mail:3pane");
  win.modifyEventWithDialog(item, false);
  let dlg = null;
  for (let i = 0; i < 150 && !dlg; i++) {
    dlg = Services.wm.getMostRecentWindow("Calendar:EventDialog");
    if (!dlg) await sleep(100);
  }
  if (!dlg) { resolve({ error: "the task dialog did not open" }); return; }
  let iw = null;
  for (let i = 0; i < 150; i++) {
    const fr = dlg.document.getElementById("calendar-item-panel-iframe");
    iw = fr && fr.contentWindow;
    if (iw && iw.document.readyState == "complete" && iw.document.getElementById("item-title")?.value) break;
    await sleep(100);
  }
  await sleep(500);
  const shown = { title: iw.document.getElementById("item-title").value };
  const desc = iw.document.getElementById("item-description");
  const editor = desc.getHTMLEditor(desc.contentWindow);
  shown.notes = editor.outputToString("text/plain", 0);
  const status = iw.document.getElementById("todo-status");
  status.value = "COMPLETED";
  iw.updateToDoStatus("COMPLETED");   // the menulist's oncommand
  if (a.link) {
    desc.contentWindow.focus();
    editor.endOfDocument();
    editor.insertLineBreak();
    editor.insertText(a.link);
  }
  dlg.document.querySelector("dialog").acceptDialog();   // Save and Close
  for (let i = 0; i < 100 && !dlg.closed; i++) await sleep(100);
  const end = Date.now() + a.settle_ms;
  let now;
  do { await sleep(250); now = await calendar.getItem(a.uid); } while (Date.now() < end && now.status != "COMPLETED");
  await sleep(500);
  now = await calendar.getItem(a.uid);
  resolve({ via: "task dialog (Status: Completed" + (a.link ? ", link typed at the end of the notes" : "") + ", Save and Close)",
            result: dlg.closed ? "dialog saved and closed" : "dialog still open", errors: [], shown,
            after: { status: now.status, completed: now.isCompleted, title: now.title } });
})().catch(e => resolve({ error: String(e) + "\n" + (e.stack || "") }));
"""


def run_js(m, script, args, timeout=120):
    m.timeout.script = timeout
    res = m.execute_async_script(script, script_args=(args,), new_sandbox=True)
    if isinstance(res, dict) and res.get("error"):
        fail("Thunderbird JS: " + res["error"])
    return res


def parse_http_log(path, origin):
    """Requests/responses Thunderbird logged (MOZ_LOG nsHttp:3 writes the headers)."""
    d = os.path.dirname(path)
    text = ""
    for f in sorted(os.listdir(d)):
        if f.startswith(os.path.basename(path)):
            with open(os.path.join(d, f), encoding="utf-8", errors="replace") as fh:
                text += fh.read()
    host = origin.split("//", 1)[1]
    blocks = []          # (kind, [lines]) in log order
    open_blocks = {}     # thread -> (kind, lines)
    for raw in text.splitlines():
        mm = re.match(r"^.*? - \[([^\]]*)\]: [A-Z]/nsHttp (.*)$", raw)
        if not mm:
            continue
        thread, content = mm.group(1), mm.group(2)
        if content in ("http request [", "http response ["):
            open_blocks[thread] = (content.split()[1], [])
        elif thread in open_blocks:
            if content == "]":
                blocks.append(open_blocks.pop(thread))
            else:
                open_blocks[thread][1].append(content.strip())
    ex = []
    pending = []  # requests to our host still waiting for their response, in order
    for kind, lines in blocks:
        lines = [l for l in lines if l]
        if not lines:
            continue
        hdr = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in lines[1:] if ":" in l}
        if kind == "request":
            if hdr.get("host", "").lower() != host.lower():
                continue
            e = {"request": lines[0].replace(" HTTP/1.1", ""), "if-match": hdr.get("if-match"),
                 "if-none-match": hdr.get("if-none-match"), "depth": hdr.get("depth"),
                 "authorization": "yes" if "authorization" in hdr else "no",
                 "content-type": hdr.get("content-type"), "user-agent": hdr.get("user-agent")}
            ex.append(e)
            pending.append(e)
        elif pending:
            e = pending.pop(0)
            e["status"] = lines[0].replace("HTTP/1.1 ", "")
            e["etag"] = hdr.get("etag")
    return ex


def parse_caldav_log(path):
    """Thunderbird's own CalDAV log (calendar.loglevel=Debug): what each request was."""
    out = []
    if not os.path.exists(path):
        return out
    text = open(path, encoding="utf-8", errors="replace").read()
    for mm in re.finditer(r"CalDAV: send \((\w+) ([^)]*)\): ?(.{0,400})", text, re.S):
        method, uri, body = mm.group(1), mm.group(2), mm.group(3)
        root = re.search(r"<(?:\w+:)?([\w-]+)[ >]", body.replace('<?xml version="1.0" encoding="UTF-8"?>', ""))
        kind = root.group(1) if root and method in ("REPORT", "PROPFIND") else ""
        if method == "PUT":
            st = re.search(r"STATUS:([A-Z-]+)", text[mm.start():mm.start() + 20000])
            kind = "VTODO STATUS:" + (st.group(1) if st else "?")
        out.append(f"{method} /{uri.split('//', 1)[-1].split('/', 1)[-1]} {kind}".strip())
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--thunderbird", default="thunderbird")
    p.add_argument("--profile", required=True)
    p.add_argument("--workdir", required=True)
    p.add_argument("--marionette-port", type=int, required=True)
    p.add_argument("--dav-url", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--realm", default="plancal")
    p.add_argument("--calendar-name", default="Bạch Đằng — Phòng Văn hóa - Xã hội")
    p.add_argument("--timezone", default="Asia/Ho_Chi_Minh")
    p.add_argument("--plancal", required=True)
    p.add_argument("--plan", required=True)
    p.add_argument("--db", required=True)
    p.add_argument("--today", required=True, help="the server's --today, yyyy-mm-dd")
    p.add_argument("--task", action="append", default=[],
                   help="occurrence id to tick, optionally id=link for a news item (repeatable)")
    p.add_argument("--tick-mode", choices=["ui", "api"], default="ui",
                   help="ui: the Tasks tab checkbox (the task dialog for a task with a link); "
                        "api: clone + isCompleted + doTransaction('modify') from script")
    p.add_argument("--link-mode", choices=["description", "url"], default="description",
                   help="api mode only: link on a new line of the notes, or in the URL property")
    p.add_argument("--timeout", type=int, default=120)
    a = p.parse_args()
    a.origin = re.match(r"^(https?://[^/]+)", a.dav_url).group(1)

    os.makedirs(a.workdir, exist_ok=True)
    write_profile(a.profile, a)
    http_log = os.path.join(a.workdir, "tb-http.log")
    env = dict(os.environ)
    env.update({
        "MOZ_HEADLESS": "1",
        "MOZ_LOG": "timestamp,sync,nsHttp:3",
        "MOZ_LOG_FILE": http_log,
        "TZ": a.timezone,
        "MOZ_CRASHREPORTER_DISABLE": "1",
    })
    tb_out = open(os.path.join(a.workdir, "thunderbird.log"), "w")
    cmd = [a.thunderbird, "--headless", "--no-remote", "--profile", a.profile, "--marionette",
           "--remote-allow-system-access"]
    log("starting " + " ".join(cmd))
    proc = subprocess.Popen(cmd, env=env, stdout=tb_out, stderr=subprocess.STDOUT, start_new_session=True)
    with open(os.path.join(a.workdir, "thunderbird.pid"), "w") as f:
        f.write(str(proc.pid))
    summary = {"ok": False}
    m = None
    t0 = time.time()
    try:
        wait_port(a.marionette_port, 90, proc)
        m = Marionette(host="127.0.0.1", port=a.marionette_port)
        m.start_session()
        m.set_context(m.CONTEXT_CHROME)
        log(f"marionette session up after {time.time() - t0:.1f}s")
        setup = run_js(m, JS_SETUP, {
            "realm": a.realm, "calendar_name": a.calendar_name, "origin": a.origin,
            "user": a.user, "password": a.password, "cal_id": CAL_ID,
        })
        summary.update({"thunderbird": setup["appVersion"], "userAgent": setup["userAgent"],
                        "calendar": setup["calendar"]})
        log("setup: " + json.dumps(setup, ensure_ascii=False))

        # wait for the sync: Thunderbird must show every task the server lists
        want = server_tasks(a)
        log(f"server lists {len(want)} tasks")
        end = time.time() + a.timeout
        listing = None
        while time.time() < end:
            listing = run_js(m, JS_LIST, {"cal_id": CAL_ID})
            if len(listing["items"]) >= len(want):
                break
            time.sleep(1)
        got = {i["id"]: i for i in listing["items"]}
        log(f"Thunderbird shows {len(got)} tasks after {time.time() - t0:.1f}s "
            f"(calendar readOnly={listing['readOnly']}, status={listing['currentStatus']})")
        missing = sorted(set(want) - set(got))
        extra = sorted(set(got) - set(want))
        text_diff = [u for u in want if u in got and got[u]["title"] != want[u]["summary"]]
        desc_diff = [u for u in want if u in got and (got[u]["description"] or "") != want[u]["description"]]
        summary["sync"] = {"server": len(want), "thunderbird": len(got), "missing": missing[:10],
                           "extra": extra[:10], "title_mismatch": [(u, want[u]["summary"], got[u]["title"]) for u in text_diff[:5]],
                           "description_mismatch": [(u, want[u]["description"], got[u]["description"]) for u in desc_diff[:3]]}
        log(f"titles identical to the server's: {len(want) - len(text_diff)}/{len(want)}; "
            f"notes identical: {len(want) - len(desc_diff)}/{len(want)}")
        if missing:
            fail(f"Thunderbird does not show {len(missing)} of the server's tasks, e.g. {missing[:3]}")
        if desc_diff:
            log(f"WARNING: {len(desc_diff)} notes differ between server and Thunderbird, e.g. {summary['sync']['description_mismatch'][:1]}")
        if text_diff:
            log(f"WARNING: {len(text_diff)} titles differ between server and Thunderbird: {summary['sync']['title_mismatch']}")
        if listing["readOnly"]:
            fail("Thunderbird treats the calendar as read-only")

        # tick
        today = a.today.replace("-", "")
        machine_day = time.strftime("%Y%m%d")  # TZ = plan's zone
        summary["ticks"] = []
        for spec in a.task:
            occ, _, link = spec.partition("=")
            cands = [u for u in got if u.startswith(f"task/{occ}@")]
            if not cands:
                fail(f"no task {occ} in Thunderbird")
            uid = cands[0]
            # The checkbox and the dialog's "Completed" stamp the machine's "now". The server
            # refuses a day after its --today (or before the item opens): when the clock is
            # outside --today's year up to --today, set the completed day explicitly (what the
            # dialog's date picker does) through the same transaction call instead.
            mode = a.tick_mode
            completed_date = None
            if mode != "api" and (machine_day > today or machine_day[:4] != today[:4]):
                log(f"machine date {machine_day} is outside {today[:4]}0101..{today}: "
                    "using the api path with COMPLETED on --today")
                mode = "api"
            if mode == "api" and (machine_day > today or machine_day[:4] != today[:4]):
                completed_date = today + "T100000"
            if mode == "ui":
                script = JS_TICK_DIALOG if link else JS_TICK_TREE
            else:
                script = JS_TICK
            log(f"ticking {uid}" + (f" with link {link}" if link else "")
                + (f", completed on {completed_date}" if completed_date else "") + f" [{mode}]")
            r = run_js(m, script, {"cal_id": CAL_ID, "uid": uid, "link": link or None,
                                   "link_mode": a.link_mode, "completed_date": completed_date,
                                   "use_transaction": True, "settle_ms": 8000},
                       timeout=a.timeout)
            log("tick: " + json.dumps({k: v for k, v in r.items() if k != "sent"}, ensure_ascii=False))
            summary["ticks"].append({"occurrence": occ, "uid": uid, "link": link or None, **r})

        # force a refresh and read back
        ref = run_js(m, JS_REFRESH, {"cal_id": CAL_ID, "timeout_ms": 60000}, timeout=90)
        log(f"refresh: {ref}")
        back = {i["id"]: i for i in run_js(m, JS_LIST, {"cal_id": CAL_ID})["items"]}
        srv = server_tasks(a)
        hist = subprocess.run([a.plancal, "history", "--plan", a.plan, "--db", a.db],
                              capture_output=True, text=True)
        summary["history"] = hist.stdout.strip().splitlines()
        all_ok = True
        for t in summary["ticks"]:
            b = back.get(t["uid"], {})
            t["read_back"] = {"status": b.get("status"), "completed": b.get("completed"),
                              "completedDate": b.get("completedDate"), "title": b.get("title"),
                              "notes_first_line": (b.get("description") or "").split("\n")[0]}
            t["server_status"] = srv.get(t["uid"], {}).get("status")
            lines = [l for l in summary["history"] if t["occurrence"] in l]
            t["history"] = lines
            t["ok"] = bool(b.get("completed")) and b.get("status") == "COMPLETED" and any(
                "qua ứng dụng:" in l and "Thunderbird" in l for l in lines)
            all_ok = all_ok and t["ok"]
            log(f"{t['occurrence']}: read back status={b.get('status')} title={b.get('title')!r}; "
                f"server STATUS={t['server_status']}; history lines={len(lines)}")
        summary["ok"] = all_ok and bool(summary["ticks"])
    finally:
        # quit Thunderbird cleanly, then make sure it is gone
        if m is not None:
            try:
                m.execute_script("setTimeout(() => Services.startup.quit(Ci.nsIAppStartup.eAttemptQuit), 100);")
                m.delete_session(send_request=False)
            except Exception as e:
                log(f"asking Thunderbird to quit: {e}")
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        tb_out.close()
        summary["http"] = parse_http_log(http_log, a.origin)
        summary["caldav_log"] = parse_caldav_log(os.path.join(a.workdir, "thunderbird.log"))
        summary["elapsed_s"] = round(time.time() - t0, 1)
        with open(os.path.join(a.workdir, "summary.json"), "w", encoding="utf-8") as f:
            json.dump(summary, f, ensure_ascii=False, indent=2)

    print("\nHTTP exchanges Thunderbird logged (MOZ_LOG nsHttp):")
    for e in summary["http"]:
        print(f"  {e['request']:<75} -> {e.get('status', '?'):<28} If-Match={e.get('if-match') or '-'}"
              f" If-None-Match={e.get('if-none-match') or '-'} Depth={e.get('depth') or '-'} Auth={e['authorization']}")
    print("\nThunderbird's CalDAV log (calendar.loglevel=Debug), in order:")
    for l in summary.get("caldav_log", []):
        print("  " + l)
    print("\nplancal history:")
    for l in summary.get("history", []):
        print("  " + l)
    if not summary["ok"]:
        for t in summary.get("ticks", []):
            if not t.get("ok"):
                print(f"\n{t['occurrence']}: not done; Thunderbird shows status "
                      f"{t['read_back']['status']}, notes start: {t['read_back']['notes_first_line']!r}", file=sys.stderr)
        fail("not every tick was read back COMPLETED with its history record; see " +
             os.path.join(a.workdir, "summary.json"))
    print(f"\nOK: {len(summary['ticks'])} task(s) ticked in Thunderbird {summary['thunderbird']}, "
          f"read back COMPLETED, recorded with the app's User-Agent ({summary['elapsed_s']}s)")


if __name__ == "__main__":
    main()
