from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("api/", include("compat.urls")),
    path("", include("discovery.urls")),
    path("", include("subscriptions.urls")),
    path("", include("articles.urls")),
]
