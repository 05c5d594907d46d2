from django.contrib import admin

from discovery.models import ClusterMember, Pick, StoryCluster


@admin.register(Pick)
class PickAdmin(admin.ModelAdmin):
    """Our Picks: choose an article or a whole story, write why in a sentence or two."""

    list_display = ("blurb", "article", "cluster", "is_active", "position", "show_until", "created_at")
    list_editable = ("is_active", "position")
    list_filter = ("is_active",)
    search_fields = ("blurb", "article__title", "cluster__title")
    raw_id_fields = ("article", "cluster")
    readonly_fields = ("created_by", "created_at")

    def save_model(self, request, obj, form, change):
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class ClusterMemberInline(admin.TabularInline):
    model = ClusterMember
    fk_name = "cluster"
    fields = ("article", "similarity", "is_duplicate", "duplicate_of")
    readonly_fields = fields
    can_delete = False
    extra = 0
    max_num = 0


@admin.register(StoryCluster)
class StoryClusterAdmin(admin.ModelAdmin):
    """Stories are made by the worker; here editors find one to pick (its id) and see its coverage."""

    list_display = ("id", "title", "publisher_count", "size", "first_published_at", "last_published_at")
    search_fields = ("title",)
    ordering = ("-last_published_at",)
    readonly_fields = (
        "title",
        "lead_article",
        "size",
        "publisher_count",
        "first_published_at",
        "last_published_at",
        "created_at",
        "updated_at",
    )
    inlines = [ClusterMemberInline]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False
