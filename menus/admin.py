"""Staff enter each site's menus for a week or a month: the dishes, their allergens and labels."""
from django.contrib import admin
from django.db.models import Count

from .models import Dish, Menu
from .services import menu_copy


class DishInline(admin.TabularInline):
    model = Dish
    extra = 5
    fields = ("day", "course", "name", "allergens", "is_organic", "is_local", "is_homemade", "is_vegetarian")


@admin.register(Menu)
class MenuAdmin(admin.ModelAdmin):
    list_display = ("__str__", "structure", "starts_on", "ends_on", "dish_count", "is_published")
    list_filter = ("structure", "is_published")
    date_hierarchy = "starts_on"
    search_fields = ("title", "dishes__name")
    fields = ("structure", "title", ("starts_on", "ends_on"), "is_published", "notes")
    inlines = [DishInline]
    actions = ["copy_to_next_week"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("structure").annotate(n_dishes=Count("dishes"))

    @admin.display(description="plats", ordering="n_dishes")
    def dish_count(self, obj):
        return obj.n_dishes

    @admin.action(description="Copier les menus sélectionnés sur la semaine suivante (non publiés)")
    def copy_to_next_week(self, request, queryset):
        copies = [menu_copy(menu=menu, days=7) for menu in queryset]
        self.message_user(request, f"{len(copies)} menu(s) copié(s) sur la semaine suivante, à vérifier puis publier.")
