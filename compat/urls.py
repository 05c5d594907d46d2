"""Included at /api/ (newsreader/urls.py): /api/greader/..., /api/fever/, and the API password forms."""

from django.urls import include, path, re_path

from compat.views import account, fever, greader


def _api(name: str, view, url_name: str):
    # A trailing slash is tolerated: some clients add one, and a redirect would drop a POST body.
    return re_path(rf"^reader/api/0/{name}/?$", view, name=url_name)


greader_patterns = [
    re_path(r"^accounts/ClientLogin/?$", greader.client_login, name="client-login"),
    _api("token", greader.token, "token"),
    _api("user-info", greader.user_info, "user-info"),
    _api("subscription/list", greader.subscription_list, "subscription-list"),
    _api("subscription/edit", greader.subscription_edit, "subscription-edit"),
    _api("subscription/quickadd", greader.subscription_quickadd, "subscription-quickadd"),
    _api("tag/list", greader.tag_list, "tag-list"),
    _api("unread-count", greader.unread_count, "unread-count"),
    _api("stream/items/ids", greader.stream_items_ids, "stream-items-ids"),
    _api("stream/items/contents", greader.stream_items_contents, "stream-items-contents"),
    # The stream arrives percent-encoded (`feed%2F1`), which the server decodes into slashes: catch all.
    re_path(
        r"^reader/api/0/stream/contents/(?P<stream>.+)$", greader.stream_contents, name="stream-contents"
    ),
    _api("stream/contents", greader.stream_contents, "stream-contents-query"),
    _api("edit-tag", greader.edit_tag, "edit-tag"),
    _api("mark-all-as-read", greader.mark_all_as_read, "mark-all-as-read"),
    _api("rename-tag", greader.rename_tag, "rename-tag"),
    _api("disable-tag", greader.disable_tag, "disable-tag"),
    re_path(r"^reader/api/0/", greader.unknown, name="unknown"),
]

app_name = "compat"
urlpatterns = [
    path("greader/", include((greader_patterns, "greader"))),
    # FreshRSS's address, which some apps (and RSS Guard's "FreshRSS" service) append to the base URL.
    path("greader.php/", include((greader_patterns, "greader-php"))),
    path("fever/", fever.endpoint, name="fever"),
    # Without the slash (a redirect would lose a POST's form), and FreshRSS's name.
    re_path(r"^fever(?:\.php)?/?$", fever.endpoint),
    path("password/", account.api_password_set_view, name="api-password-set"),
    path("password/revoke/", account.api_password_revoke_view, name="api-password-revoke"),
]
