"""Settings from the environment (BLUEBIRD_*), with defaults for one box."""
import os
import secrets
from datetime import timedelta
from pathlib import Path


def _instance_secret(instance_path: str, name: str) -> str:
    """Read a secret from instance/, generating it on first run."""
    path = Path(instance_path) / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two workers starting together must not write two different keys.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip()


def _instance_vapid_key(instance_path: str) -> str:
    """Read the web-push (VAPID) private key PEM from instance/, generating it on first run."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    path = Path(instance_path) / "vapid_private.pem"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text()
        pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
    return path.read_text()


def from_env(instance_path: str) -> dict:
    """Build the config dict from BLUEBIRD_* variables."""
    env = os.environ
    https = env.get("BLUEBIRD_HTTPS", "") in ("1", "true", "yes")
    return {
        "SECRET_KEY": env.get("BLUEBIRD_SECRET_KEY") or _instance_secret(instance_path, "secret_key"),
        "DATABASE_URL": env.get("BLUEBIRD_DATABASE_URL")
        or f"sqlite:///{Path(instance_path) / 'bluebird.db'}",
        "QUEUE_URL": env.get("BLUEBIRD_QUEUE_URL", ""),
        # Nightly backups (bluebird/backup; README "Backups"): best on another disk.
        "BACKUP_DIR": env.get("BLUEBIRD_BACKUP_DIR", ""),
        "BACKUP_KEEP_DAILY": int(env.get("BLUEBIRD_BACKUP_KEEP_DAILY", "14")),
        "BACKUP_KEEP_MONTHLY": int(env.get("BLUEBIRD_BACKUP_KEEP_MONTHLY", "12")),
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": env.get("BLUEBIRD_TIMEZONE", "Asia/Shanghai"),
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).resolve().parent.parent / "translations"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_DURATION": timedelta(days=14),
        "PREFERRED_URL_SCHEME": "https" if https else "http",
        "BEHIND_PROXY": env.get("BLUEBIRD_BEHIND_PROXY", "") in ("1", "true", "yes"),
        # Phones send downscaled photos (~300 KB each); a request may carry a few
        # originals from a desktop, each up to PHOTO_MAX_BYTES.
        # A 48 MP phone JPEG is 15-20 MB: 25 MB a photo, 60 MB a request.
        "MAX_CONTENT_LENGTH": int(env.get("BLUEBIRD_MAX_REQUEST_MB", "60")) * 1024 * 1024,
        "PHOTO_MAX_BYTES": int(env.get("BLUEBIRD_MAX_PHOTO_MB", "25")) * 1024 * 1024,
        "PHOTO_ROOT": env.get("BLUEBIRD_PHOTO_ROOT", ""),
        # The login counts must be shared by every worker process: memory:// is one
        # process only (a warning at start-up says so); redis://host:6379/1 for several.
        "RATELIMIT_STORAGE_URI": env.get("BLUEBIRD_RATELIMIT_STORAGE_URL", "memory://"),
        "RATELIMIT_KEY_PREFIX": env.get("BLUEBIRD_RATELIMIT_KEY_PREFIX", "bluebird"),
        # Redis down: count in each process's memory rather than refuse every login.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_HEADERS_ENABLED": True,
        # Failed logins for one username from one address, and from one address in all.
        "LOGIN_LIMIT": env.get("BLUEBIRD_LOGIN_LIMIT", "10 per 5 minutes"),
        "LOGIN_IP_LIMIT": env.get("BLUEBIRD_LOGIN_IP_LIMIT", "30 per 5 minutes"),
        "LOGIN_USERNAME_LIMIT": env.get("BLUEBIRD_LOGIN_USERNAME_LIMIT", "50 per hour"),
        "WTF_CSRF_TIME_LIMIT": None,  # a tablet left open all shift must still submit
        "PASSWORD_HASH_PARAMS": {},
        "SEND_FILE_MAX_AGE_DEFAULT": timedelta(days=365),
        # Flask-Compress (README "Deployment": nginx does it in front at scale). Static
        # files are streamed, so they take the streaming list; gzip for old clients.
        "COMPRESS_ALGORITHM": ["zstd", "br", "gzip"],
        "COMPRESS_ALGORITHM_STREAMING": ["zstd", "br", "gzip"],
        "COMPRESS_LEVEL": 6,
        "COMPRESS_BR_LEVEL": 4,
        "COMPRESS_MIN_SIZE": 500,
        # Web push and the WeCom robot (bluebird/notify; README "Notifications").
        "VAPID_PRIVATE_KEY": env.get("BLUEBIRD_VAPID_PRIVATE_KEY") or _instance_vapid_key(instance_path),
        "VAPID_SUBJECT": env.get("BLUEBIRD_VAPID_SUBJECT", "mailto:admin@bluebird.invalid"),
        "PUSH_TTL_HOURS": int(env.get("BLUEBIRD_PUSH_TTL_HOURS", "12")),
        "PUSH_TIMEOUT_S": float(env.get("BLUEBIRD_PUSH_TIMEOUT_S", "10")),
        # A delivery claimed for sending is sent again when its sender has not settled it by then.
        "PUSH_LEASE_S": float(env["BLUEBIRD_PUSH_LEASE_S"]) if env.get("BLUEBIRD_PUSH_LEASE_S") else None,
        "PUSH_HOSTS": env.get("BLUEBIRD_PUSH_HOSTS", "fcm.googleapis.com,*.push.services.mozilla.com,"
                              "*.notify.windows.com,*.push.apple.com"),
        "WECOM_HOSTS": env.get("BLUEBIRD_WECOM_HOSTS", "qyapi.weixin.qq.com"),
        # WeCom app messages (notify/wecom.py): the API host (a private deployment's, or a
        # test's fake; it must be in WECOM_HOSTS), each member's send budget (WeCom itself
        # drops above 30 a minute and 1,000 an hour), and the address a card's link opens.
        "WECOM_API_BASE": env.get("BLUEBIRD_WECOM_API", "https://qyapi.weixin.qq.com"),
        "WECOM_MEMBER_PER_MIN": int(env.get("BLUEBIRD_WECOM_MEMBER_PER_MIN", "20")),
        "WECOM_MEMBER_PER_HOUR": int(env.get("BLUEBIRD_WECOM_MEMBER_PER_HOUR", "800")),
        "WECOM_DUPLICATE_CHECK_S": int(env.get("BLUEBIRD_WECOM_DUPLICATE_CHECK_S", "1800")),
        "WECOM_JITTER_S": float(env.get("BLUEBIRD_WECOM_JITTER_S", "20")),
        "PUBLIC_URL": env.get("BLUEBIRD_PUBLIC_URL", ""),
        # Tests and a LAN lab only: allow http:// push endpoints and robots.
        "NOTIFY_ALLOW_HTTP": env.get("BLUEBIRD_NOTIFY_ALLOW_HTTP", "") in ("1", "true", "yes"),
    }
