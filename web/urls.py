from django.urls import path

from grids.models import Role
from hotline.db_router import replica_reads
from web.helpers import role_required
from web.views import callbacks, dashboard, desk, operator, orders, patrol, public, submissions, workbench

app_name = "web"

supervising = role_required(Role.SUPERVISOR, Role.ADMIN)

urlpatterns = [
    path("ops/", operator.console, name="ops"),
    path("ops/caller-history/", operator.caller_history, name="caller_history"),
    path("ops/category-suggest/", operator.category_suggest, name="category_suggest"),
    path("ops/locate/", operator.locate_hint, name="locate"),
    path("ops/duplicates/", operator.duplicates, name="duplicates"),
    path("ops/attach/<str:number>/", operator.attach_call, name="attach_call"),
    path("ops/submissions/", submissions.submissions, name="submissions"),
    path("ops/submissions/<str:number>/", submissions.submission_pane, name="submission_pane"),
    path("ops/callbacks/", callbacks.callbacks, name="callbacks"),
    path("ops/callbacks/<str:number>/", callbacks.callback_pane, name="callback_pane"),
    path("patrol/", patrol.patrol, name="patrol"),
    path("patrol/mine/", patrol.patrol_mine, name="patrol_mine"),
    path("unit/", workbench.workbench, name="workbench"),
    path("unit/sign/", workbench.bulk_sign, name="bulk_sign"),
    path("desk/", desk.desk, name="desk"),
    path("desk/pane/<str:number>/", desk.desk_pane, name="desk_pane"),
    path("desk/do/<str:number>/<str:key>/", desk.desk_act, name="desk_act"),
    # Figures, ledgers and exports read from the replica when one is configured (lag-guarded).
    path("dashboard/", supervising(replica_reads(dashboard.dashboard)), name="dashboard"),
    path("orders/", supervising(replica_reads(dashboard.orders)), name="orders"),
    path("orders/export.xlsx", supervising(replica_reads(dashboard.orders_export)), name="orders_export"),
    # A large ledger is written by a worker: its page and file (the asker's only; read
    # from the primary, where the worker has just written it).
    path("orders/exports/<int:pk>/", supervising(dashboard.ledger_export), name="ledger_export"),
    path("orders/exports/<int:pk>/file.xlsx", supervising(dashboard.ledger_export_file), name="ledger_export_file"),
    path("orders/<str:number>/", orders.order_detail, name="order"),
    path("orders/<str:number>/do/<str:key>/", orders.order_act, name="order_act"),
    path("orders/<str:number>/reveal/", orders.order_reveal, name="order_reveal"),
    path("attachments/<int:pk>/", orders.attachment_file, name="attachment"),
    path("posters/", public.posters, name="posters"),
    path("posters/<str:code>.<str:fmt>", public.poster_file, name="poster"),
    path("p/", public.report, name="public_report"),
    path("p/done/", public.report_done, name="public_done"),
    path("p/done/receipt.png", public.report_done_png, name="public_done_png"),
    path("p/where/", public.where, name="public_where"),
    path("p/<str:code>/", public.report, name="public_report_at"),
    path("track/", public.track, name="public_track"),
    path("track/rate/", public.rate, name="public_rate"),
    # Browsers ask for /favicon.ico on pages without a <link rel=icon> (admin, API docs).
    path("favicon.ico", public.favicon, name="favicon"),
]
