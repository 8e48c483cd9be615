"""Admin for the knowledge base: admins and center staff keep articles here or on /kb/.
Saving goes through the services, so an admin edit also keeps a version."""

from django.contrib import admin

from knowledge.models import Article, ArticleVersion
from knowledge.selectors import may_edit_articles
from knowledge.services import article_create, article_update

FIELDS = ["title", "question", "body", "keywords", "status", "valid_from", "valid_until", "owner_unit"]


class VersionInline(admin.TabularInline):
    model = ArticleVersion
    extra = 0
    can_delete = False
    fields = ["version", "status", "title", "edited_by", "edited_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "status", "valid_from", "valid_until", "owner_unit", "version", "updated_at"]
    list_filter = ["status", "owner_unit"]
    search_fields = ["title", "keywords", "body"]
    fields = [*FIELDS, "categories", "source_order", "version"]
    readonly_fields = ["source_order", "version"]
    filter_horizontal = ["categories"]
    inlines = [VersionInline]

    def _editor(self, request) -> bool:
        return request.user.is_active and request.user.is_staff and may_edit_articles(request.user)

    def has_view_permission(self, request, obj=None):
        return self._editor(request)

    def has_module_permission(self, request):
        return self._editor(request)

    def has_add_permission(self, request):
        return self._editor(request)

    def has_change_permission(self, request, obj=None):
        return self._editor(request)

    def has_delete_permission(self, request, obj=None):
        return False  # retire instead: answer events name the article

    def save_model(self, request, obj, form, change):
        # The service writes the row and its version; save_related then sets categories.
        data = {f: form.cleaned_data.get(f) for f in FIELDS}
        if change:
            saved = article_update(article=obj, actor=request.user, **data)
        else:
            saved = article_create(actor=request.user, **data)
        obj.pk, obj.version = saved.pk, saved.version

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        article = form.instance
        current = sorted(article.categories.values_list("id", flat=True))
        last = article.versions.order_by("-version").first()
        if last is not None and last.category_ids != current:
            ArticleVersion.objects.filter(pk=last.pk).update(category_ids=current)
