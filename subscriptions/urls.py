from django.urls import path  # noqa: F401

app_name = "subscriptions"
urlpatterns: list = []

# --- Reading (engineer `reading`): the river, articles, read state, reading lists -------------------
from subscriptions.views import reading as reading_views  # noqa: E402
from subscriptions.views import reading_lists as reading_list_views  # noqa: E402

urlpatterns += [
    path("", reading_views.river, name="river"),
    path("river/mark-all-read/", reading_views.river_mark_all_read, name="river-mark-all-read"),
    path(
        "river/mark-all-read/undo/", reading_views.river_mark_all_read_undo, name="river-mark-all-read-undo"
    ),
    path("articles/<int:article_id>/", reading_views.article_detail, name="article-detail"),
    path("articles/<int:article_id>/read/", reading_views.article_mark_read, name="article-mark-read"),
    path("articles/<int:article_id>/unread/", reading_views.article_mark_unread, name="article-mark-unread"),
    path("articles/<int:article_id>/save/", reading_views.article_save, name="article-save"),
    path("articles/<int:article_id>/unsave/", reading_views.article_unsave, name="article-unsave"),
    path("lists/", reading_list_views.reading_list_index, name="reading-list-index"),
    path("lists/new/", reading_list_views.reading_list_create, name="reading-list-create"),
    path("lists/save", reading_list_views.reading_list_save_url, name="reading-list-save-url"),
    path(
        "lists/save/<str:token>/",
        reading_list_views.reading_list_save_status,
        name="reading-list-save-status",
    ),
    path("lists/feed/<str:secret>/", reading_list_views.reading_list_feed, name="reading-list-feed"),
    path("lists/<int:reading_list_id>/", reading_list_views.reading_list_detail, name="reading-list-detail"),
    path(
        "lists/<int:reading_list_id>/rename/",
        reading_list_views.reading_list_rename,
        name="reading-list-rename",
    ),
    path(
        "lists/<int:reading_list_id>/delete/",
        reading_list_views.reading_list_delete,
        name="reading-list-delete",
    ),
    path(
        "lists/<int:reading_list_id>/rotate-secret/",
        reading_list_views.reading_list_rotate_secret,
        name="reading-list-rotate-secret",
    ),
    path(
        "lists/<int:reading_list_id>/export.<str:fmt>",
        reading_list_views.reading_list_export,
        name="reading-list-export",
    ),
    path(
        "lists/items/<int:item_id>/archive/",
        reading_list_views.reading_list_item_archive,
        name="reading-list-item-archive",
    ),
    path(
        "lists/items/<int:item_id>/restore/",
        reading_list_views.reading_list_item_restore,
        name="reading-list-item-restore",
    ),
    path(
        "lists/items/<int:item_id>/remove/",
        reading_list_views.reading_list_item_delete,
        name="reading-list-item-remove",
    ),
]

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
