from django.urls import path

from . import views

app_name = "news"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/image/", views.image, name="image"),
    path("documents/", views.documents, name="documents"),
    path("documents/<int:pk>/", views.document_download, name="document"),
]
