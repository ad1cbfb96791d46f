from django.urls import path

from . import views

app_name = "messaging"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("nouveau/", views.compose, name="compose"),
    path("<int:pk>/", views.thread, name="thread"),
    path("<int:pk>/supprimer/", views.thread_delete, name="thread_delete"),
    path("piece-jointe/<int:pk>/", views.attachment, name="attachment"),
]
