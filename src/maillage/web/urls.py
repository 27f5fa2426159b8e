"""URLs: public pages (French paths), staff pages under ``/equipe/``, Django admin."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.staticfiles.views import serve
from django.urls import include, path, re_path

from maillage.web import accountability, participation, staff, views, workshop

web_patterns = [
    path("", views.home, name="home"),
    path("carte/communes.geojson", views.communes_geojson, name="communes_geojson"),
    path("communes/<str:code>/", views.commune_detail, name="commune"),
    path("services/", views.directory, name="directory"),
    path("enquete/", views.survey, name="survey"),
    path("enquete/merci/", views.survey_thanks, name="survey_thanks"),
    path("enquete/resultats/", views.survey_public_results, name="survey_results"),
    path("contribuer/", views.contribute, name="contribute"),
    path("contribuer/merci/", views.contribute_thanks, name="contribute_thanks"),
    path("initiatives/", participation.initiatives, name="initiatives"),
    path("initiatives/<int:pk>/", participation.contribution_detail, name="initiative"),
    path("initiatives/<int:pk>/soutenir/", participation.support, name="initiative_support"),
    path("initiatives/<int:pk>/commenter/", participation.comment, name="initiative_comment"),
    path("programme/", views.programme, name="programme"),
    path("programme/<int:pk>/", views.programme_action, name="programme_action"),
    path("programme/programme.csv", accountability.programme_csv, name="programme_csv"),
    path("api/programme.json", accountability.programme_json, name="programme_json"),
    path("donnees-personnelles/", views.personal_data, name="personal_data"),
    path("accessibilite/", views.accessibility, name="accessibility"),
    path("equipe/", staff.staff_home, name="staff_home"),
    path("equipe/contributions/", staff.contributions, name="staff_contributions"),
    path("equipe/contributions/<int:pk>/", staff.contribution, name="staff_contribution"),
    path("equipe/donnees-personnelles/", staff.personal_data, name="staff_personal_data"),
    path(
        "equipe/donnees-personnelles/export.csv",
        staff.personal_data_export,
        name="staff_personal_data_export",
    ),
    path(
        "equipe/donnees-personnelles/effacer/",
        staff.personal_data_erase,
        name="staff_personal_data_erase",
    ),
    path("equipe/enquete/", staff.survey_results_view, name="staff_survey"),
    path("equipe/enquete/import/", staff.survey_import, name="staff_survey_import"),
    path("equipe/enquete/questions/", staff.survey_questions, name="staff_survey_questions"),
    path("equipe/enquete/export.csv", staff.survey_export, name="staff_survey_export"),
    path("equipe/programme/", staff.programme, name="staff_programme"),
    path("equipe/remesurer/", staff.remeasure, name="staff_remeasure"),
    path("equipe/atelier/", workshop.workshop, name="workshop"),
    path("equipe/atelier/communes.geojson", workshop.workshop_geojson, name="workshop_geojson"),
    path("equipe/programme/nouvelle/", staff.action_create, name="staff_action_create"),
    path("equipe/programme/<int:pk>/", staff.action_detail, name="staff_action"),
    path("equipe/programme/<int:pk>/modifier/", staff.action_edit, name="staff_action_edit"),
    path(
        "equipe/programme/<int:pk>/indicateurs/<int:link_pk>/retirer/",
        staff.action_unlink,
        name="staff_action_unlink",
    ),
    path(
        "equipe/programme/export.<str:fmt>",
        staff.programme_export,
        name="staff_programme_export",
    ),
]

admin.site.site_header = "maillage — administration"
admin.site.site_title = "maillage"
admin.site.index_title = "Schéma de services"

# Password reset (link on the sign-in page): the e-mail goes through EMAIL_BACKEND (SMTP
# when MAILLAGE_SMTP_HOST is set, else a file in <data>/courriels/).
password_patterns = [
    path(
        "admin/mot-de-passe-oublie/",
        auth_views.PasswordResetView.as_view(),
        name="admin_password_reset",
    ),
    path(
        "admin/mot-de-passe-oublie/envoye/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reinitialiser/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reinitialiser/termine/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]

urlpatterns = [
    *password_patterns,
    path("admin/", admin.site.urls),
    path("", include((web_patterns, "web"))),
    # Static files (the app's and the admin's, found in the installed apps) served by the
    # app itself: a few small files, so no separate web server is needed.
    re_path(r"^static/(?P<path>.*)$", serve, {"insecure": True}),
]
handler403 = "maillage.web.views.forbidden"
handler404 = "maillage.web.views.not_found"
