from django.urls import path

from . import views

app_name = "menus"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:structure_id>/", views.index, name="site"),
    path("<int:structure_id>/<int:year>/<int:month>/menus.pdf", views.month_pdf, name="month_pdf"),
]
