from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from families.access import family_for_user, parent_required
from portal.errors import DomainError
from portal.files import private_file_response

from . import selectors, services
from .forms import AssignForm, ComposeForm, ReplyForm, StaffComposeForm, StaffFilterForm
from .models import Attachment


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
    thread = selectors.thread_detail(thread_id=pk, family=request.family)
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
    if request.method == "GET":
        services.thread_mark_read(thread=thread, by_staff=False)
    return render(request, "messaging/thread.html", {"thread": thread, "form": form, "had_files": bool(request.FILES)})


@require_POST
@parent_required
def thread_delete(request, pk):
    thread = selectors.thread_detail(thread_id=pk, family=request.family)
    if request.POST.get("restore"):
        services.thread_restore_for_family(thread=thread)
        messages.success(request, "Le message a été remis dans votre boîte.")
        return redirect("messaging:thread", thread.pk)
    services.thread_delete_for_family(thread=thread)
    messages.success(request, "Le message a été déplacé dans « Messages supprimés ».")
    return redirect("messaging:inbox")


def attachment(request, pk):
    """Stream an attachment to its family or to staff; anyone else gets 404 (never a public URL)."""
    if not request.user.is_authenticated:
        raise Http404
    if request.user.is_staff:
        try:
            item = Attachment.objects.get(pk=pk)
        except (Attachment.DoesNotExist, ValueError):
            raise Http404 from None
    else:
        item = selectors.attachment_for_family(attachment_id=pk, family=family_for_user(request.user))
    return private_file_response(item.file, item.original_name, item.content_type)


# --- Staff side -------------------------------------------------------------------------------------------------

@staff_member_required
def staff_inbox(request):
    form = StaffFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    threads = selectors.staff_threads(
        service_id=filters.get("service").pk if filters.get("service") else None, status=filters.get("status"),
        assigned=filters.get("assigned"), archived=filters.get("archived", False), user=request.user,
    )
    return render(request, "messaging/staff_inbox.html", {"form": form, "threads": threads})


@staff_member_required
def staff_thread(request, pk):
    thread = selectors.thread_detail(thread_id=pk)
    reply_form = ReplyForm(prefix="reply")
    assign_form = AssignForm(prefix="assign", initial={"assignee": thread.assigned_to_id, "status": thread.status})
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "reply":
                reply_form = ReplyForm(request.POST, request.FILES, prefix="reply")
                if reply_form.is_valid():
                    services.message_reply_by_staff(
                        thread=thread, staff_user=request.user, body=reply_form.cleaned_data["body"],
                        files=reply_form.files_list(),
                    )
                    messages.success(request, "Réponse envoyée ; la famille est prévenue par e-mail.")
                    return redirect("messaging:staff_thread", thread.pk)
            elif action == "assign":
                assign_form = AssignForm(request.POST, prefix="assign")
                if assign_form.is_valid():
                    services.thread_assign(
                        thread=thread, staff_user=request.user, assignee=assign_form.cleaned_data["assignee"],
                        status=assign_form.cleaned_data["status"],
                    )
                    messages.success(request, "Suivi mis à jour.")
                    return redirect("messaging:staff_thread", thread.pk)
            elif action in ("archive", "unarchive"):
                services.thread_archive_for_staff(thread=thread, staff_user=request.user, archived=action == "archive")
                messages.success(request, "Message archivé." if action == "archive" else "Message désarchivé.")
                return redirect("messaging:staff_inbox")
        except DomainError as exc:
            messages.error(request, exc.message)
    else:
        services.thread_mark_read(thread=thread, by_staff=True)
    return render(request, "messaging/staff_thread.html", {
        "thread": thread, "reply_form": reply_form, "assign_form": assign_form,
    })


@staff_member_required
def staff_compose(request):
    form = StaffComposeForm(request.POST or None, request.FILES or None, initial={"family_number": request.GET.get("famille", "")})
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
            return redirect("messaging:staff_thread", thread.pk)
    return render(request, "messaging/staff_compose.html", {"form": form})


