"""Accessibility basics in headless Chromium (Debian's): every main page, visited as the
role that uses it with orders in several statuses, is checked for

1. an accessible name on every visible field, button and link, and alt on every image;
2. keyboard reach: Tab from the top walks the operator console and the resident form
   through every control in document order to the submit button, with a visible focus ring;
3. WCAG AA text contrast (4.5:1, 3:1 for large text) against the effective background;
4. ``<html lang>`` and one ``<h1>`` inside a ``<main>`` landmark.

Offenders are reported with a selector, the colours and the ratio."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}

# Shared helpers, defined once per page: a short CSS path, visibility, accessible name.
HELPERS = r"""
window.__a11y = (() => {
  const path = (el) => {
    const parts = [];
    for (let n = el; n && n.nodeType === 1 && parts.length < 4; n = n.parentElement) {
      let p = n.tagName.toLowerCase();
      if (n.id) { parts.unshift(p + "#" + n.id); break; }
      const cls = [...n.classList].slice(0, 2).join(".");
      if (cls) p += "." + cls;
      parts.unshift(p);
    }
    return parts.join(" > ");
  };
  const shown = (el) => {
    if (el.closest("[hidden], [aria-hidden=true], .sr-only")) return false;
    const s = getComputedStyle(el);
    if (s.visibility === "hidden" || s.display === "none") return false;
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) return false;
    return el.checkVisibility ? el.checkVisibility() : true;
  };
  const text = (el) => (el ? (el.innerText || el.textContent || "").replace(/\s+/g, " ").trim() : "");
  const byIds = (ids) => (ids || "").split(/\s+/).filter(Boolean)
    .map((id) => text(document.getElementById(id))).join(" ").trim();
  const name = (el) => {
    const aria = (el.getAttribute("aria-label") || "").trim();
    if (aria) return aria;
    const lb = byIds(el.getAttribute("aria-labelledby"));
    if (lb) return lb;
    if (el.labels && el.labels.length) {
      const t = [...el.labels].map(text).join(" ").trim();
      if (t) return t;
    }
    return "";
  };
  // one key per control, one per radio group (Tab stops once in a group)
  const key = (el) => (el.type === "radio" ? "radio:" + el.name : el.id || el.name || path(el));
  return { path, shown, text, name, key };
})();
"""

LABELS_JS = r"""
() => {
  const { path, shown, text, name } = window.__a11y;
  const out = [];
  const skip = new Set(["hidden", "submit", "button", "reset", "image"]);
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (skip.has((el.getAttribute("type") || "").toLowerCase()) || !shown(el)) continue;
    if (!name(el)) out.push("field without a label: " + path(el) + " [name=" + el.name + "]");
  }
  const clickable = "button, a[href], [role=button], input[type=submit], input[type=button]";
  for (const el of document.querySelectorAll(clickable)) {
    if (!shown(el)) continue;
    const alts = [...el.querySelectorAll("img[alt]")].map((i) => i.alt.trim()).join("");
    if (!(text(el) || el.value || name(el) || alts)) out.push("button/link without text: " + path(el));
  }
  for (const el of document.querySelectorAll("img")) {
    if (!el.hasAttribute("alt")) out.push("image without alt: " + path(el) + " src=" + el.getAttribute("src"));
  }
  return out;
}
"""

CONTRAST_JS = r"""
() => {
  const { path, shown } = window.__a11y;
  const parse = (c) => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return [0, 0, 0, 1];
    const v = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return [v[0], v[1], v[2], v.length > 3 ? v[3] : 1];
  };
  const over = (top, below) => {  // alpha-composite top over an opaque colour
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + below[i] * (1 - a)).concat(1);
  };
  const background = (el) => {
    const layers = [];
    for (let n = el; n; n = n.parentElement) {
      const c = parse(getComputedStyle(n).backgroundColor);
      if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let bg = [255, 255, 255, 1];  // the canvas
    for (const c of layers.reverse()) bg = over(c, bg);
    return bg;
  };
  const lum = (c) => {
    const ch = c.slice(0, 3).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2];
  };
  const hex = (c) => "#" + c.slice(0, 3).map((v) => Math.round(v).toString(16).padStart(2, "0")).join("");
  const out = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (["SCRIPT", "STYLE", "OPTION", "NOSCRIPT", "TEMPLATE"].includes(el.tagName) || el.closest("svg")) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !shown(el) || el.closest(":disabled")) continue;
    const s = getComputedStyle(el);
    const bg = background(el);
    const fg = over(parse(s.color), bg);
    const [l1, l2] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    const ratio = (l1 + 0.05) / (l2 + 0.05);
    const size = parseFloat(s.fontSize), bold = parseInt(s.fontWeight, 10) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    const need = large ? 3 : 4.5;
    if (ratio < need - 0.005) {
      const t = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join("").trim();
      out.push(`${path(el)} "${t.slice(0, 20)}" ${hex(fg)} on ${hex(bg)} = ${ratio.toFixed(2)}:1 (needs ${need}:1)`);
    }
  }
  return out;
}
"""

STRUCTURE_JS = r"""
() => {
  const out = [];
  const lang = document.documentElement.getAttribute("lang") || "";
  if (!["zh-hans", "en"].includes(lang.toLowerCase())) out.push(`<html lang="${lang}">`);
  const mains = document.querySelectorAll("main, [role=main]").length;
  if (mains !== 1) out.push(`${mains} main landmarks`);
  const h1 = document.querySelectorAll("h1").length;
  if (h1 !== 1) out.push(`${h1} <h1> elements`);
  // Ids must be unique: a <label for> or aria-labelledby names only the first holder.
  const seen = new Map();
  document.querySelectorAll("[id]").forEach((el) => seen.set(el.id, (seen.get(el.id) || 0) + 1));
  for (const [id, n] of seen) if (n > 1) out.push(`id "${id}" used ${n} times`);
  return out;
}
"""

FOCUSED_JS = r"""
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const s = getComputedStyle(el);
  const ring = (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0) || (s.boxShadow && s.boxShadow !== "none");
  return { key: window.__a11y.key(el), ring, shown: window.__a11y.shown(el) };
}
"""


@pytest.fixture
def new_page(browser):
    contexts = []

    def _new(viewport=DESKTOP, **kwargs):
        context = browser.new_context(viewport=viewport, locale="zh-CN", **kwargs)
        context.add_init_script(HELPERS)
        contexts.append(context)
        pg = context.new_page()
        pg.set_default_timeout(10_000)
        return pg

    yield _new
    for context in contexts:
        context.close()


@pytest.fixture
def orders(district, log_call):
    """Orders in several statuses, so every queue and action form has something to show."""
    from datetime import timedelta

    from django.utils import timezone

    from workorders.choices import DeadlineState
    from workorders.models import Deadline, WorkOrder
    from workorders.services import (
        work_order_approve,
        work_order_assign,
        work_order_reply,
        work_order_sign,
        work_order_submit,
    )

    dispatcher, handler = district.user("dispatcher"), district.user("handler_a")
    unrouted = log_call(title="井盖缺失", description="和平路口井盖缺失，夜间危险。")
    log_call(title="树枝挡路")  # two of each queue item: a page repeats its form per item
    assigned = work_order_assign(order=log_call(), actor=dispatcher, unit=district.street_a)
    signed = work_order_sign(
        order=work_order_assign(order=log_call(title="噪音扰民"), actor=dispatcher, unit=district.street_a),
        actor=handler,
    )
    replied = work_order_reply(
        order=work_order_sign(
            order=work_order_assign(order=log_call(title="道路积水"), actor=dispatcher, unit=district.street_a),
            actor=handler,
        ),
        actor=handler,
        reply="已疏通雨水口。",
    )

    def replied_order(title):
        order = work_order_assign(order=log_call(title=title), actor=dispatcher, unit=district.street_a)
        order = work_order_sign(order=order, actor=handler)
        return work_order_reply(order=order, actor=handler, reply="已处理：" + title)

    replied_order("广告牌松动")
    approved = work_order_approve(order=replied_order("路灯不亮"), actor=dispatcher)
    work_order_approve(order=replied_order("垃圾清运"), actor=dispatcher)
    submitted = [
        work_order_submit(
            channel="qr", title=t, description=t + "，没人管。", caller_phone=phone, community=district.community_a
        )
        for t, phone in (("垃圾桶满了", "13800000001"), ("楼道堆物", "13800000002"))
    ]
    # Traffic lights in every colour: one order overdue, one in its warning window.
    now = timezone.now()
    for order, warn, due in ((assigned, -2, -1), (signed, -1, 1)):
        WorkOrder.objects.filter(pk=order.pk).update(due_at=now + timedelta(hours=due))
        Deadline.objects.filter(order=order, state=DeadlineState.OPEN).update(
            warn_at=now + timedelta(hours=warn), due_at=now + timedelta(hours=due)
        )
    return dict(
        unrouted=unrouted, assigned=assigned, signed=signed, replied=replied, approved=approved, submitted=submitted
    )


def login(page, live_server, username: str) -> None:
    page.context.clear_cookies()
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-" + username)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def audit(page, where: str) -> list[str]:
    page.wait_for_load_state("networkidle")
    found = []
    for check in (STRUCTURE_JS, LABELS_JS, CONTRAST_JS):
        found += [f"{where}: {problem}" for problem in page.evaluate(check)]
    return found


def open_all_details(page) -> None:
    """Action forms sit in <details>; open them so their fields are checked too."""
    page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")


def test_every_main_page_has_labels_contrast_lang_and_a_heading(new_page, live_server, district, orders):
    problems: list[str] = []
    page = new_page()

    page.goto(live_server.url + "/accounts/login/")
    problems += audit(page, "login")

    login(page, live_server, "operator")
    for path in ("/ops/", "/ops/submissions/", "/ops/callbacks/"):
        page.goto(live_server.url + path)
        open_all_details(page)
        problems += audit(page, path)
    page.goto(live_server.url + "/ops/")
    page.fill("#id_caller_phone", "13812345678")
    page.fill("#id_description", "幸福里小区门口每天傍晚有小贩摆摊。")
    page.fill("#id_address", "幸福里小区东门")
    page.locator("#locate-hint").get_by_text("甲一1号网格").wait_for()
    problems += audit(page, "/ops/ (typed: history, suggestions, location)")

    page.fill("#id_description", "")
    page.click("#intake button[type=submit]")  # with no description: the errors
    page.wait_for_load_state()
    assert page.locator(".has-error").count()
    problems += audit(page, "/ops/ (errors)")

    login(page, live_server, "handler_a")
    for colour in ("ok", "warning", "overdue"):
        assert page.locator(f".light-{colour}").count(), f"no {colour} light on the workbench"
    problems += audit(page, "/unit/")
    for key in ("assigned", "signed"):
        page.goto(f"{live_server.url}/orders/{orders[key].number}/")
        open_all_details(page)
        problems += audit(page, f"order ({key}) as handler")

    login(page, live_server, "dispatcher")
    problems += audit(page, "/desk/")
    for key in ("unrouted", "replied"):
        page.goto(f"{live_server.url}/orders/{orders[key].number}/")
        open_all_details(page)
        problems += audit(page, f"order ({key}) as dispatcher")

    login(page, live_server, "supervisor")
    for path in ("/dashboard/", "/orders/", "/posters/", f"/orders/{orders['approved'].number}/"):
        page.goto(live_server.url + path)
        problems += audit(page, path + " as supervisor")

    patrol = new_page(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        geolocation={"latitude": 39.905, "longitude": 116.305},
        permissions=["geolocation"],
    )
    login(patrol, live_server, "grid_worker_a")
    patrol.locator("#locate-hint").get_by_text("甲一1号网格").wait_for()
    problems += audit(patrol, "/patrol/ (phone)")
    patrol.goto(live_server.url + "/patrol/mine/")
    problems += audit(patrol, "/patrol/mine/ (phone)")

    for viewport, width in ((DESKTOP, "desktop"), (PHONE, "phone")):
        resident = new_page(viewport=viewport)
        resident.goto(f"{live_server.url}/p/{district.community_a.code}/")
        problems += audit(resident, f"/p/<code>/ ({width})")
        resident.click("main form button[type=submit]")  # nothing filled in: the errors
        resident.wait_for_load_state()
        assert resident.locator(".has-error").count()
        problems += audit(resident, f"/p/<code>/ errors ({width})")
        resident.goto(live_server.url + "/track/")
        problems += audit(resident, f"/track/ ({width})")
        approved = orders["approved"]
        resident.fill("#id_number", approved.number)
        resident.fill("#id_code", approved.tracking_code)
        resident.click("main button[type=submit]")
        resident.wait_for_load_state()
        problems += audit(resident, f"/track/ result ({width})")

    english = new_page()
    english.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    english.goto(f"{live_server.url}/p/{district.community_a.code}/")
    assert english.evaluate("document.documentElement.lang") == "en"
    problems += audit(english, "/p/<code>/ (English)")
    for username, path in (("operator", "/ops/"), ("handler_a", "/unit/"), ("supervisor", "/dashboard/")):
        login(english, live_server, username)
        english.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
        english.goto(live_server.url + path)
        problems += audit(english, path + " (English)")

    assert not problems, "accessibility problems:\n" + "\n".join(problems)


def tab_through(page, stop_at: str, limit: int = 60) -> list[dict]:
    """Press Tab from the top of the page until the element matching stop_at has focus."""
    # Focus a point before everything else on the page, as on arrival without autofocus.
    page.evaluate(
        """() => {
          const top = document.createElement("span");
          top.tabIndex = -1;
          document.body.prepend(top);
          top.focus();
        }"""
    )
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED_JS)
        if focused is None:
            continue
        seen.append(focused)
        if page.evaluate(f"document.activeElement.matches({stop_at!r})"):
            return seen
    raise AssertionError(f"Tab never reached {stop_at}: {[f['key'] for f in seen]}")


def controls_in_order(page, form: str) -> list[str]:
    """The form's visible controls in document order, one entry per radio group."""
    return page.evaluate(
        r"""(form) => {
          const { shown } = window.__a11y;
          const keys = [];
          for (const el of document.querySelector(form).querySelectorAll("input, select, textarea, button")) {
            if (el.type === "hidden" || el.disabled || el.tabIndex < 0 || !shown(el)) continue;
            const key = window.__a11y.key(el);
            if (!keys.includes(key)) keys.push(key);
          }
          return keys;
        }""",
        form,
    )


