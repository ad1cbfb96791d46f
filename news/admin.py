from django import forms
from django.contrib import admin

from portal.uploads import safe_filename, upload_check
from portal.errors import UploadError

from .models import NewsPost, PublishedDocument


class NewsPostForm(forms.ModelForm):
    class Meta:
        model = NewsPost
        fields = "__all__"

    def clean_image(self):
        image = self.cleaned_data.get("image")
        if image and hasattr(image, "content_type"):  # a new upload
            try:
                mime = upload_check(image)
            except UploadError as exc:
                raise forms.ValidationError(exc.message) from None
            if mime == "application/pdf":
                raise forms.ValidationError("L'image doit être un fichier JPEG ou PNG.")
        return image

    def clean(self):
        data = super().clean()
        if data.get("audience") == NewsPost.Audience.STRUCTURE and not data.get("structure"):
            self.add_error("structure", "Choisissez l'équipement dont les familles verront cette actualité.")
        if data.get("image") and not data.get("image_alt"):
            self.add_error("image_alt", "Décrivez l'image pour les personnes qui ne la voient pas.")
        if data.get("publish_until") and data.get("publish_from") and data["publish_until"] <= data["publish_from"]:
            self.add_error("publish_until", "La fin de publication doit suivre son début.")
        return data


@admin.register(NewsPost)
class NewsPostAdmin(admin.ModelAdmin):
    form = NewsPostForm
    list_display = ("title", "publish_from", "publish_until", "audience", "structure")
    list_filter = ("audience",)
    search_fields = ("title", "body")
    date_hierarchy = "publish_from"
    exclude = ("author",)

    def save_model(self, request, obj, form, change):
        if not obj.author_id:
            obj.author = request.user
        super().save_model(request, obj, form, change)


class PublishedDocumentForm(forms.ModelForm):
    class Meta:
        model = PublishedDocument
        fields = "__all__"

    def clean_file(self):
        uploaded = self.cleaned_data.get("file")
        if uploaded and hasattr(uploaded, "content_type"):
            try:
                self.detected_type = upload_check(uploaded)
            except UploadError as exc:
                raise forms.ValidationError(exc.message) from None
        return uploaded


@admin.register(PublishedDocument)
class PublishedDocumentAdmin(admin.ModelAdmin):
    form = PublishedDocumentForm
    list_display = ("title", "category", "visibility", "is_published", "order", "updated_at")
    list_editable = ("is_published", "order")
    list_filter = ("category", "visibility", "is_published")
    search_fields = ("title", "description")

    def save_model(self, request, obj, form, change):
        if getattr(form, "detected_type", None):
            obj.content_type = form.detected_type
            obj.original_name = safe_filename(form.cleaned_data["file"].name)
            obj.size = form.cleaned_data["file"].size
        super().save_model(request, obj, form, change)
