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

    photos_cli = AppGroup("photos", help="Photo files.")

    @photos_cli.command("sweep")
    @click.option("--older-than-hours", default=6.0, show_default=True, type=click.FloatRange(min=1),
                  help="Leave younger files alone: their transaction may still be committing.")
    @click.option("--dry-run", is_flag=True, help="Count what would go, remove nothing.")
    def photos_sweep_cmd(older_than_hours, dry_run):
        """Remove photo files that no row owns, and stale .part files."""
        from datetime import timedelta

        from bluebird.photos.service import storage
        from bluebird.photos.sweep import sweep

        counts = sweep(storage().root, older_than=timedelta(hours=older_than_hours), dry_run=dry_run)
        verb = "would remove" if dry_run else "removed"
        click.echo(f"photo sweep: {verb} {counts['orphans']} orphan file(s) and {counts['parts']} .part file(s) "
                   f"({counts['bytes']} bytes); kept {counts['owned']} owned, {counts['young']} younger than "
                   f"{older_than_hours:g} h, {counts['other']} other")

    app.cli.add_command(photos_cli)

    @app.cli.command("demo-data")
    @click.option("--scale", default=1, show_default=True, help="Multiply the estate size (benchmarks).")
    @click.option("--if-empty", is_flag=True, help="Do nothing when an estate already exists.")
    @click.option("--code", default="bluebird", show_default=True, help="Estate code (logins get @code elsewhere).")
    @click.option("--name", default="蓝鸟花园", show_default=True, help="Estate name.")
    def demo_data_cmd(scale, if_empty, code, name):
        """Load the demo office: 蓝鸟花园 with buildings, units, residents and staff."""
        from bluebird.demo import load_demo
        from bluebird.estate.models import Estate

        if if_empty and Estate.select().exists():
            click.echo("demo data: an estate exists already, nothing loaded")
            return
        stats = load_demo(scale=scale, code=code, name=name)
        click.echo("demo data: " + ", ".join(f"{k} {v}" for k, v in stats.items()))
        if scale == 1:
            from bluebird.demo import load_activity

            activity = load_activity(code)
            click.echo("demo activity: " + ", ".join(f"{k} {v}" for k, v in activity.items()))

    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--name", required=True)
    @click.option("--role", type=click.Choice(roles.ALL + (roles.COMPANY_ADMIN,)), required=True,
                  help="company_admin: an administrator of every estate (the only one who can choose an estate).")
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
            company = role == roles.COMPANY_ADMIN
            create_staff(None, estate_id=estate.id, username=username, name=name,
                         role=roles.ADMIN if company else role, password=password, company_wide=company)
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
