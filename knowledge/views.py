"""Staff pages of the knowledge base: browse and search (operators, dispatchers, the
center), edit (admins and center staff), the console's suggestion panel, and 建议入库."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from knowledge.forms import ArticleForm
from knowledge.models import Article, ArticleStatus
from knowledge.search import article_search
from knowledge.selectors import may_edit_articles, may_read_articles
from knowledge.services import article_create, article_suggest_from_order, article_update
from web.helpers import apply_errors, visible_order
from workorders.errors import WorkflowError


def _gate(check):
    """A page for users ``check`` lets in; anyone else gets 404, as web.helpers.role_required."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not check(request.user):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


readers = _gate(may_read_articles)
editors = _gate(may_edit_articles)


@readers
def article_list(request: HttpRequest) -> HttpResponse:
    q = (request.GET.get("q") or "").strip()
    editor = may_edit_articles(request.user)
    status = request.GET.get("status", "")
    if q:
        hits = article_search(text=q, limit=20)
        by_id = Article.objects.select_related("owner_unit").in_bulk([h.article_id for h in hits])
        articles = [by_id[h.article_id] for h in hits if h.article_id in by_id]
        page = None
    else:
        qs = Article.objects.select_related("owner_unit").order_by("title")
        if not editor:
            qs = qs.filter(status=ArticleStatus.PUBLISHED)  # drafts and retired: editors only
        elif status in ArticleStatus.values:
            qs = qs.filter(status=status)
        page = Paginator(qs, 50).get_page(request.GET.get("page"))
        articles = list(page)
    return render(
        request,
        "knowledge/list.html",
        {
            "articles": articles,
            "page": page,
            "q": q,
            "status": status,
            "statuses": ArticleStatus.choices,
            "editor": editor,
            "today": timezone.localdate(),
        },
    )


@readers
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(Article.objects.select_related("owner_unit", "source_order"), pk=pk)
    editor = may_edit_articles(request.user)
    if article.status != ArticleStatus.PUBLISHED and not editor:
        raise Http404
    return render(
        request,
        "knowledge/detail.html",
        {
            "article": article,
            "editor": editor,
            "versions": article.versions.select_related("edited_by") if editor else [],
            "categories": article.categories.select_related("parent"),
            "today": timezone.localdate(),
        },
    )


def _initial(article: Article) -> dict:
    return {
        "title": article.title,
        "question": article.question,
        "body": article.body,
        "keywords": article.keywords,
        "categories": list(article.categories.all()),
        "status": article.status,
        "valid_from": article.valid_from,
        "valid_until": article.valid_until,
        "owner_unit": article.owner_unit,
        "expected_version": article.version,
    }


@editors
def article_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    article = get_object_or_404(Article, pk=pk) if pk else None
    form = ArticleForm(request.POST or None, initial=_initial(article) if article else None)
    if request.method == "POST" and form.is_valid():
        d = dict(form.cleaned_data)
        version = d.pop("expected_version")
        try:
            if article is None:
                article = article_create(actor=request.user, **d)
            else:
                article = article_update(article=article, actor=request.user, expected_version=version, **d)
        except WorkflowError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, _("已保存「%(t)s」（第 %(v)s 版）。") % {"t": article.title, "v": article.version}
            )
            return redirect("knowledge:detail", pk=article.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "knowledge/edit.html", {"form": form, "article": article}, status=status)


@readers
def console_suggest(request: HttpRequest) -> HttpResponse:
    """htmx: the articles that best answer the description being typed (top 3)."""
    hits = article_search(text=request.GET.get("description", ""), limit=3)
    by_id = Article.objects.in_bulk([h.article_id for h in hits])
    articles = [by_id[h.article_id] for h in hits if h.article_id in by_id]
    return render(request, "knowledge/_suggest.html", {"articles": articles})


@login_required
@require_POST
def suggest_from_order(request: HttpRequest, number: str) -> HttpResponse:
    """建议入库 from the order page: a redacted draft for an editor to finish."""
    order = visible_order(request.user, number)
    try:
        article = article_suggest_from_order(order=order, actor=request.user)
    except WorkflowError as exc:
        messages.error(request, exc.message)
        return redirect("web:order", number=order.number)
    messages.success(request, _("已生成知识库草稿「%(t)s」，请编辑后发布。") % {"t": article.title})
    if may_edit_articles(request.user):
        return redirect("knowledge:edit", pk=article.pk)
    return redirect("web:order", number=order.number)
