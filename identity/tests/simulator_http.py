"""A requests transport that hands the client's calls to the portal's own simulator through Django's test
client: the real client code and the real simulator views, no socket. ``fail`` makes the transport raise
(a timeout, a refused connection) instead."""
from urllib.parse import parse_qs, urlsplit

import requests
from django.test import Client
from requests.structures import CaseInsensitiveDict


class SimulatorAdapter(requests.adapters.BaseAdapter):
    def __init__(self, fail=None):
        super().__init__()
        self.client, self.fail, self.calls = Client(), fail, []

    def send(self, request, **kwargs):
        self.calls.append((request.url, kwargs.get("timeout")))
        if self.fail is not None:
            raise self.fail
        url = urlsplit(request.url)
        answer = self.client.get(url.path, parse_qs(url.query), headers={
            "Authorization": request.headers.get("Authorization", "")})
        response = requests.Response()
        response.status_code, response._content, response.url, response.request = (
            answer.status_code, answer.content, request.url, request)
        response.headers = CaseInsensitiveDict(answer.headers)
        return response

    def close(self):
        pass


def simulator_session(fail=None):
    adapter = SimulatorAdapter(fail=fail)
    session = requests.Session()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.adapter = adapter
    return session
