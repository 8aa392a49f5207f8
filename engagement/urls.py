from django.urls import path

from engagement import views

app_name = "engagement"

urlpatterns = [
    path("", views.placement_tests, name="placement_tests"),
    path("<int:pk>/", views.placement_test_detail, name="placement_test"),
]
