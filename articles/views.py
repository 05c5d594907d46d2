"""The publisher directory: the catalogue by category and country, searchable, and a page per publisher."""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from subscriptions.selectors.follows import (
    directory_facets,
    directory_publishers_for_user,
    publisher_page_for_user,
)

DIRECTORY_PAGE_SIZE = 48


@require_GET
def publisher_directory(request):
    q = request.GET.get("q", "")[:100]
    category = request.GET.get("category", "")[:100]
    country = request.GET.get("country", "")[:100]
    publishers = directory_publishers_for_user(user=request.user, query=q, category=category, country=country)
    page = Paginator(publishers, DIRECTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "facets": directory_facets(), "q": q, "category": category, "country": country}
    if request.htmx and request.htmx.target == "directory-results":
        return render(request, "articles/_directory_results.html", context)
    return render(request, "articles/directory.html", context)


@require_GET
def publisher_detail(request, slug: str):
    page = publisher_page_for_user(user=request.user, slug=slug)
    return render(request, "articles/publisher_detail.html", {"page": page, "publisher": page.publisher})
