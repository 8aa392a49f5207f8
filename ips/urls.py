from django.urls import path

from ips import views

app_name = "ips"

urlpatterns = [
    path("", views.ip_list, name="list"),
    path("warm-up-settings/", views.ip_warmup_settings, name="warmup-settings"),
]
