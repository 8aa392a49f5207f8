from django.urls import path

from domains import views

app_name = "domains"

urlpatterns = [
    path("", views.domain_list, name="list"),
    path("add/", views.domain_add, name="add"),
    path("<int:pk>/", views.domain_detail, name="detail"),
    path("<int:pk>/verify/", views.domain_verify, name="verify"),
    path("<int:pk>/delete/", views.domain_delete, name="delete"),
    path("<int:pk>/dkim/rotate/", views.domain_dkim_rotate, name="dkim_rotate"),
    path("<int:pk>/warmup/", views.domain_warmup, name="warmup"),
    path("<int:pk>/warmup/keep-warm/", views.domain_warmup_keep_warm, name="warmup_keep_warm"),
]
