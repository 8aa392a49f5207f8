from django.urls import path

from ips import views

app_name = "ips"

urlpatterns = [
    path("", views.ip_list, name="list"),
    path("warm-up-settings/", views.ip_warmup_settings, name="warmup-settings"),
    # An IP by its address (IPv6 in its usual form: 2001:db8::1).
    path("<str:address>/", views.ip_detail, name="detail"),
]
