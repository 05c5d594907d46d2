from django.contrib import admin
from django.urls import include, path

from newsreader import health, metrics

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("api/", include("compat.urls")),
    # ops: probes and Prometheus; above the catch-all includes below.
    path("healthz", health.healthz, name="healthz"),
    path("healthz/live", health.healthz_live, name="healthz-live"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("", include("discovery.urls")),
    path("", include("subscriptions.urls")),
    path("", include("articles.urls")),
]
