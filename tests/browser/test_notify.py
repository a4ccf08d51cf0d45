"""Notifications in a real browser: the bell, 我的 → 通知设置, the permission flow on a
tap, Chromium's real service worker subscribing (or failing to: its push service is
unreachable offline, and the page must say so plainly), and the worker showing a push."""
import json
import re

import pytest
from playwright.sync_api import expect

from bluebird.notify.models import PushSubscription
from tests import factories

pytestmark = pytest.mark.browser

STATES = re.compile("此设备已开启提醒|无法在此设备开启提醒")


@pytest.fixture
def butler():
    estate = factories.make_estate("lan", "蓝鸟花园")
    patch = factories.make_patch(estate, "一区")
    user = factories.make_user(estate, role="butler", username="butler", name="李管家", patch=patch)
    factories.make_notification(user, title="24小时回访", body="09:00 24小时回访 · 3-1502", url="/agenda")
    return user


def _service_worker_ready(page):
    return page.evaluate("navigator.serviceWorker.ready.then(r => r.active.scriptURL)")


def test_turning_on_reminders_from_me(page, login, screenshot, collector, butler):
    login(page, "butler")
    bell = page.locator("#bell .bell-count")
    expect(bell).to_have_text("1")

    page.context.grant_permissions(["notifications"])
    page.locator("nav.tabbar a.tab", has_text="我的").click()
    page.wait_for_url("**/me")
    panel = page.locator("#push-panel")
    expect(panel).to_be_visible()  # the section loads itself (htmx) into 我的
    settings = page.locator("#notify-settings")
    expect(settings).to_contain_text("为什么要开启")  # the why comes before the button
    why = settings.locator(".notify-why").bounding_box()
    button = page.locator("#push-enable")
    assert why["y"] < button.bounding_box()["y"]
    assert "/sw.js?v=" in _service_worker_ready(page)
    expect(page.locator("#push-status")).to_have_text("此设备未开启提醒。")
    # Nothing asked for permission before the tap.
    assert page.evaluate("Notification.permission") == "granted"  # granted by the context, not requested

    button.click()
    status = page.locator("#push-status")
    expect(status).to_have_text(STATES, timeout=25_000)
    text = status.inner_text()
    screenshot(page, "notify-settings.png")
    if "已开启" in text:  # a push service was reachable: the subscription is stored
        assert PushSubscription.select().where(PushSubscription.user == butler.id).count() == 1
        expect(page.locator("#push-disable")).to_be_visible()
    else:  # offline Chromium: a clear message, nothing stored, the button still there
        assert "企业微信" in text and "铃铛" in text
        assert status.get_attribute("class") == "push-status is-error"
        assert PushSubscription.select().count() == 0
        expect(button).to_be_enabled()
    collector.assert_clean(console=False)  # Chromium logs the failed registration itself


def test_a_denied_permission_is_explained(page, login, collector, butler):
    login(page, "butler")
    page.goto("/notifications/settings")
    _service_worker_ready(page)
    page.context.clear_permissions()
    # Headless Chromium answers the permission prompt itself: it denies.
    page.locator("#push-enable").click()
    expect(page.locator("#push-status")).to_have_text(re.compile("已禁止蓝鸟发送通知.*网站设置中允许通知"))
    assert page.evaluate("Notification.permission") == "denied"
    assert PushSubscription.select().count() == 0
    collector.assert_clean(console=False)


def test_the_service_worker_shows_a_push_and_a_tap_opens_the_item(page, login, collector, butler):
    login(page, "butler")
    page.context.grant_permissions(["notifications"])
    page.goto("/notifications/")
    expect(page.locator(".note.unread")).to_have_count(1)
    _service_worker_ready(page)
    cdp = page.context.new_cdp_session(page)
    registrations = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
    cdp.send("ServiceWorker.enable")
    for _ in range(50):
        if registrations:
            break
        page.wait_for_timeout(50)
    origin = page.evaluate("location.origin")
    registration = next(r for r in registrations if r["scopeURL"].startswith(origin))
    note_id = page.evaluate("document.querySelector('.note-link').getAttribute('href').split('/').pop()")
    payload = json.dumps({"title": "24小时回访", "body": "09:00 24小时回访 · 3-1502", "url": f"/notifications/{note_id}",
                          "item": "/agenda", "tag": f"n{note_id}", "urgent": False}, ensure_ascii=False)
    cdp.send("ServiceWorker.deliverPushMessage",
             {"origin": origin + "/", "registrationId": registration["registrationId"], "data": payload})
    shown = page.evaluate("""async () => {
      const reg = await navigator.serviceWorker.ready;
      for (let i = 0; i < 50; i++) {
        const list = await reg.getNotifications();
        if (list.length) return list.map(n => ({title: n.title, body: n.body, data: n.data, tag: n.tag}));
        await new Promise(r => setTimeout(r, 100));
      }
      return [];
    }""")
    assert shown == [{"title": "24小时回访", "body": "09:00 24小时回访 · 3-1502",
                      "data": {"url": f"/notifications/{note_id}", "item": "/agenda"}, "tag": f"n{note_id}"}]
    collector.assert_clean()
