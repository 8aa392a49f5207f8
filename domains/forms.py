from django import forms


class DomainAddForm(forms.Form):
    name = forms.CharField(
        label="Domain name",
        max_length=300,
        help_text="The domain your mail comes from, such as example.com or news.example.com. "
        "Internationalised names (bücher.de) are fine.",
        widget=forms.TextInput(
            attrs={"placeholder": "example.com", "autocomplete": "off", "autofocus": True}
        ),
    )
