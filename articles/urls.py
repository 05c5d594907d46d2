from django.urls import path

from articles import views

app_name = "articles"
urlpatterns = [
    path("publishers/", views.publisher_directory, name="publisher-directory"),
    path("publishers/<slug:slug>/", views.publisher_detail, name="publisher-detail"),
]
