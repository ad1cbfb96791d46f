"""The service's side of the messaging: inbox, a thread (reply, follow-up, archive), writing to a family,
attachments. Included by portal/urls.py at /personnel/messagerie/ through ``portal.staff.staff_only``: the
staff check is applied there, once, for every view of this module."""
from django.contrib import messages
from django.shortcuts import redirect, render

from portal.errors import DomainError
from portal.files import private_file_response

from . import mass_services, selectors, services
from .forms import AssignForm, MassMessageForm, ReplyForm, StaffComposeForm, StaffFilterForm
from .sms import sms_segments


def inbox(request):
    form = StaffFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    threads = selectors.staff_threads(
        service_id=filters.get("service").pk if filters.get("service") else None, status=filters.get("status"),
        assigned=filters.get("assigned"), archived=filters.get("archived", False), user=request.user,
        waiting=filters.get("waiting", False),
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


def mass_list(request):
    """The mass messages sent, newest first, with what each reached."""
    return render(request, "messaging/staff_mass_list.html", {"mass_messages": selectors.staff_mass_messages()})


def mass_compose(request):
    """Write to many families: « Voir les destinataires » shows the counts, « Envoyer » sends."""
    form = MassMessageForm(request.POST or None)
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        target = form.target_kwargs()
        if request.POST.get("action") == "send":
            try:
                mass_message = mass_services.mass_message_create(
                    staff_user=request.user, service=data["service"], subject=data["subject"], body=data["body"],
                    send_email=data["send_email"], send_sms=data.get("send_sms", False),
                    sms_text=data.get("sms_text", ""), **target,
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"Message « {mass_message.subject} » envoyé. Chaque famille le trouve dans "
                                          "sa messagerie ; le détail des envois est ci-dessous.")
                return redirect("messaging_staff:mass_list")
        else:
            recipients = mass_services.mass_message_preview(**target)
            preview = {
                "families": len(recipients["families"]),
                "emails": len(recipients["emails"]) if data["send_email"] else 0,
                "sms": len(recipients["sms"]) if data.get("send_sms") else 0,
                "email_opt_out": recipients["email_opt_out"], "sms_opt_out": recipients["sms_opt_out"],
                "send_email": data["send_email"], "send_sms": data.get("send_sms", False),
                "sms_segments": sms_segments(data["sms_text"].strip()) if data.get("send_sms") else None,
                "names": [f.name for f in recipients["families"][:20]],
            }
    return render(request, "messaging/staff_mass_compose.html", {"form": form, "preview": preview})


def sms_list(request):
    """The SMS sent or failed (with the fake provider: what would have gone out)."""
    return render(request, "messaging/staff_sms_list.html", {"sms_list": selectors.staff_sms()})
