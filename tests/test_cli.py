"""The command line: demo data and users."""
from bluebird.auth.models import User
from bluebird.estate.models import Building, Resident, Unit, UnitKind, UnitStatus


def test_demo_data_builds_the_office_described_in_the_readme(app):
    result = app.test_cli_runner().invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    assert Building.select().count() == 6
    units = Unit.select().count()
    assert 550 <= units <= 650
    assert 850 <= Resident.select().count() <= 1000
    kinds = {u.kind for u in Unit.select(Unit.kind).distinct()}
    assert kinds == set(UnitKind.ALL)
    statuses = {u.status for u in Unit.select(Unit.status).distinct()}
    assert statuses == set(UnitStatus.ALL)
    usernames = {u.username for u in User.select()}
    assert usernames == {"admin", "manager", "butler1", "butler2", "butler3", "reception", "reception2", "inspector",
                         "tech1", "tech2"}
    assert all(u.patch_id for u in User.select().where(User.role == "butler"))
    # A lived-in morning: cases at every step, today's round duties, renovations under way.
    from bluebird.cases.models import Case
    from bluebird.duties.models import Duty

    assert {c.status for c in Case.select()} >= {"new", "dispatched", "done"}
    assert Duty.select().where(Duty.kind == "daily_patrol").count() == 3
    assert Duty.select().where(Duty.done_at.is_null()).count() > 10
    again = app.test_cli_runner().invoke(args=["demo-data", "--if-empty"])
    assert "nothing loaded" in again.output and Building.select().count() == 6


def test_demo_logins_work_with_the_documented_password(app, client):
    app.test_cli_runner().invoke(args=["demo-data"])
    assert client.login("butler1", "bluebird").status_code == 303


def test_create_user_refuses_a_taken_username(app):
    runner = app.test_cli_runner()
    runner.invoke(args=["create-estate", "x1", "--name", "测试小区"])
    ok = runner.invoke(args=["create-user", "zhang", "--name", "张三", "--role", "butler", "--estate", "x1",
                             "--password", "long-password"])
    assert ok.exit_code == 0, ok.output
    again = runner.invoke(args=["create-user", "zhang", "--name", "张三", "--role", "butler", "--estate", "x1",
                                "--password", "long-password"])
    assert again.exit_code != 0 and "taken" in again.output
