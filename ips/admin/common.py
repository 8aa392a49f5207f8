"""Helpers the ips admin modules share."""

from django import forms

from warmup_site.errors import ApplicationError


def form_error(form, exc: ApplicationError):
    """A service's ApplicationError as a form error on its field (or the whole form)."""
    field = exc.field if exc.field in form.fields else None
    raise forms.ValidationError({field: exc.message} if field else exc.message) from None


class ReasonForm(forms.Form):
    """The reason an operator gives for an override; recorded with their name."""

    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 70}),
        min_length=5,
        help_text="Recorded with your name. Example: 'PBL listing of our own range, "
        "delisting requested with the ISP on 2026-11-20'.",
    )
