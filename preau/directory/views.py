from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "directory/home.html", {"nav": "home"})


@login_required
def search(request: HttpRequest) -> HttpResponse:
    return render(request, "directory/search.html", {"nav": "annuaire"})
