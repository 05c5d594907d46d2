from django import forms


class ApiPasswordForm(forms.Form):
    password1 = forms.CharField(
        label="New API password",
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Not your sign-in password: a second one, only for apps. At least 8 characters.",
    )
    password2 = forms.CharField(
        label="The same again",
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") != cleaned.get("password2"):
            raise forms.ValidationError("The two passwords differ.")
        return cleaned
