"""Public pages, for voters: no sign-in needed."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "stations/home.html", {})
