"""Command line: `flask --app app db upgrade | demo-data | create-user`."""
import click
from flask.cli import AppGroup

from bluebird.auth import roles


def register(app):
    """Attach the commands to the app."""
    db_cli = AppGroup("db", help="Database schema.")

    @db_cli.command("upgrade")
    @click.option("--to", default=None, help="Stop after this migration.")
    def upgrade_cmd(to):
        """Bring the database to the current schema, in place."""
        from bluebird.migrate import upgrade

        done = upgrade(to)
        click.echo(f"applied {len(done)} migration(s): {', '.join(done) or 'none'}")

    app.cli.add_command(db_cli)

    @app.cli.command("demo-data")
    @click.option("--scale", default=1, show_default=True, help="Multiply the estate size (benchmarks).")
    @click.option("--if-empty", is_flag=True, help="Do nothing when an estate already exists.")
    def demo_data_cmd(scale, if_empty):
        """Load the demo office: 蓝鸟花园 with buildings, units, residents and staff."""
        from bluebird.demo import load_demo
        from bluebird.estate.models import Estate

        if if_empty and Estate.select().exists():
            click.echo("demo data: an estate exists already, nothing loaded")
            return
        stats = load_demo(scale=scale)
        click.echo("demo data: " + ", ".join(f"{k} {v}" for k, v in stats.items()))
        if scale == 1:
            from bluebird.demo import load_activity

            activity = load_activity()
            click.echo("demo activity: " + ", ".join(f"{k} {v}" for k, v in activity.items()))

    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--name", required=True)
    @click.option("--role", type=click.Choice(roles.ALL), required=True)
    @click.option("--estate", "estate_code", required=True, help="Estate code.")
    @click.password_option()
    def create_user_cmd(username, name, role, estate_code, password):
        """Create a staff account."""
        from bluebird.auth.service import DuplicateUsername, create_staff
        from bluebird.estate.models import Estate

        estate = Estate.get_or_none(Estate.code == estate_code)
        if estate is None:
            raise click.ClickException(f"no estate with code {estate_code!r}")
        try:
            create_staff(None, estate_id=estate.id, username=username, name=name, role=role, password=password)
        except DuplicateUsername as exc:
            raise click.ClickException(f"username {username!r} is taken") from exc
        click.echo(f"created {username} ({role}) in {estate.name}")

    @app.cli.command("create-estate")
    @click.argument("code")
    @click.option("--name", required=True)
    @click.option("--timezone", default="Asia/Shanghai", show_default=True)
    def create_estate_cmd(code, name, timezone):
        """Create an estate."""
        from bluebird.estate.models import Estate

        Estate.create(code=code, name=name, timezone=timezone)
        click.echo(f"created estate {code} ({name})")

    from bluebird.backup.cli import register as register_backup

    register_backup(app)
