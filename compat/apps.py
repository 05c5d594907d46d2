from django.apps import AppConfig


class CompatConfig(AppConfig):
    name = "compat"
    verbose_name = "Google Reader and Fever APIs"

    def ready(self) -> None:
        from accounts.panels import account_panel_register
        from compat.views.account import account_panel_context

        account_panel_register(template="compat/_account_panel.html", context=account_panel_context, order=40)
