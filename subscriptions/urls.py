from django.urls import path  # noqa: F401

app_name = "subscriptions"
urlpatterns: list = []

# --- Following (engineer `web`): subscriptions page, sources, folders, publisher follow, OPML --------
from subscriptions.views import follows as follow_views  # noqa: E402

urlpatterns += [
    path("subscriptions/", follow_views.subscription_manage, name="subscription-manage"),
    path("subscriptions/add/", follow_views.source_add, name="source-add"),
    path("subscriptions/add/follow/", follow_views.source_follow, name="source-follow"),
    path(
        "subscriptions/<int:subscription_id>/rename/",
        follow_views.subscription_rename,
        name="subscription-rename",
    ),
    path(
        "subscriptions/<int:subscription_id>/move/", follow_views.subscription_move, name="subscription-move"
    ),
    path(
        "subscriptions/<int:subscription_id>/delete/",
        follow_views.subscription_delete,
        name="subscription-delete",
    ),
    path(
        "subscriptions/<int:subscription_id>/retry/",
        follow_views.subscription_retry,
        name="subscription-retry",
    ),
    path("subscriptions/folders/new/", follow_views.folder_create, name="folder-create"),
    path("subscriptions/folders/<int:folder_id>/rename/", follow_views.folder_rename, name="folder-rename"),
    path("subscriptions/folders/<int:folder_id>/delete/", follow_views.folder_delete, name="folder-delete"),
    path(
        "subscriptions/publishers/<int:publisher_id>/follow/",
        follow_views.publisher_follow,
        name="publisher-follow",
    ),
    path(
        "subscriptions/publishers/<int:publisher_id>/unfollow/",
        follow_views.publisher_unfollow,
        name="publisher-unfollow",
    ),
    path("subscriptions/import/", follow_views.opml_import, name="opml-import"),
    path("subscriptions/import/<int:import_id>/", follow_views.opml_import_detail, name="opml-import-detail"),
    path(
        "subscriptions/import/<int:import_id>/progress/",
        follow_views.opml_import_progress,
        name="opml-import-progress",
    ),
    path("subscriptions/export.opml", follow_views.opml_export, name="opml-export"),
]
