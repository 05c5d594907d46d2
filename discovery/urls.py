from django.urls import path

from discovery import views

app_name = "discovery"
urlpatterns = [
    path("search/", views.search, name="search"),
    path("top/", views.top_stories, name="top-stories"),
    path("for-you/", views.for_you, name="for-you"),
]
