from django.urls import path

from peers.drf import views

urlpatterns = [
    path("api/articles", views.ArticleList.as_view()),
    path("api/articles/<int:pk>", views.ArticleDetail.as_view()),
]
