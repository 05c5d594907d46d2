import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone


def new_token_salt() -> str:
    return secrets.token_hex(16)


class ApiPassword(models.Model):
    """The password a user types into a feed-reader app (Google Reader and Fever APIs).

    Separate from the sign-in password, so a phone app never holds the key to the account, and revoking it
    (deleting the row) logs every app out at once. Only hashes are stored:
    - `password`: Django's salted hash, checked by Google Reader's ClientLogin;
    - `fever_key` / `fever_email_key`: sha256 of the Fever api_key (md5 of "username:password" and of
      "email:password"), so a request finds its user by one indexed lookup;
    - `token_salt`: mixed into the Google Reader auth token; a new password gives new tokens.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_password"
    )
    password = models.CharField(max_length=128)
    fever_key = models.CharField(max_length=64, unique=True)
    fever_email_key = models.CharField(max_length=64, blank=True, db_index=True)
    token_salt = models.CharField(max_length=32, default=new_token_salt)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"API password of user {self.user_id}"
