"""WeCom app messages to the person, over real HTTP to a local fake WeCom API
(tests/notify_fakes.py FakeWeComApi), on SQLite and PostgreSQL, with the real huey
consumer on its SQLite queue and on Redis where workers race."""
# ruff: noqa: F811 - the fixtures imported from tests/fixtures/push.py are test arguments
import json
import threading
import time
import uuid
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest
from flask_babel import force_locale

from bluebird import clock
from bluebird.cases import clocks
from bluebird.db import db
from bluebird.duties.models import Duty, create_duty, reassign_duties
from bluebird.duties.scheduler import tick
from bluebird.notify import service, wecom, wecom_app
from bluebird.notify.models import Delivery, Notification, NotifyProfile, WeComApp
from tests import factories
from tests.fixtures.push import consumer, immediate, notify_env, push_service  # noqa: F401
from tests.notify_fakes import FakeWeComApi

NINE = datetime(2026, 11, 23, 1, 0)  # 09:00 in Asia/Shanghai
PUBLIC = "https://wuye.example.cn"
REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture
def wecom_api():
    with FakeWeComApi() as api:
        yield api
        assert api.errors == [], api.errors


@pytest.fixture
def wx(app, estate, notify_env, wecom_api, monkeypatch):
    """The estate's app connected to the fake; cards sent at once (no jitter)."""
    for key, value in {"WECOM_API_BASE": wecom_api.base, "WECOM_HOSTS": "127.0.0.1", "WECOM_JITTER_S": 0,
                       "PUBLIC_URL": PUBLIC}.items():
        monkeypatch.setitem(app.config, key, value)
    monkeypatch.setattr(wecom_app, "_memo", {})  # a token another test's fake issued is no use here
    wecom_app.set_app(estate.id, wecom_api.corp_id, str(wecom_api.agent_id), wecom_api.secret)
    return wecom_api


@pytest.fixture(params=["sqlite", "redis"])
def queue(request, monkeypatch):
    """The task queue: huey on SQLite (as on one box), or on Redis (as at scale)."""
    from bluebird import tasks

    if request.param == "redis":
        from huey import RedisHuey

        huey = RedisHuey(f"bluebird-test-{uuid.uuid4().hex[:8]}", url=REDIS)
        monkeypatch.setattr(tasks, "huey", huey)
        monkeypatch.setattr(tasks, "deliver_task", huey.task()(tasks.deliver_task.func))
        yield request.param
        huey.flush()
    else:
        yield request.param


def member(user, api, userid=None, *modes):
    userid = userid or user.username
    api.member(userid, *modes)
    wecom_app.set_userid(user.id, userid)
    return userid


