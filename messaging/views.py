"""Parent pages of the « Messagerie » tab. The service's side is in staff_views.py (/personnel/messagerie/)."""
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from families.access import family_for_user, parent_required
from portal.errors import DomainError
from portal.files import private_file_response

from . import selectors, services
from .forms import ComposeForm, ReplyForm


@parent_required
def inbox(request):
    box = request.GET.get("boite", "received")
    if box not in selectors.BOXES:
        box = "received"
    context = {
        "box": box,
        "boxes": selectors.BOXES,
        "threads": selectors.family_threads(family=request.family, box=box),
        "counts": selectors.family_box_counts(family=request.family),
    }
    return render(request, "messaging/inbox.html", context)


@parent_required
def compose(request):
    form = ComposeForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            thread = services.thread_start_by_family(
                family=request.family, guardian=request.guardian, user=request.user, service=data["service"],
                theme=data["theme"], subject=data["subject"], body=data["body"], files=form.files_list(),
                copy_to_sender=data["copy_to_sender"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Votre message a bien été envoyé au service.")
            return redirect("messaging:thread", thread.pk)
    return render(request, "messaging/compose.html", {"form": form, "had_files": bool(request.FILES)})


@parent_required
def thread(request, pk):
    thread = selectors.family_thread(thread_id=pk, family=request.family)
    form = ReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.message_reply_by_family(
                thread=thread, guardian=request.guardian, user=request.user, body=form.cleaned_data["body"],
                files=form.files_list(),
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Votre réponse a bien été envoyée.")
            return redirect("messaging:thread", thread.pk)
    if request.method == "GET" and services.thread_mark_read(thread=thread, by_staff=False):
        request.family.refresh_from_db(fields=["unread_messages"])  # the badge of this very page
    return render(request, "messaging/thread.html", {"thread": thread, "form": form, "had_files": bool(request.FILES)})


@require_POST
@parent_required
def thread_delete(request, pk):
    thread = selectors.family_thread(thread_id=pk, family=request.family)
    if request.POST.get("restore"):
        services.thread_restore_for_family(thread=thread)
        messages.success(request, "Le message a été remis dans votre boîte.")
        return redirect("messaging:thread", thread.pk)
    services.thread_delete_for_family(thread=thread)
    messages.success(request, "Le message a été déplacé dans « Messages supprimés ».")
    return redirect("messaging:inbox")


def attachment(request, pk):
    """Stream one of the family's attachments; anyone else gets 404, never a public URL (staff open them from
    the service's inbox, staff_views.attachment)."""
    item = selectors.family_attachment(attachment_id=pk, family=family_for_user(request.user))
    return private_file_response(item.file, item.original_name, item.content_type)
