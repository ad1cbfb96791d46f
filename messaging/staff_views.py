"""The service's side of the messaging: inbox, a thread (reply, follow-up, archive), writing to a family,
attachments. Included by portal/urls.py at /personnel/messagerie/ through ``portal.staff.staff_only``: the
staff check is applied there, once, for every view of this module."""
from django.contrib import messages
from django.shortcuts import redirect, render

from portal.errors import DomainError
from portal.files import private_file_response

from . import selectors, services
from .forms import AssignForm, ReplyForm, StaffComposeForm, StaffFilterForm


def inbox(request):
    form = StaffFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    threads = selectors.staff_threads(
        service_id=filters.get("service").pk if filters.get("service") else None, status=filters.get("status"),
        assigned=filters.get("assigned"), archived=filters.get("archived", False), user=request.user,
        family=(filters.get("famille") or "").strip(),
    )
    return render(request, "messaging/staff_inbox.html", {"form": form, "threads": threads})


def thread(request, pk):
    thread = selectors.staff_thread(thread_id=pk)
    forms = {
        "reply_form": ReplyForm(prefix="reply"),
        "assign_form": AssignForm(prefix="assign", initial={"assignee": thread.assigned_to_id, "status": thread.status}),
    }
    if request.method != "POST":
        services.thread_mark_read(thread=thread, by_staff=True)
    elif (action := _THREAD_ACTIONS.get(request.POST.get("action"))) is not None:
        try:
            response = action(request, thread, forms)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            if response is not None:
                return response
    return render(request, "messaging/staff_thread.html", {"thread": thread, **forms})


def _reply(request, thread, forms):
    form = forms["reply_form"] = ReplyForm(request.POST, request.FILES, prefix="reply")
    if form.is_valid():
        services.message_reply_by_staff(thread=thread, staff_user=request.user, body=form.cleaned_data["body"],
                                        files=form.files_list())
        messages.success(request, "Réponse envoyée ; la famille est prévenue par e-mail.")
        return redirect("messaging_staff:thread", thread.pk)
    return None


def _assign(request, thread, forms):
    form = forms["assign_form"] = AssignForm(request.POST, prefix="assign")
    if form.is_valid():
        services.thread_assign(thread=thread, staff_user=request.user, assignee=form.cleaned_data["assignee"],
                               status=form.cleaned_data["status"])
        messages.success(request, "Suivi mis à jour.")
        return redirect("messaging_staff:thread", thread.pk)
    return None


def _archive(request, thread, forms):
    archived = request.POST["action"] == "archive"
    services.thread_archive_for_staff(thread=thread, staff_user=request.user, archived=archived)
    messages.success(request, "Message archivé." if archived else "Message désarchivé.")
    return redirect("messaging_staff:inbox")


# The buttons of the thread page (``action``): each answers a redirect, or None to show the page with its errors.
_THREAD_ACTIONS = {"reply": _reply, "assign": _assign, "archive": _archive, "unarchive": _archive}


def compose(request):
    form = StaffComposeForm(request.POST or None, request.FILES or None,
                            initial={"family_number": request.GET.get("famille", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            thread = services.thread_start_by_staff(
                family=form.family, staff_user=request.user, service=data["service"], theme=data["theme"],
                subject=data["subject"], body=data["body"], files=form.files_list(),
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Message envoyé à la famille.")
            return redirect("messaging_staff:thread", thread.pk)
    return render(request, "messaging/staff_compose.html", {"form": form})


def attachment(request, pk):
    """Any family's attachment, for the service (private media: never a public URL)."""
    item = selectors.staff_attachment(attachment_id=pk)
    return private_file_response(item.file, item.original_name, item.content_type)