def wait_for(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def card_text(card):
    return card["title"] + "\n" + card["description"]


# ---------------------------------------------------------------- to the person


def test_a_butlers_overdue_callback_reaches_him_and_only_him(app, estate, butler, manager, wx, immediate,
                                                             butler_client):
    other = factories.make_user(estate, username="li.si", name="李四", patch=butler.patch)
    member(butler, wx, "zhang.san")
    member(other, wx, "li.si")
    member(manager, wx, "boss")
    clock.set_now(NINE)
    duty = create_duty(estate.id, "repair_callback_24h", "case:7", NINE - timedelta(minutes=5), assignee=butler.id,
                       title="3-1502 漏水", grace=timedelta(hours=2))
    tick(NINE)
    cards = wx.cards("zhang.san")
    [card] = [c for c in cards if "回访" in card_text(c)]
    assert "3-1502 漏水" in card["description"]
    assert wx.cards("li.si") == [] and wx.cards("boss") == []  # his, nobody else's
    # The card opens the exact item in Bluebird, from the public address.
    url = urlsplit(card["url"])
    assert f"{url.scheme}://{url.netloc}" == PUBLIC
    [delivery] = Delivery.select().where(Delivery.channel == "wxapp")
    assert url.query == f"d={delivery.id}"  # the delivery id rides along
    opened = butler_client.get(url.path)
    assert opened.status_code == 303 and opened.headers["Location"] == service.local_path(duty.url)
    assert service.local_path(duty.url) == "/cases/7#log-call"  # the call-back form of the case
    [sent] = wx.received["zhang.san"]
    assert sent["enable_duplicate_check"] == 1 and sent["duplicate_check_interval"] == 1800
    assert sent["touser"] == "zhang.san" and sent["agentid"] == wx.agent_id
    assert Notification.select().where(Notification.user == butler.id).count() >= 1  # the inbox copy
    assert Delivery.get_by_id(delivery.id).status == "sent"
    # Escalated later: the supervisor hears of it by WeCom, the butler does not again.
    tick(NINE + timedelta(hours=2, minutes=1))
    assert any("超时" in card_text(c) and "回访" in card_text(c) for c in wx.cards("boss"))
    assert [c for c in wx.cards("li.si")] == []


def test_the_token_is_fetched_once_by_two_consumers_and_refreshed_once_after_expiry(app, estate, wx, queue,
                                                                                    consumer, notify_env):
    people = [factories.make_user(estate, username=f"m{i}") for i in range(12)]
    for user in people:
        member(user, wx)
    wx.token_delay = 0.3  # every worker finds no token at the same moment
    clock.set_now(NINE)

    def round_of(title):
        with notify_env.app_context():  # the app's settings (no jitter) for the dispatch
            for user in people:
                service.notify(user, title, "正文", "/agenda", urgent=True, now=clock.now())
            return service.dispatch(clock.now())

    consumer(workers=4)
    consumer(workers=4)  # two consumers working at once
    service.enqueue(round_of("第一轮"))
    assert wait_for(lambda: wx.total() == 12), (wx.calls, wx.total(), [(d.status, d.last_error) for d in Delivery.select()])
    assert wx.token_requests == 1
    # WeCom expires the token before our cache says so: 42001, one refresh for all of them.
    wx.expire_tokens()
    service.enqueue(round_of("第二轮"))
    assert wait_for(lambda: wx.total() == 24), (wx.calls, wx.total(), [(d.status, d.last_error) for d in Delivery.select()])
    assert wx.token_requests == 2
    assert sum(1 for path, code in wx.calls if code == 42001) >= 1
    # Our cache's own expiry (shortly before WeCom's): renewed once, before WeCom refuses it.
    clock.set_now(NINE + timedelta(seconds=7200 - 299))
    service.enqueue(round_of("第三轮"))
    assert wait_for(lambda: wx.total() == 36), wx.calls
    assert wx.token_requests == 3
    assert WeComApp.get(WeComApp.estate == estate.id).token_fetches == 3
    assert wait_for(lambda: Delivery.select().where(Delivery.status == "sent").count() == 36)
    assert wx.dropped == {} and wx.duplicates == 0


def test_31_messages_in_a_minute_to_one_member_are_batched_not_dropped(app, estate, butler, wx, immediate):
    member(butler, wx, "zhang.san")
    for i in range(31):
        clock.set_now(NINE + timedelta(seconds=i))
        service.notify(butler, f"提醒{i}", "", "/agenda", urgent=True, now=clock.now())
        service.enqueue(service.dispatch(clock.now(), user_id=butler.id))
    assert len(wx.cards("zhang.san")) == 20  # his budget this minute
    clock.set_now(NINE + timedelta(seconds=61))
    service.enqueue(service.dispatch(clock.now()))
    cards = wx.cards("zhang.san")
    assert len(cards) == 21 and cards[-1]["title"] == "11 条新通知"
    assert wx.dropped == {}
    covered = [n for d in Delivery.select().where((Delivery.channel == "wxapp") & (Delivery.status == "sent"))
               for n in json.loads(d.payload)["notes"]]
    assert sorted(covered) == sorted(n.id for n in Notification.select().where(Notification.user == butler.id))


def test_without_the_budget_wecom_would_drop_the_31st(app, estate, butler, wx, immediate, monkeypatch):
    """The fake drops like WeCom does: this is what the budget prevents."""
    monkeypatch.setitem(app.config, "WECOM_MEMBER_PER_MIN", 1000)
    member(butler, wx, "zhang.san")
    for i in range(31):
        clock.set_now(NINE + timedelta(seconds=i))
        service.notify(butler, f"提醒{i}", "", "/agenda", urgent=True, now=clock.now())
        service.enqueue(service.dispatch(clock.now(), user_id=butler.id))
    assert wx.dropped == {"zhang.san": 1} and len(wx.cards("zhang.san")) == 30


def test_the_budget_is_counted_in_the_write_not_only_before_it(app, estate, butler, wx, immediate, monkeypatch):
    """A dispatcher that read his budget before a rival spent it: the INSERT refuses the
    card, and the notices it claimed wait for the next one."""
    member(butler, wx, "zhang.san")
    clock.set_now(NINE)
    for i in range(20):
        service.notify(butler, f"提醒{i}", "", "/agenda", urgent=True, now=NINE)
        service.enqueue(service.dispatch(NINE, user_id=butler.id))
    assert len(wx.cards("zhang.san")) == 20
    late = service.notify(butler, "迟到的提醒", "", "/agenda", urgent=True, now=NINE)
    with monkeypatch.context() as patch:  # what a rival's read saw before these 20 were made
        patch.setattr(wecom_app, "_budgets", lambda ids, now: dict.fromkeys(ids, 20))
        assert wecom_app.dispatch(NINE + timedelta(seconds=30)) == []
    assert Notification.get_by_id(late.id).wecom_due is not None  # still waiting, not lost
    assert Delivery.select().where(Delivery.channel == "wxapp").count() == 20
    clock.set_now(NINE + timedelta(seconds=61))
    service.enqueue(service.dispatch(clock.now()))
    assert [c["title"] for c in wx.cards("zhang.san")][20:] == ["迟到的提醒"]


def test_two_dispatchers_racing_cannot_exceed_the_budget(app, estate, butler, wx, notify_env):
    """One card left for him: the first dispatcher has read that and not yet written when
    the second one comes for a newer notice. Whichever writes first, one card is made
    (PostgreSQL: the member's row is locked and the INSERT counts; SQLite: writers take
    turns), and the notices go in it or wait."""
    member(butler, wx, "zhang.san")
    clock.set_now(NINE)
    with notify_env.app_context():
        for i in range(19):
            service.notify(butler, f"提醒{i}", "", "/agenda", urgent=True, now=NINE)
            assert len(service.dispatch(NINE, user_id=butler.id)) == 1
        service.notify(butler, "甲", "", "/agenda", urgent=True, now=NINE)
    first_read, made = threading.Event(), {}
    real = wecom_app._budgets

    def budgets(ids, now):
        left = real(ids, now)
        if not first_read.is_set():
            first_read.set()
            time.sleep(0.5)  # the first dispatcher, between its read and its write
        return left

    def dispatcher(name, wait=None):
        with app.app_context(), db.connection_context():
            if wait is not None:
                assert wait.wait(10)
                service.notify(butler, "乙", "", "/agenda", urgent=True, now=NINE)
            made[name] = wecom_app.dispatch(NINE, user_id=butler.id)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(wecom_app, "_budgets", budgets)
        racers = [threading.Thread(target=dispatcher, args=("first",)),
                  threading.Thread(target=dispatcher, args=("second", first_read))]
        for t in racers:
            t.start()
        for t in racers:
            t.join(30)
    assert len(made["first"]) + len(made["second"]) == 1
    assert Delivery.select().where(Delivery.channel == "wxapp").count() == 20
    [card] = Delivery.select().where(Delivery.id == (made["first"] or made["second"])[0][0])
    waiting = {n.title for n in Notification.select().where(Notification.wecom_due.is_null(False))}
    carried = {Notification.get_by_id(n).title for n in json.loads(card.payload)["notes"]}
    assert carried | waiting == {"甲", "乙"} and not carried & waiting  # none lost, none twice


def test_a_duty_inside_quiet_hours_waits_and_an_incident_does_not(app, estate, butler, wx, immediate):
    member(butler, wx, "zhang.san")
    night = datetime(2026, 11, 23, 15, 0)  # 23:00 in Shanghai: his quiet hours (22:00-07:00)
    clock.set_now(night)
    create_duty(estate.id, "repair_callback_24h", "case:1", night + timedelta(minutes=20), assignee=butler.id,
                title="回访 3-1502", grace=timedelta(hours=1))
    tick(night)
    assert wx.cards("zhang.san") == []  # waits for the morning
    assert Notification.select().where(Notification.user == butler.id).count() == 1  # but is in the inbox
    create_duty(estate.id, clocks.INCIDENT_NOTIFY, "case:2", night + timedelta(minutes=1), assignee=butler.id,
                title="2号楼 水管爆裂")
    tick(night + timedelta(minutes=1))
    [card] = wx.cards("zhang.san")
    assert "水管爆裂" in card_text(card)  # an incident goes at once
    tick(datetime(2026, 11, 23, 22, 59))  # 06:59: still quiet
    assert len(wx.cards("zhang.san")) == 1
    tick(datetime(2026, 11, 23, 23, 0))  # 07:00: the waiting reminder goes
    cards = wx.cards("zhang.san")
    assert len(cards) == 2 and "回访 3-1502" in card_text(cards[1])


def test_a_reassignment_is_announced_to_the_new_owner_and_the_old_one_gets_a_note(app, estate, manager, wx,
                                                                                  immediate):
    first = factories.make_user(estate, role="technician", username="wang.wu", name="王五")
    second = factories.make_user(estate, role="technician", username="zhao.liu", name="赵六")
    member(first, wx)
    member(second, wx)
    clock.set_now(NINE)
    create_duty(estate.id, clocks.ARRIVE, "case:9", NINE + timedelta(hours=3), assignee=first.id,
                title="3-1502 水龙头")
    reassign_duties("case:9", clocks.TECHNICIAN_KINDS, second.id, by=manager.id)
    assert Duty.select().where((Duty.assignee == second.id) & Duty.done_at.is_null()).count() == 1
    service.enqueue(service.dispatch(clock.now()))  # the next tick's dispatch, here at once
    [card] = wx.cards("zhao.liu")
    assert card["title"].startswith("现归你") and "3-1502 水龙头" in card["description"]
    [note] = wx.cards("wang.wu")
    assert "转给了 赵六" in note["title"]
    # A role-held duty given to a person: he hears of it too.
    create_duty(estate.id, clocks.ARRIVE, "case:10", NINE + timedelta(hours=1), role="technician", title="5-301")
    reassign_duties("case:10", clocks.TECHNICIAN_KINDS, first.id, by=manager.id)
    service.enqueue(service.dispatch(clock.now()))
    assert "现归你" in wx.cards("wang.wu")[-1]["title"]


class Crash(BaseException):
    """The consumer dying right after WeCom took the message, before it was recorded."""


def test_a_crash_mid_send_delivers_exactly_once_after_the_restart(app, estate, butler, wx, immediate, monkeypatch):
    monkeypatch.setitem(app.config, "PUSH_LEASE_S", 60)
    member(butler, wx, "zhang.san")
    clock.set_now(NINE)
    service.notify(butler, "24小时回访", "3-1502", "/agenda", urgent=True, now=NINE)
    [(delivery_id, token, _delay)] = service.dispatch(NINE)
    real = wecom.send_textcard

    def send_then_die(*args, **kwargs):
        real(*args, **kwargs)
        raise Crash()

    with monkeypatch.context() as patch, pytest.raises(Crash):
        patch.setattr(wecom, "send_textcard", send_then_die)
        service.deliver(delivery_id, token, NINE)
    assert Delivery.get_by_id(delivery_id).status == "sending" and len(wx.cards("zhang.san")) == 1
    tick(NINE + timedelta(seconds=30))  # the lease holds
    assert Delivery.get_by_id(delivery_id).status == "sending"
    tick(NINE + timedelta(seconds=61))  # expired: queued again, sent again, WeCom drops the duplicate
    sent = Delivery.get_by_id(delivery_id)
    assert (sent.status, sent.attempts) == ("sent", 2)
    assert [c["title"] for c in wx.cards("zhang.san")].count("24小时回访") == 1 and wx.duplicates == 1
    tick(NINE + timedelta(minutes=10))
    assert [c["title"] for c in wx.cards("zhang.san")].count("24小时回访") == 1


# ---------------------------------------------------------------- WeCom's answers


def test_45009_backs_off_and_retries_later(app, estate, butler, wx, notify_env):
    member(butler, wx, "zhang.san", "45009", "ok")
    clock.set_now(NINE)
    with notify_env.app_context():
        service.notify(butler, "提醒", "", "/agenda", urgent=True, now=NINE)
        [(delivery_id, token, _)] = service.dispatch(NINE)
        assert service.deliver(delivery_id, token, NINE) == 60.0
        retry = Delivery.get_by_id(delivery_id)
        assert retry.status == "queued" and retry.next_try_at == NINE + timedelta(seconds=60)
        assert service.deliver(delivery_id, token, NINE + timedelta(seconds=60)) is None
    assert len(wx.cards("zhang.san")) == 1 and Delivery.get_by_id(delivery_id).status == "sent"


def test_81013_marks_the_userid_bad_and_tells_the_admin(app, estate, butler, admin, wx, notify_env):
    wecom_app.set_userid(butler.id, "no.such.person")  # not a member of the fake corp
    clock.set_now(NINE)
    with notify_env.app_context():
        service.notify(butler, "提醒", "", "/agenda", urgent=True, now=NINE)
        [(delivery_id, token, _)] = service.dispatch(NINE)
        assert service.deliver(delivery_id, token, NINE) is None
        assert Delivery.get_by_id(delivery_id).status == "failed"
        profile = NotifyProfile.get_by_id(butler.id)
        assert profile.wecom_bad_at == NINE and "81013" in profile.wecom_bad_reason
        [told] = Notification.select().where(Notification.user == admin.id)
        with force_locale("zh_CN"):
            assert butler.name in told.shown_title and "no.such.person" in told.body
        service.notify(butler, "再提醒", "", "/agenda", urgent=True, now=NINE)
        assert [q for q in service.dispatch(NINE) if Delivery.get_by_id(q[0]).user_id == butler.id] == []
        wecom_app.set_userid(butler.id, member(butler, wx, "zhang.san"))  # the admin corrects it
        assert NotifyProfile.get_by_id(butler.id).wecom_bad_at is None


def test_the_api_host_must_be_allowed(app, estate, butler, wx, notify_env, monkeypatch):
    monkeypatch.setitem(app.config, "WECOM_HOSTS", "qyapi.weixin.qq.com")
    member(butler, wx, "zhang.san")
    clock.set_now(NINE)
    with notify_env.app_context():
        service.notify(butler, "提醒", "", "/agenda", urgent=True, now=NINE)
        [(delivery_id, token, _)] = service.dispatch(NINE)
        assert service.deliver(delivery_id, token, NINE) is None
    assert Delivery.get_by_id(delivery_id).status == "failed" and wx.calls == []


def test_jitter_keeps_sends_off_the_minute_and_the_half_minute(app, notify_env):
    with notify_env.app_context():
        for second in range(60):
            for _ in range(20):
                delay = wecom_app.jitter(NINE + timedelta(seconds=second))
                at = (second + delay) % 30
                assert delay > 0 and 2 <= at <= 28


def test_push_only_and_wecom_only(app, estate, butler, wx, push_service, immediate):
    member(butler, wx, "zhang.san")
    info = push_service.subscribe("phone")
    service.subscribe(butler, info["endpoint"], info["keys"]["p256dh"], info["keys"]["auth"])
    clock.set_now(NINE)
    wecom_app.set_channel(butler.id, "wecom")
    service.notify(butler, "只走企业微信", "", "/agenda", urgent=True, now=NINE)
    service.enqueue(service.dispatch(NINE))
    assert len(wx.cards("zhang.san")) == 1 and push_service.payloads("phone") == []
    wecom_app.set_channel(butler.id, "push")
    service.notify(butler, "只走推送", "", "/agenda", urgent=True, now=NINE)
    service.enqueue(service.dispatch(NINE))
    assert len(wx.cards("zhang.san")) == 1 and len(push_service.payloads("phone")) == 1


# ---------------------------------------------------------------- pages


def test_the_admin_connects_the_app_and_the_secret_is_never_shown(app, estate, admin_client, manager_client,
                                                                  butler, wecom_api, notify_env, monkeypatch):
    monkeypatch.setitem(app.config, "WECOM_API_BASE", wecom_api.base)
    monkeypatch.setitem(app.config, "WECOM_HOSTS", "127.0.0.1")
    monkeypatch.setattr(wecom_app, "_memo", {})
    assert manager_client.get("/notifications/wecom-app").status_code == 403
    page = admin_client.get("/notifications/wecom-app")
    assert page.status_code == 200 and "企业微信" in page.get_data(as_text=True)
    missing = admin_client.post("/notifications/wecom-app", {"corpid": wecom_api.corp_id, "agentid": "1000002"})
    assert missing.status_code == 400 and "Secret" in missing.get_data(as_text=True)
    bad = admin_client.post("/notifications/wecom-app", {"corpid": "ww 1", "agentid": "x", "secret": "s3cr3t-typo"})
    assert bad.status_code == 400 and WeComApp.select().count() == 0
    assert "AgentId" in bad.get_data(as_text=True) and "s3cr3t-typo" not in bad.get_data(as_text=True)
    saved = admin_client.post("/notifications/wecom-app", {"corpid": wecom_api.corp_id, "agentid": "1000002",
                                                           "secret": wecom_api.secret})
    assert saved.status_code == 303
    text = admin_client.get("/notifications/wecom-app").get_data(as_text=True)
    assert wecom_api.secret not in text and "已设置" in text
    # Saving again without a secret keeps it; the check fetches a token with it.
    assert admin_client.post("/notifications/wecom-app", {"corpid": wecom_api.corp_id, "agentid": "1000002",
                                                          "secret": ""}).status_code == 303
    assert WeComApp.get(WeComApp.estate == estate.id).secret == wecom_api.secret
    checked = admin_client.post("/notifications/wecom-app/test", follow_redirects=True).get_data(as_text=True)
    assert "已连接" in checked and wecom_api.token_requests == 1 and wecom_api.secret not in checked
    # Userids: by phone through the directory, or by hand.
    butler.phone = "13900001111"
    butler.save()
    wecom_api.member("zhang.san", phone="13900001111")
    admin_client.post("/notifications/wecom-app/match")
    assert NotifyProfile.get_by_id(butler.id).wecom_userid == "zhang.san"
    assert admin_client.post(f"/notifications/wecom-app/members/{butler.id}", {"userid": "zs 1"}).status_code == 400
    assert admin_client.post(f"/notifications/wecom-app/members/{butler.id}",
                             {"userid": "zhangsan2"}).status_code == 303
    assert NotifyProfile.get_by_id(butler.id).wecom_userid == "zhangsan2"


def test_another_estates_member_cannot_be_set(admin_client, other_estate):
    stranger = factories.make_user(other_estate, username="stranger")
    assert admin_client.post(f"/notifications/wecom-app/members/{stranger.id}",
                             {"userid": "x"}).status_code == 404
    assert NotifyProfile.select().count() == 0


def test_my_channels_and_their_last_delivery(app, estate, butler, butler_client, wx, immediate):
    member(butler, wx, "zhang.san")
    page = butler_client.get("/notifications/settings").get_data(as_text=True)
    assert "尚未发送" in page
    assert butler_client.post("/notifications/settings/channel", {"channel": "bogus"}).status_code == 400
    assert butler_client.post("/notifications/settings/channel", {"channel": "wecom"}).status_code == 303
    assert NotifyProfile.get_by_id(butler.id).channel == "wecom"
    clock.set_now(NINE)
    service.notify(butler, "提醒", "", "/agenda", urgent=True, now=NINE)
    service.enqueue(service.dispatch(NINE))
    page = butler_client.get("/notifications/settings").get_data(as_text=True)
    assert "已送达" in page


def test_the_secret_and_the_token_stay_out_of_logs_and_errors(app, estate, butler, wx, notify_env, caplog,
                                                              monkeypatch):
    # WeCom unreachable: the exception text names the URL, with corpsecret in its query.
    monkeypatch.setitem(app.config, "WECOM_API_BASE", "http://127.0.0.1:9")
    app_row = WeComApp.get(WeComApp.estate == estate.id)
    with notify_env.app_context():
        with pytest.raises(wecom_app.TokenError) as refused:
            wecom_app.access_token(app_row)
    stored = WeComApp.get_by_id(app_row.id)
    assert wx.secret not in str(refused.value) and wx.secret not in stored.last_error
    assert "corpsecret=***" in stored.last_error  # the URL was in the error, redacted
    assert wx.secret not in caplog.text and wx.secret not in repr(stored)
    assert wecom.redact("GET /cgi-bin/message/send?access_token=abc123&x=1") == \
        "GET /cgi-bin/message/send?access_token=***&x=1"
