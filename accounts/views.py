from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_http_methods

from accounts.forms import SignupForm, ThrottledAuthenticationForm
from accounts.panels import account_panels_for


class SignInView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.throttled:
            response.status_code = 429
        return response

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "signup_enabled": settings.SIGNUP_ENABLED}


def _first_page_url() -> str:
    # A new reader starts in the directory to pick publishers; fall back to the river.
    try:
        return reverse("articles:publisher-directory")
    except NoReverseMatch:
        return "/"


@login_not_required
@require_http_methods(["GET", "POST"])
def signup(request):
    if not settings.SIGNUP_ENABLED:
        return render(request, "accounts/signup_closed.html", status=403)
    if request.user.is_authenticated:
        return redirect("/")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request, f"Welcome, {user.get_username()}! Follow a few publishers to fill your river."
        )
        return redirect(_first_page_url())
    return render(request, "accounts/signup.html", {"form": form})


def account(request):
    return render(request, "accounts/account.html", {"panels": account_panels_for(request)})