def assert_keyboard_walk(page, form: str, submit: str) -> None:
    expected = controls_in_order(page, form)
    seen = tab_through(page, submit)
    keys = [f["key"] for f in seen]
    in_form = [k for k in keys if k in expected]
    missing = [k for k in expected if k not in in_form]
    assert not missing, f"Tab skipped {missing}; it went {keys}"
    assert in_form == sorted(in_form, key=expected.index), f"Tab order {in_form} is not the page order {expected}"
    unseen = [f["key"] for f in seen if not f["shown"]]
    assert not unseen, f"Tab stopped on something invisible: {unseen}"
    no_ring = [f["key"] for f in seen if not f["ring"]]
    assert not no_ring, f"no visible focus indicator on {no_ring}"


def test_operator_console_is_walked_by_keyboard_to_submit(new_page, live_server, district, orders):
    page = new_page()
    login(page, live_server, "operator")
    page.fill("#id_description", "幸福里小区门口每天傍晚有小贩摆摊。")
    page.get_by_role("button", name="占道经营").first.wait_for()
    assert_keyboard_walk(page, "#intake", "#intake button[type=submit]")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_resident_form_is_walked_by_keyboard_to_submit(new_page, live_server, district, viewport):
    page = new_page(viewport=viewport)
    page.goto(f"{live_server.url}/p/{district.community_a.code}/")
    assert_keyboard_walk(page, "main form", "main form button[type=submit]")


def test_the_checks_catch_what_they_look_for(new_page):
    """The checks are not vacuous: a page with one of each mistake is reported for each."""
    page = new_page()
    page.set_content(
        """<html><body style="background:#fff"><main><h1>标题</h1><h1>第二个</h1>
        <p style="color:#9aa5b1">浅灰色说明文字</p>
        <p style="color:#fff;background:#f97316">橙色徽标</p>
        <p style="color:#c2410c;font-size:24px">大号文字够了</p>
        <input placeholder="只有占位符" name="q"><label>包着的<input name="ok"></label>
        <button type="button"><svg width="16" height="16"></svg></button><img src="x.png">
        </main></body></html>"""
    )
    page.evaluate(HELPERS)
    report = "\n".join(page.evaluate(STRUCTURE_JS) + page.evaluate(LABELS_JS) + page.evaluate(CONTRAST_JS))
    for expected in ('<html lang="">', "2 <h1> elements", "[name=q]", "button/link without text", "image without alt"):
        assert expected in report
    assert "浅灰色说明文字" in report and "#9aa5b1 on #ffffff" in report and "橙色徽标" in report
    assert "[name=ok]" not in report and "大号文字够了" not in report
